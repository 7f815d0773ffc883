from __future__ import annotations

from typing import Any

from axes.admin import AccessAttemptAdmin
from axes.models import AccessAttempt
from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin as BaseGroupAdmin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import PermissionDenied
from django.db.models import ManyToManyField
from django.forms import ModelMultipleChoiceField
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .models import MemberProfile, Unit, User
from .separation import RoleSeparatedAdmin, RoleSeparatedInline, may_use_admin_of
from .signals import security_event_send


class MemberProfileInline(RoleSeparatedInline):
    model = MemberProfile
    can_delete = False
    extra = 0


# 三员分立 (accounts/separation.py): who may change which of a user's fields.
# The security administrator: what the person may do and whether they may log in.
SECURITY_FIELDS = ("role", "unit", "supervisor_scope", "is_active", "is_staff")
# The system administrator: the account itself and who the person is.
ACCOUNT_FIELDS = ("username", "full_name", "email", "mobile")
# Nobody: a superuser flag gives nothing here and production refuses it (accounts.checks).
NOBODY_FIELDS = ("is_superuser", "last_login", "date_joined")


def _user_detail(user: User) -> dict[str, Any]:
    return {
        "role": user.role,
        "unit": str(user.unit) if user.unit_id else "",
        "supervisor_scope": user.supervisor_scope,
        "is_active": user.is_active,
        "is_staff": user.is_staff,
    }


@admin.register(User)
class UserAdmin(RoleSeparatedAdmin, BaseUserAdmin):
    list_display = ("username", "full_name", "role", "unit", "supervisor_scope", "is_active")
    list_filter = ("role", "supervisor_scope", "is_active", "unit")
    search_fields = ("username", "full_name", "email")
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("个人信息"), {"fields": ("full_name", "email", "mobile")}),
        (_("角色"), {"fields": ("role", "unit", "supervisor_scope")}),
        (_("权限"), {"fields": ("is_active", "is_staff", "is_superuser")}),
        (_("时间"), {"fields": ("last_login", "date_joined")}),
    )
    # the system administrator creates accounts (with a first password); the role, the unit and
    # admin access are then the security administrator's to give
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("username", "full_name", "email", "mobile", "password1", "password2"),
            },
        ),
    )
    inlines = [MemberProfileInline]

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None or request.user.is_security_administrator:  # type: ignore[union-attr]
            return fieldsets
        # only the security administrator sees the password's link to its reset form
        return [
            (name, {**options, "fields": [f for f in options["fields"] if f != "password"]})
            for name, options in fieldsets
        ]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        user = request.user
        if obj is None:
            return ()
        if user.is_security_administrator:  # type: ignore[union-attr]
            own = SECURITY_FIELDS if obj.pk == user.pk else ()  # never their own rights
            return (*ACCOUNT_FIELDS, *NOBODY_FIELDS, *own)
        return (*SECURITY_FIELDS, *NOBODY_FIELDS)

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return super().has_add_permission(request) and request.user.is_administrator  # type: ignore[union-attr]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return (
            super().has_delete_permission(request, obj) and request.user.is_administrator  # type: ignore[union-attr]
        )

    def get_inlines(self, request: HttpRequest, obj: Any) -> Any:
        return self.inlines if request.user.is_administrator else []  # type: ignore[union-attr]

    def save_model(self, request: HttpRequest, obj: User, form: Any, change: bool) -> None:
        before = _user_detail(User.objects.select_related("unit").get(pk=obj.pk)) if change else {}
        super().save_model(request, obj, form, change)
        if not change:
            return
        after = _user_detail(obj)
        changed = {key: [before[key], after[key]] for key in after if before[key] != after[key]}
        rights = {key: value for key, value in changed.items() if key != "is_active"}
        if rights:
            security_event_send(
                "user.role_changed", target=f"user:{obj.pk}", detail=rights, request=request
            )
        if "is_active" in changed:
            security_event_send(
                "user.activated" if obj.is_active else "user.deactivated",
                target=f"user:{obj.pk}",
                detail={"username": obj.username},
                request=request,
            )

    def user_change_password(
        self, request: HttpRequest, id: str, form_url: str = ""
    ) -> HttpResponse:
        """Only the security administrator resets a password here (三员分立)."""
        user = request.user
        if not (may_use_admin_of(user, User) and user.is_security_administrator):  # type: ignore[union-attr]
            raise PermissionDenied
        response = super().user_change_password(request, id, form_url)
        if request.method == "POST" and response.status_code == 302:
            security_event_send("password.reset_by_admin", target=f"user:{id}", request=request)
        return response


@admin.register(Unit)
class UnitAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "short_name",
        "document_prefix",
        "document_number_format",
        "contact_person",
        "contact_phone",
        "is_active",
    )
    search_fields = ("name", "short_name")
    list_filter = ("is_active",)
    fieldsets = (
        (None, {"fields": ("name", "short_name", "is_active")}),
        (
            _("文号"),
            {
                "fields": ("document_prefix", "document_number_format"),
                "description": _(
                    "答复发出时按文号格式编号；不填格式时为：文号前缀〔年份〕序号号。"
                ),
            },
        ),
        (
            _("答复函日期之后的各行"),
            {
                "fields": (
                    "contact_person",
                    "contact_phone",
                    "letter_contact_style",
                    "letter_lead_person",
                    "letter_reviewer",
                )
            },
        ),
        (
            _("职责（智能交办）"),
            {
                "fields": ("duties",),
                "description": _(
                    "智能交办按建议提案的标题与各单位职责的相符程度以及以往的交办推荐承办单位。"
                ),
            },
        ),
        (_("其他"), {"fields": ("address",)}),
    )


# django-axes' login records: its list of attempts has a "status" column without a title
# (the admin would print "Status"); everything else it shows is translated in locale/zh_Hans.
admin.site.unregister(AccessAttempt)


@admin.register(AccessAttempt)
class LoginAttemptAdmin(AccessAttemptAdmin):
    @admin.display(description=_("状态"))
    def status(self, obj: AccessAttempt) -> str:
        return str(super().status(obj))


# Django names permissions in English when it creates them ("Can add user", stored in the
# database); the group form shows them in Chinese from the model's own Chinese name instead.
PERMISSION_ACTIONS = {"add": _("添加"), "change": _("修改"), "delete": _("删除"), "view": _("查看")}


def permission_label(permission: Permission) -> str:
    """用户 · 添加 for auth's "Can add user"; a custom permission keeps its own name."""
    action, _sep, _model = permission.codename.partition("_")
    model = permission.content_type.model_class()
    if action not in PERMISSION_ACTIONS or model is None:
        return f"{permission.content_type.app_label} · {permission.name}"
    return f"{model._meta.verbose_name} · {gettext(str(PERMISSION_ACTIONS[action]))}"


class PermissionChoiceField(ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return permission_label(obj)


admin.site.unregister(Group)


@admin.register(Group)
class GroupAdmin(BaseGroupAdmin):
    def formfield_for_manytomany(
        self,
        db_field: ManyToManyField[Any, Any],
        request: HttpRequest | None = None,
        **kwargs: Any,
    ) -> ModelMultipleChoiceField | None:
        if db_field.name == "permissions":
            kwargs["form_class"] = PermissionChoiceField
        return super().formfield_for_manytomany(db_field, request, **kwargs)

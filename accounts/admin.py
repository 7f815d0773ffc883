from __future__ import annotations

from typing import Any

from axes.admin import AccessAttemptAdmin
from axes.models import AccessAttempt
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth.admin import GroupAdmin as BaseGroupAdmin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import ManyToManyField, QuerySet
from django.forms import ModelMultipleChoiceField
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from . import api_tokens, two_factor
from .models import MemberProfile, PersonalToken, Unit, User
from .passwords import password_set_by_administrator
from .separation import RoleSeparatedAdmin, RoleSeparatedInline, may_use_admin_of
from .signals import security_event_send


class MemberProfileInline(RoleSeparatedInline):
    model = MemberProfile
    can_delete = False
    extra = 0


# 三员分立 (accounts/separation.py): who may change which of a user's fields.
# The security administrator: what the person may do and whether they may log in.
SECURITY_FIELDS = (
    "role",
    "unit",
    "supervisor_scope",
    "is_active",
    "is_staff",
    "must_change_password",
)
# The system administrator: the account itself and who the person is.
ACCOUNT_FIELDS = ("username", "full_name", "email", "mobile")
# Nobody: a superuser flag gives nothing here and production refuses it (accounts.checks).
NOBODY_FIELDS = ("is_superuser", "last_login", "date_joined", "password_changed_at")


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
        (_("密码策略"), {"fields": ("must_change_password", "password_changed_at")}),
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
    actions = ["reset_second_factor"]

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        actions = super().get_actions(request)
        if not two_factor.may_reset_second_factor(request.user):  # type: ignore[arg-type]
            actions.pop("reset_second_factor", None)
        return actions

    @admin.action(description=_("重置所选用户的两步验证"))
    def reset_second_factor(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        """For people who lost the phone: only the security administrator (get_actions)."""
        actor: User = request.user  # type: ignore[assignment]
        count = sum(
            two_factor.otp_reset(actor=actor, target=target, request=request) for target in queryset
        )
        self.message_user(
            request,
            ngettext(
                "已重置 %(count)d 个用户的两步验证。",
                "已重置 %(count)d 个用户的两步验证。",
                count,
            )
            % {"count": count},
            messages.SUCCESS,
        )

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        """A member's new phone number or address is hidden on the portal from now on: the
        public search text of their replies is built again (replies hides the details)."""
        super().save_related(request, form, formsets, change)
        profile_changed = any(
            {"phone", "address"} & set(inline.changed_data)
            for formset in formsets
            if formset.model is MemberProfile
            for inline in formset.forms
        )
        if profile_changed:
            from replies.services import index_replies_of_member

            index_replies_of_member(form.instance)

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
            # a password chosen by the administrator: the new user replaces it at first login
            actor = request.user if isinstance(request.user, User) else None
            password_set_by_administrator(obj, by=actor, request=request, action="user.created")
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

    @transaction.atomic
    def user_change_password(
        self, request: HttpRequest, id: str, form_url: str = ""
    ) -> HttpResponse:
        """Only the security administrator resets a password here (三员分立)."""
        user = request.user
        if not (may_use_admin_of(user, User) and user.is_security_administrator):  # type: ignore[union-attr]
            raise PermissionDenied
        before = User.objects.filter(pk=unquote(id)).values_list("password", flat=True).first()
        response = super().user_change_password(request, id, form_url)
        target = User.objects.filter(pk=unquote(id)).first()
        if request.method == "POST" and target is not None and target.password != before:
            # a password set here for someone else must be changed by its owner at the next
            # login (accounts.passwords.password_set_by_administrator, which records it)
            actor = user if isinstance(user, User) else None
            password_set_by_administrator(target, by=actor, request=request)
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


# django-otp's own device pages would show the secret keys' settings in English; devices are
# set up by their owners (/accounts/otp/) and reset by the security administrator (the action
# on users above, or /accounts/otp/reset/), so the admin does not list them.
for device_model in (TOTPDevice, StaticDevice):
    if admin.site.is_registered(device_model):
        admin.site.unregister(device_model)


@admin.register(PersonalToken)
class PersonalTokenAdmin(RoleSeparatedAdmin):
    """Everyone's personal API tokens, for the security administrator (accounts/separation.py):
    seen and revoked here (the action records it), never created nor edited (their owners do
    that on /accounts/tokens/); the daily job deletes old ones."""

    list_display = (
        "name",
        "user",
        "display_prefix",
        "created_at",
        "expires_at",
        "last_used_at",
        "state_display",
        "revoked_by",
    )
    list_filter = ("created_at", "expires_at", "revoked_at")
    search_fields = ("user__username", "user__full_name", "name", "key_prefix")
    list_select_related = ("user", "revoked_by")
    fields = (
        "user",
        "name",
        "display_prefix",
        "created_at",
        "expires_at",
        "last_used_at",
        "state_display",
        "revoked_at",
        "revoked_by",
    )
    readonly_fields = fields
    actions = ["revoke_tokens"]

    @admin.display(description=_("令牌前缀"))
    def display_prefix(self, obj: PersonalToken) -> str:
        return obj.display_prefix

    @admin.display(description=_("状态"))
    def state_display(self, obj: PersonalToken) -> str:
        return str(obj.state.label)

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.action(description=_("撤销所选令牌"))
    def revoke_tokens(self, request: HttpRequest, queryset: QuerySet[PersonalToken]) -> None:
        actor: User = request.user  # type: ignore[assignment]
        count = sum(
            api_tokens.personal_token_revoke(token=token, actor=actor, request=request)
            for token in queryset.select_related("user")
        )
        self.message_user(
            request,
            ngettext("已撤销 %(count)d 个令牌。", "已撤销 %(count)d 个令牌。", count)
            % {"count": count},
            messages.SUCCESS,
        )

from __future__ import annotations

from typing import Any

from axes.admin import AccessAttemptAdmin
from axes.models import AccessAttempt
from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin as BaseGroupAdmin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.models import Group, Permission
from django.db.models import ManyToManyField
from django.forms import ModelMultipleChoiceField
from django.http import HttpRequest
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .models import MemberProfile, Unit, User


class MemberProfileInline(admin.StackedInline):
    model = MemberProfile
    can_delete = False
    extra = 0


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ("username", "full_name", "role", "unit", "supervisor_scope", "is_active")
    list_filter = ("role", "supervisor_scope", "is_active", "unit")
    search_fields = ("username", "full_name", "email")
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("个人信息"), {"fields": ("full_name", "email")}),
        (_("角色"), {"fields": ("role", "unit", "supervisor_scope")}),
        (_("权限"), {"fields": ("is_active", "is_staff", "is_superuser")}),
        (_("时间"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": (
                    "username",
                    "full_name",
                    "role",
                    "unit",
                    "supervisor_scope",
                    "password1",
                    "password2",
                ),
            },
        ),
    )
    inlines = [MemberProfileInline]

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

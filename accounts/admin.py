from axes.admin import AccessAttemptAdmin
from axes.models import AccessAttempt
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
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


@admin.register(Unit)
class UnitAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "short_name",
        "document_prefix",
        "contact_person",
        "contact_phone",
        "is_active",
    )
    search_fields = ("name", "short_name")
    list_filter = ("is_active",)


# django-axes' login records: its list of attempts has a "status" column without a title
# (the admin would print "Status"); everything else it shows is translated in locale/zh_Hans.
admin.site.unregister(AccessAttempt)


@admin.register(AccessAttempt)
class LoginAttemptAdmin(AccessAttemptAdmin):
    @admin.display(description=_("状态"))
    def status(self, obj: AccessAttempt) -> str:
        return str(super().status(obj))

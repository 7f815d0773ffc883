"""三员分立 (GB/T 22239-2019 separation of administrator duties) in the Django admin.

Three administrator roles that cannot do each other's work:

- 系统管理员 (`administrator`): users' accounts (create, name, contact, member profile, delete),
  units, meetings, calendars, categories and every other business table;
- 安全管理员 (`security_admin`): what a user may do and whether they may log in: a user's role,
  unit and 督办范围, `is_active` (lock/unlock), admin access (`is_staff`), password resets,
  second-factor resets (OTP devices), login lockouts (django-axes), groups, and everyone's
  personal API tokens (seen and revoked, never created);
- 审计管理员 (`audit_admin`): reads the audit trail (audit app), nothing else.

Each registered ModelAdmin is wrapped by `SeparatedAdminSite.register` in `RoleSeparatedAdmin`,
whose `has_*_permission` answer from the person's role and this table, never from Django's
Permission rows nor from `is_superuser`: ticking a box in a group cannot give the audit
administrator a user's record, and a superuser flag gives nothing. An admin class may narrow
further (read-only logs keep their own `has_change_permission = False`).
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from django.contrib import admin
from django.contrib.admin.options import BaseModelAdmin
from django.db.models import Model, QuerySet
from django.http import HttpRequest

from .models import Role
from .signals import security_event_send

ADMINISTRATOR = frozenset({Role.ADMINISTRATOR.value})
SECURITY = frozenset({Role.SECURITY_ADMINISTRATOR.value})
AUDIT = frozenset({Role.AUDIT_ADMINISTRATOR.value})

# "app_label.model" or "app_label" → the roles that may use its admin pages. Anything not named
# here is the system administrator's. The audit app's admin names its own role (AUDIT).
ADMIN_ROLES: dict[str, frozenset[str]] = {
    # both see users; which fields each may change is accounts.admin.UserAdmin's business
    "accounts.user": ADMINISTRATOR | SECURITY,
    "accounts.memberprofile": ADMINISTRATOR,
    "auth.group": SECURITY,
    # personal API tokens: seeing anyone's and revoking them is a matter of who may log in
    "accounts.personaltoken": SECURITY,
    "axes": SECURITY,  # login attempts and lockouts: deleting an attempt unlocks
    # second-factor devices (django-otp's apps, when installed): deleting one resets it
    "otp_totp": SECURITY,
    "otp_static": SECURITY,
    "otp_email": SECURITY,
    "audit": AUDIT,
}

# The permission methods whose Django default consults Permission rows (and is_superuser):
# for these the role alone decides; an admin class's own override still narrows.
_DEFAULTS = {
    name: getattr(BaseModelAdmin, name)
    for name in (
        "has_view_permission",
        "has_add_permission",
        "has_change_permission",
        "has_delete_permission",
    )
}


def roles_for(model: type[Model]) -> frozenset[str]:
    meta = model._meta
    return ADMIN_ROLES.get(
        f"{meta.app_label}.{meta.model_name}", ADMIN_ROLES.get(meta.app_label, ADMINISTRATOR)
    )


def may_use_admin_of(user: Any, model: type[Model], roles: Collection[str] | None = None) -> bool:
    """Whether this person's role may use the admin pages of this model at all."""
    allowed = roles if roles is not None else roles_for(model)
    return bool(
        getattr(user, "is_active", False)
        and getattr(user, "is_staff", False)
        and getattr(user, "role", None) in allowed
    )


class RoleSeparatedAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Permission by role (see the module's docstring), and every add, change and delete made
    in the admin sent to the audit trail with who, what and from where."""

    # roles that may use this admin; None: the ADMIN_ROLES table
    admin_roles: Collection[str] | None = None

    def role_allows(self, request: HttpRequest) -> bool:
        return may_use_admin_of(request.user, self.model, self.admin_roles)

    def _narrowed(self, name: str, request: HttpRequest, obj: Any = None) -> bool:
        if not self.role_allows(request):
            return False
        method = getattr(super(), name)
        if getattr(method, "__func__", None) is _DEFAULTS[name]:
            return True
        return bool(method(request, obj) if name != "has_add_permission" else method(request))

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self.role_allows(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._narrowed("has_view_permission", request, obj) or self.has_change_permission(
            request, obj
        )

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return self._narrowed("has_add_permission", request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._narrowed("has_change_permission", request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._narrowed("has_delete_permission", request, obj)

    # --- the audit trail ------------------------------------------------------------------------

    def _target(self, obj: Any) -> str:
        return f"{obj._meta.label_lower}:{obj.pk}"

    def log_addition(self, request: HttpRequest, obj: Any, message: Any) -> Any:
        security_event_send(
            "admin.added",
            target=self._target(obj),
            detail={"object": str(obj)[:200], "changes": message},
            request=request,
        )
        return super().log_addition(request, obj, message)

    def log_change(self, request: HttpRequest, obj: Any, message: Any) -> Any:
        security_event_send(
            "admin.changed",
            target=self._target(obj),
            detail={"object": str(obj)[:200], "changes": message},
            request=request,
        )
        return super().log_change(request, obj, message)

    def log_deletions(self, request: HttpRequest, queryset: QuerySet[Any]) -> Any:
        for obj in queryset:
            security_event_send(
                "admin.deleted",
                target=self._target(obj),
                detail={"object": str(obj)[:200]},
                request=request,
            )
        return super().log_deletions(request, queryset)


class RoleSeparatedInline(admin.StackedInline):  # type: ignore[type-arg]
    """An inline edited only by the roles that may use its own model's admin."""

    def _allows(self, request: HttpRequest) -> bool:
        return may_use_admin_of(request.user, self.model)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._allows(request)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._allows(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._allows(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._allows(request) and self.can_delete


class SeparatedAdminSite(admin.AdminSite):
    """The project's admin site (accounts.apps.SeparatedAdminConfig): every ModelAdmin
    registered on it, our own and third-party ones, gets RoleSeparatedAdmin's permissions."""

    def register(
        self,
        model_or_iterable: Any,
        admin_class: type[admin.ModelAdmin] | None = None,  # type: ignore[type-arg]
        **options: Any,
    ) -> None:
        base = admin_class or admin.ModelAdmin
        if not issubclass(base, RoleSeparatedAdmin):
            base = type(base.__name__, (RoleSeparatedAdmin, base), {"__module__": base.__module__})
        super().register(model_or_iterable, base, **options)

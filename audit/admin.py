"""The audit trail in the Django admin: read-only, and only for the audit administrator
(accounts.separation names the audit app's models AUDIT; nobody may add, change or delete)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import AuditRecord


@admin.register(AuditRecord)
class AuditRecordAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = (
        "sequence",
        "created_at",
        "actor_username",
        "address",
        "action",
        "target",
        "result",
    )
    list_filter = ("result", "action")
    search_fields = ("actor_username", "action", "target", "address")
    date_hierarchy = "created_at"
    list_per_page = 50
    show_full_result_count = False  # no count(*) over a long trail on every page
    readonly_fields = [field.name for field in AuditRecord._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(getattr(request.user, "is_audit_administrator", False))

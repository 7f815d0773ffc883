from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import ReportJob


@admin.register(ReportJob)
class ReportJobAdmin(admin.ModelAdmin):
    """Report jobs, to see stuck or failed ones; written only by their task."""

    list_display = ("created_at", "owner", "meeting", "year", "body", "status", "done", "total")
    list_filter = ("status",)
    list_select_related = ("owner", "meeting")
    readonly_fields = [field.name for field in ReportJob._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

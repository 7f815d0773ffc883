from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import CalendarDay, Category, Meeting, ProposalEvent


@admin.register(Meeting)
class MeetingAdmin(admin.ModelAdmin):
    list_display = ("short_name", "body", "year", "submission_opens_at", "submission_closes_at")
    list_filter = ("body", "year")
    search_fields = ("name", "short_name")


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    """Holidays and make-up working days the official calendar does not (yet) know."""

    list_display = ("date", "is_working_day", "name")
    list_filter = ("is_working_day",)
    date_hierarchy = "date"
    search_fields = ("name",)


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ("name", "parent", "body", "position", "is_active")
    list_filter = ("body", "is_active")
    search_fields = ("name",)


@admin.register(ProposalEvent)
class ProposalEventAdmin(admin.ModelAdmin):
    """The event log is append-only: the admin may read it, never change it."""

    list_display = ("created_at", "proposal", "action", "actor", "from_status", "to_status")
    list_filter = ("action",)
    list_select_related = ("proposal", "actor")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy

from . import event_visibility
from .models import AssessmentRubric, CalendarDay, Category, ExportJob, Meeting, ProposalEvent

# what the meeting's reply letters print besides their text (replies/letter_parts.py)
LETTER_POLICY_FIELDS = (
    "letter_class_mark_shown",
    "letter_class_mark_labels",
    "letter_class_mark_brackets",
    "letter_disclosure_mark_shown",
    "letter_public_wording",
    "letter_withheld_wording",
    "letter_signer_placement",
)


@admin.register(Meeting)
class MeetingAdmin(admin.ModelAdmin):
    list_display = ("short_name", "body", "year", "submission_opens_at", "submission_closes_at")
    list_filter = ("body", "year")
    search_fields = ("name", "short_name")

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        fields = [f for f in self.get_fields(request, obj) if f not in LETTER_POLICY_FIELDS]
        return [
            (None, {"fields": fields}),
            (
                gettext_lazy("答复函的标注"),
                {
                    "fields": LETTER_POLICY_FIELDS,
                    "description": gettext_lazy(
                        "答复函左上角的答复类别和公开属性、签发人是否印出及其印法。"
                    ),
                },
            ),
        ]


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
    # the note only as the item page would show it to this person (event_visibility)
    exclude = ("note",)
    readonly_fields = ("shown_note",)

    def get_object(self, request: HttpRequest, object_id: str, from_field: Any = None) -> Any:
        event = super().get_object(request, object_id, from_field)
        if event is not None:
            # the display below has no request: the reader travels with this one object
            event.note_viewer = event_visibility.viewer_of(request.user, event.proposal)
        return event

    @admin.display(description=gettext_lazy("说明"))
    def shown_note(self, event: ProposalEvent) -> str:
        viewer = getattr(event, "note_viewer", None)
        return event_visibility.shown_note(viewer, event) if viewer is not None else ""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


# 考评细则 (proposals/models/assessment.py): the weights of the unit scorecards' assessment score


@admin.register(AssessmentRubric)
class AssessmentRubricAdmin(admin.ModelAdmin):
    """The administrator sets the weights; the scorecards page uses the year's active rubric."""

    list_display = (
        "year",
        "name",
        "is_active",
        "on_time",
        "class_a",
        "satisfaction",
        "face_to_face",
        "disclosure",
        "rehandling_penalty",
        "updated_at",
    )
    list_filter = ("is_active", "year")
    search_fields = ("name",)
    fieldsets = (
        (None, {"fields": ("name", "year", "is_active")}),
        (
            gettext_lazy("权重"),
            {
                "fields": ("on_time", "class_a", "satisfaction", "face_to_face", "disclosure"),
                "description": gettext_lazy(
                    "得分 = 100 × Σ（权重 × 比率）÷ Σ 权重（只计该单位已有数据的比率），"
                    "再减去每件重新办理的扣分，在 0 至 100 分之间。"
                ),
            },
        ),
        (gettext_lazy("扣分"), {"fields": ("rehandling_penalty",)}),
    )


@admin.register(ExportJob)
class ExportJobAdmin(admin.ModelAdmin):
    """Background exports, to see stuck or failed ones; written only by their task. Jobs older
    than EXPORT_KEEP_DAYS are purged daily (proposals.tasks.purge_old_exports)."""

    list_display = ("created_at", "owner", "kind", "status", "done", "total", "attempts")
    list_filter = ("status", "kind")
    list_select_related = ("owner",)
    search_fields = ("owner__username", "owner__full_name")
    readonly_fields = [field.name for field in ExportJob._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

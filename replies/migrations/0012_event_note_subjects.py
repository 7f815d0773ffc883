"""Fill in whom the earlier events' notes concern (ProposalEvent.unit and .member, added by
proposals 0020), so that a unit keeps reading its own 退回/延期 reasons, send-back comments and
ratings on the timeline (proposals/event_visibility.py); a note whose unit cannot be told stays
for the supervisory office only.

This completes the rows, it changes nothing of what they record (the log stays append-only in
content): from the step's actor when a unit's person took it, else from the request, reply or
evaluation the step decided."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import migrations

# the kinds whose note event_visibility restricts
RESTRICTED = (
    "return_requested",
    "return_leader_approved",
    "return_leader_refused",
    "return_refused",
    "extension_requested",
    "extension_leader_approved",
    "extension_leader_refused",
    "extension_approved",
    "extension_refused",
    "co_opinion_sent_back",
    "reply_sent_back",
    "reply_approved",
    "reply_class_changed",
    "evaluated",
    "evaluation_entered",
    "evaluation_revised",
)
UNIT_ROLES = ("unit_staff", "unit_leader")


def _nearest(candidates: list[Any], when: datetime, moment: str) -> Any:
    """The candidate whose `moment` is closest to the event's time (None: no candidate)."""
    dated = [c for c in candidates if getattr(c, moment) is not None]
    if not dated:
        return None
    return min(dated, key=lambda c: abs((getattr(c, moment) - when).total_seconds()))


def fill_event_subjects(apps: Any, schema_editor: Any) -> None:
    Event = apps.get_model("proposals", "ProposalEvent")
    User = apps.get_model("accounts", "User")
    ReturnRequest = apps.get_model("proposals", "ReturnRequest")
    ExtensionRequest = apps.get_model("proposals", "ExtensionRequest")
    Reply = apps.get_model("replies", "Reply")
    Evaluation = apps.get_model("replies", "Evaluation")

    pending = Event.objects.filter(action__in=RESTRICTED, unit__isnull=True)
    # a step a unit's person took concerns their unit
    unit_people = dict(
        User.objects.filter(role__in=UNIT_ROLES, unit__isnull=False).values_list("pk", "unit_id")
    )
    changed: list[Any] = []
    for event in pending.select_related("actor").iterator(chunk_size=2000):
        actor = event.actor
        item = event.proposal_id
        if event.actor_id in unit_people:
            event.unit_id = unit_people[event.actor_id]
        elif event.action == "evaluated" and not event.to_status and actor is not None:
            # a member's own rating: the note starts with the rated unit's short name
            event.member_id = actor.pk
            given = Evaluation.objects.filter(reply__proposal_id=item, evaluator_id=actor.pk)
            rated = [e for e in given.select_related("reply__unit")]
            matching = [e for e in rated if event.note.startswith(f"{e.reply.unit.short_name}：")]
            found = _nearest(matching, event.created_at, "submitted_at")
            event.unit_id = found.reply.unit_id if found else None
        elif event.action in ("evaluation_entered", "evaluation_revised"):
            by = {"entered_by_id": event.actor_id, "on_paper": True}
            moment = "submitted_at"
            if event.action == "evaluation_revised":
                by, moment = {"revised_by_id": event.actor_id}, "revised_at"
            candidates = [
                e
                for e in Evaluation.objects.filter(reply__proposal_id=item, **by).select_related(
                    "evaluator", "reply"
                )
                if event.note.startswith(e.evaluator.full_name)
            ]
            found = _nearest(candidates, event.created_at, moment)
            if found is not None:
                event.member_id, event.unit_id = found.evaluator_id, found.reply.unit_id
        elif event.action in ("return_refused", "extension_approved", "extension_refused"):
            model = ReturnRequest if event.action == "return_refused" else ExtensionRequest
            requests = model.objects.filter(
                assignment__proposal_id=item, supervisor_id=event.actor_id
            ).select_related("assignment")
            found = _nearest(list(requests), event.created_at, "decided_at")
            event.unit_id = found.assignment.unit_id if found else None
        elif event.action in ("reply_sent_back", "reply_approved", "reply_class_changed"):
            replies = list(Reply.objects.filter(proposal_id=item).exclude(assignment__role="co"))
            units = {reply.unit_id for reply in replies}
            if len(units) == 1:
                event.unit_id = units.pop()
            elif event.action != "reply_sent_back":
                reviewed = [r for r in replies if r.reviewed_by_id == event.actor_id]
                found = _nearest(reviewed, event.created_at, "reviewed_at")
                event.unit_id = found.unit_id if found else None
        if event.unit_id is not None or event.member_id is not None:
            changed.append(event)
        if len(changed) >= 1000:
            _save(Event, changed)
            changed = []
    _save(Event, changed)


def _save(Event: Any, events: list[Any]) -> None:
    # the plain manager: the model's own refuses any update, and this one only completes rows
    if events:
        Event._base_manager.bulk_update(events, ["unit", "member"])


class Migration(migrations.Migration):
    dependencies = [
        ("replies", "0011_follow_up_ended"),
        ("proposals", "0020_event_note_subjects"),
    ]

    operations = [migrations.RunPython(fill_event_subjects, migrations.RunPython.noop)]

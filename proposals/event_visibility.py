"""Who may read the note of an item's event: the one rule every surface applies.

An event's note often carries what the item page shows only to some people: a unit's 退回 or
延期 reason, a leader's or the office's send-back comment, a member's ratings. Whoever may see
the item sees that the event happened (the timeline must still make sense: “申请退回” with no
reason); its note only reaches the people the page's own section shows the underlying data to:

- 退回/延期 requests and their decisions (`ITEM_REQUEST`): the unit that asked and the
  supervisory office, as the page's request list (`handling_context`); never the members,
  other units nor the administrator (the list is not shown to them either). 同意退回 is the
  exception: it says which unit takes the item over, as the assignment table does to all.
- a co-handling opinion sent back by the unit's leader (`UNIT_ONLY`): that co-handling unit
  only, the only one that sees its opinion before it is sent.
- a reply sent back, approved or re-classed in review (`REPLY_REVIEW`): the unit whose reply it
  is (the reply page shows the send-back comment to it alone) and the supervisory office for
  its own review steps, not for a unit leader's internal send-back.
- a rating (`EVALUATION`): the member who gave it, the unit whose reply was rated, the
  supervisory office and the administrator, as the evaluation section (`evaluation_context`);
  never the other co-signers nor the other (co-)handling units.
- everything else (`ITEM`): whoever may see the item.

Surfaces: the item page timeline (`events_for`), notices and their e-mails (`notify_event`),
the API's item detail (`event_records`, api/detail.py). Exports and the public portal carry no event notes at all.
Events written before the unit and member were recorded got them from a data migration
(replies 0012); one whose unit could not be told (`unit` empty) shows a restricted note to the
supervisory office (and administrator, for ratings) only: failing closed.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from django.urls import reverse
from django.utils.translation import gettext_noop

from accounts.language import Text

from .models import EventAction, Proposal, ProposalEvent

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from accounts.models import User


class NoteReaders(StrEnum):
    """Who, among those who may see the item, may read an event's note."""

    ITEM = "item"
    ITEM_REQUEST = "item_request"
    UNIT_ONLY = "unit_only"
    REPLY_REVIEW = "reply_review"
    EVALUATION = "evaluation"


# every action whose note is not for whoever sees the item; the rest are NoteReaders.ITEM
RESTRICTED: dict[str, NoteReaders] = {
    EventAction.RETURN_REQUESTED: NoteReaders.ITEM_REQUEST,
    EventAction.RETURN_LEADER_APPROVED: NoteReaders.ITEM_REQUEST,
    EventAction.RETURN_LEADER_REFUSED: NoteReaders.ITEM_REQUEST,
    EventAction.RETURN_REFUSED: NoteReaders.ITEM_REQUEST,
    EventAction.EXTENSION_REQUESTED: NoteReaders.ITEM_REQUEST,
    EventAction.EXTENSION_LEADER_APPROVED: NoteReaders.ITEM_REQUEST,
    EventAction.EXTENSION_LEADER_REFUSED: NoteReaders.ITEM_REQUEST,
    EventAction.EXTENSION_APPROVED: NoteReaders.ITEM_REQUEST,
    EventAction.EXTENSION_REFUSED: NoteReaders.ITEM_REQUEST,
    EventAction.CO_OPINION_SENT_BACK: NoteReaders.UNIT_ONLY,
    EventAction.REPLY_SENT_BACK: NoteReaders.REPLY_REVIEW,
    EventAction.REPLY_APPROVED: NoteReaders.REPLY_REVIEW,
    EventAction.REPLY_CLASS_CHANGED: NoteReaders.REPLY_REVIEW,
    EventAction.EVALUATED: NoteReaders.EVALUATION,
    EventAction.EVALUATION_ENTERED: NoteReaders.EVALUATION,
    EventAction.EVALUATION_REVISED: NoteReaders.EVALUATION,
}


def note_readers(action: str) -> NoteReaders:
    return RESTRICTED.get(action, NoteReaders.ITEM)


@dataclass(frozen=True)
class Viewer:
    """A person's relation to one item, as far as event notes care."""

    user_id: int | None
    # the viewer's unit, for unit staff and leaders only
    unit_id: int | None
    # a supervisor of the item's body (督办)
    supervises: bool
    administrator: bool


def viewer_of(user: User | AnonymousUser | None, proposal: Proposal) -> Viewer:
    """The relation of `user` to `proposal`; anonymous (the public) reads no restricted note."""
    if user is None or not user.is_authenticated:
        return Viewer(user_id=None, unit_id=None, supervises=False, administrator=False)
    return Viewer(
        user_id=user.pk,
        unit_id=user.unit_id if user.is_unit_user else None,
        supervises=user.is_supervisor and proposal.meeting.body in user.supervised_bodies(),
        administrator=user.is_administrator,
    )


def may_read_note(viewer: Viewer, event: ProposalEvent) -> bool:
    """Whether the viewer (who may see the item) may read the event's note."""
    readers = note_readers(event.action)
    own_unit = viewer.unit_id is not None and viewer.unit_id == event.unit_id
    if readers == NoteReaders.ITEM:
        return True
    if readers == NoteReaders.ITEM_REQUEST:
        return viewer.supervises or own_unit
    if readers == NoteReaders.UNIT_ONLY:
        return own_unit
    if readers == NoteReaders.REPLY_REVIEW:
        # the office reads its own review steps, not a unit leader's send-back to its staff
        by_office = event.action != EventAction.REPLY_SENT_BACK or (
            event.actor is not None and event.actor.is_supervisor
        )
        return own_unit or (viewer.supervises and by_office)
    # EVALUATION; its status change (全部答复均已测评, no unit) rates nobody
    if event.action == EventAction.EVALUATED and event.unit_id is None and event.to_status:
        return True
    given = viewer.user_id is not None and viewer.user_id == event.member_id
    return given or own_unit or viewer.supervises or viewer.administrator


def shown_note(viewer: Viewer, event: ProposalEvent) -> str:
    """The note as this viewer may read it: the note, or nothing."""
    return event.localized_note() if may_read_note(viewer, event) else ""


def events_for(user: User | AnonymousUser | None, proposal: Proposal) -> list[ProposalEvent]:
    """The item's timeline for `user` (who may see the item): every event, each with
    `shown_note`, its note or "" where the user may not read it."""
    viewer = viewer_of(user, proposal)
    events = list(proposal.events.select_related("actor"))
    for event in events:
        event.shown_note = shown_note(viewer, event)  # type: ignore[attr-defined]
    return events


def event_records(user: User | AnonymousUser | None, proposal: Proposal) -> list[dict[str, Any]]:
    """The timeline as plain data, for the API: what `events_for` shows, nothing more."""
    return [
        {
            "time": event.created_at.isoformat(),
            "action": event.action,
            "label": str(event.get_action_display()),
            "actor": event.actor.full_name if event.actor else "",
            "from_status": event.from_status,
            "to_status": event.to_status,
            "note": event.shown_note,  # type: ignore[attr-defined]
        }
        for event in events_for(user, proposal)
    ]


def notify_event(
    event: ProposalEvent,
    recipients: list[User],
    with_note: str | Text,
    without_note: str | Text,
    *,
    url: str = "",
) -> None:
    """Notify about an event whose message quotes its note: `with_note` to the recipients who
    may read the note, `without_note` to the others (the notice's e-mail is its copy)."""
    from accounts.notifications import notify

    proposal = event.proposal
    readers: list[User] = []
    others: list[User] = []
    for person in recipients:
        (readers if may_read_note(viewer_of(person, proposal), event) else others).append(person)
    link = url or reverse("proposals:detail", args=[proposal.pk])
    if readers:
        notify(readers, about_item(proposal, with_note), link)
    if others:
        notify(others, about_item(proposal, without_note), link)


def about_item(proposal: Proposal, message: str | Text) -> Text:
    """A notice about an item: its title, then the message (in each reader's language)."""
    return Text(gettext_noop("《%(title)s》%(message)s"), title=proposal.title, message=message)

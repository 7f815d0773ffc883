"""Pieces every service uses: the event row, the row lock, dates in words, notices."""

from __future__ import annotations

from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from accounts.models import Unit, User
from accounts.notifications import notify

from ..models import Proposal, ProposalEvent, ProposalStatus


def record_event(
    proposal: Proposal,
    actor: User | None,
    action: str,
    *,
    from_status: str = "",
    to_status: str = "",
    note: str = "",
    unit: Unit | None = None,
    member: User | None = None,
) -> ProposalEvent:
    """Append one row to the item's event log (in the caller's transaction).

    `unit` and `member`: whom the note concerns (the unit whose request, reply, opinion or
    rating it is; the member whose rating it is), so that event_visibility can tell who may
    read the note."""
    return ProposalEvent.objects.create(
        proposal=proposal,
        actor=actor,
        action=action,
        from_status=from_status,
        to_status=to_status,
        note=note,
        unit=unit,
        member=member,
    )


def lock_proposal(proposal: Proposal) -> Proposal:
    """Re-read the item under a row lock so that concurrent steps see each other."""
    return Proposal.objects.select_for_update().get(pk=proposal.pk)


def require_handling_open(proposal: Proposal) -> None:
    """Refuse any change of an item whose handling ended: 已办结, or 已撤案 by the lead.

    Call it on the row that `lock_item` or `lock_proposal` returned: 办结 holds the same lock, so
    a step racing with it waits and then sees the closed item."""
    if proposal.status == ProposalStatus.CLOSED:
        raise ValidationError(
            _("这件%(kind)s已办结，不能再作任何更改。") % {"kind": proposal.get_kind_display()}
        )
    if proposal.status == ProposalStatus.WITHDRAWN:
        raise ValidationError(
            _("这件%(kind)s已撤案，办理已经终止，不能再作更改。")
            % {"kind": proposal.get_kind_display()}
        )


def lock_item(proposal_id: int) -> Proposal:
    """Lock the item's row before any of its parts (assignment, request, opinion, contact,
    reply, evaluation, follow-up) and refuse if its handling ended.

    Every write on an item takes this lock first, so writes on one item queue in one order
    (no deadlock between a unit's step and 办结) and none slips in after 办结."""
    proposal = Proposal.objects.select_for_update().get(pk=proposal_id)
    require_handling_open(proposal)
    return proposal


def index_proposal(proposal: Proposal) -> None:
    """Keep the item's search terms in step with its title and body."""
    from .. import search

    search.update_vectors(Proposal, [(proposal.pk, proposal.title, proposal.body)])


def local_time(moment: datetime) -> str:
    return date_format(timezone.localtime(moment), "DATETIME_FORMAT")


def local_date(day: date) -> str:
    return date_format(day, "DATE_FORMAT")


def signers(proposal: Proposal) -> list[User]:
    """The lead submitter and every confirmed co-signer."""
    from ..models import CoSignerStatus

    cosigners = User.objects.filter(
        cosignatures__proposal=proposal, cosignatures__status=CoSignerStatus.CONFIRMED
    )
    return [proposal.lead, *cosigners]


def notify_about(
    proposal: Proposal, recipients: list[User], message: str, *, url: str = ""
) -> None:
    """Notify people about a step on an item, linking to `url` or else the item's page."""
    notify(
        recipients,
        f"《{proposal.title}》{message}",
        url or reverse("proposals:detail", args=[proposal.pk]),
    )

"""Pieces every service uses: the event row, the row lock, dates in words, notices."""

from __future__ import annotations

from datetime import date, datetime

from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from accounts.models import User
from accounts.notifications import notify

from ..models import Proposal, ProposalEvent


def record_event(
    proposal: Proposal,
    actor: User | None,
    action: str,
    *,
    from_status: str = "",
    to_status: str = "",
    note: str = "",
) -> ProposalEvent:
    """Append one row to the item's event log (in the caller's transaction)."""
    return ProposalEvent.objects.create(
        proposal=proposal,
        actor=actor,
        action=action,
        from_status=from_status,
        to_status=to_status,
        note=note,
    )


def lock_proposal(proposal: Proposal) -> Proposal:
    """Re-read the item under a row lock so that concurrent steps see each other."""
    return Proposal.objects.select_for_update().get(pk=proposal.pk)


def index_proposal(proposal: Proposal) -> None:
    """Keep the item's search terms in step with its title and body."""
    from .. import search

    search.update_vectors(Proposal, [(proposal.pk, proposal.title, proposal.body)])


def local_time(moment: datetime) -> str:
    return date_format(timezone.localtime(moment), "Y年n月j日 H:i")


def local_date(day: date) -> str:
    return date_format(day, "Y年n月j日")


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

"""The item as its page shows it to one person: the same context functions the page calls
(proposals.views.items.proposal_detail), turned into the data the API serializes."""

from __future__ import annotations

from typing import Any

from proposals.event_visibility import event_records
from proposals.models import CoSignerStatus, Proposal, ProposalStatus
from proposals.views.handling import handling_context
from replies.permissions import evaluations_for_user


class ItemDetail:
    """The item's fields, and the page's sections for one user beside them."""

    def __init__(self, proposal: Proposal, sections: dict[str, Any]) -> None:
        self._proposal = proposal
        self.__dict__.update(sections)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._proposal, name)


def item_detail(user: Any, proposal: Proposal) -> Any:
    """`proposal` (which the user may see) with the page's sections for this user beside it:
    cosigners, attachments, the timeline (notes hidden where the page hides them), the
    handling sections of `handling_context` and the ratings the user may read."""
    cosigners = list(proposal.cosigners.select_related("member", "proposal"))
    confirmed = [c for c in cosigners if c.status == CoSignerStatus.CONFIRMED]
    is_signer = proposal.lead_id == user.pk or any(c.member_id == user.pk for c in confirmed)
    handling = handling_context(user, proposal, is_signer=is_signer)
    visible = Proposal.objects.for_user(user)
    merged_into = (
        visible.filter(pk=proposal.merged_into_id).values_list("pk", flat=True).first()
        if proposal.merged_into_id
        else None
    )
    replies = list(handling["replies"])
    extra: dict[str, Any] = {
        "cosigners": cosigners,
        "attachments": list(proposal.attachments.all()),
        "timeline": event_records(user, proposal),
        "visible_merged_into": merged_into,
        "assignments": handling["assignments"],
        "co_opinions": list(handling["co_opinions"]),
        "contacts": handling["contacts"],
        "return_requests": handling["return_requests"],
        "extension_requests": handling["extension_requests"],
        "replies": replies,
        "evaluations": list(
            evaluations_for_user(user)
            .filter(reply__in=[reply.pk for reply in replies])
            .select_related("evaluator")
            .order_by("submitted_at", "pk")
        )
        if proposal.status != ProposalStatus.DRAFT
        else [],
    }
    return ItemDetail(proposal, extra)

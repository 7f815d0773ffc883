"""Object-level access. One fetch function per object type.

A missing object and an object the user may not see get the same answer (404); an object the
user may see but not change gets 403 when `write=True`.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from accounts.models import SupervisorScope, User

from .models import (
    Assignment,
    Attachment,
    ContactRecord,
    CoOpinion,
    CoSigner,
    CoSignerStatus,
    ExtensionRequest,
    Proposal,
    ProposalStatus,
    ReturnRequest,
    UrgingNotice,
)


def can_edit(user: User | Any, proposal: Proposal) -> bool:
    return proposal.lead_id == user.pk and proposal.status == ProposalStatus.DRAFT


def can_review(user: User | Any, proposal: Proposal) -> bool:
    return (
        getattr(user, "is_supervisor", False)
        and proposal.meeting.body in user.supervised_bodies()
        and proposal.status == ProposalStatus.SUBMITTED
    )


def can_withdraw(user: User | Any, proposal: Proposal) -> bool:
    from .services import WITHDRAWABLE

    return proposal.lead_id == user.pk and proposal.status in WITHDRAWABLE


def get_proposal_for_user(user: User | Any, pk: int, *, write: bool = False) -> Proposal:
    """The item if the user may see it (404 otherwise); with write=True also may edit it (403)."""
    proposal = (
        Proposal.objects.for_user(user)
        .select_related(
            "meeting", "category__parent", "lead", "lead__member_profile", "merged_into"
        )
        .filter(pk=pk)
        .first()
    )
    if proposal is None:
        raise Http404(_("没有找到这件建议提案。"))
    if write and not can_edit(user, proposal):
        raise PermissionDenied(_("您不能修改这件建议提案。"))
    return proposal


def get_proposal_for_review(user: User | Any, pk: int) -> Proposal:
    """The item for 立案审查: visible to the supervisor (404) and awaiting review (403)."""
    proposal = get_proposal_for_user(user, pk)
    if not getattr(user, "is_supervisor", False):
        raise PermissionDenied(_("只有督办人员可以审查。"))
    return proposal


def get_attachment_for_user(user: User | Any, pk: int) -> Attachment:
    """An attachment is visible exactly when its item is."""
    visible = Proposal.objects.for_user(user).values("pk")
    attachment = (
        Attachment.objects.select_related("proposal").filter(pk=pk, proposal__in=visible).first()
    )
    if attachment is None:
        raise Http404(_("没有找到这个附件。"))
    return attachment


def get_cosigner_for_invitee(user: User | Any, pk: int) -> CoSigner:
    """An invitation, for the invited member only."""
    cosigner = (
        CoSigner.objects.select_related("proposal", "proposal__meeting", "member")
        .filter(pk=pk, member_id=getattr(user, "pk", None))
        .first()
    )
    if cosigner is None:
        raise Http404(_("没有找到这项联名邀请。"))
    return cosigner


def get_cosigner_for_lead(user: User | Any, pk: int) -> CoSigner:
    """An invitation, for the lead of its item."""
    cosigner = (
        CoSigner.objects.select_related("proposal", "proposal__meeting", "member")
        .filter(pk=pk, proposal__lead_id=getattr(user, "pk", None))
        .first()
    )
    if cosigner is None or cosigner.status not in (
        CoSignerStatus.INVITED,
        CoSignerStatus.CONFIRMED,
    ):
        raise Http404(_("没有找到这项联名邀请。"))
    return cosigner


# --- handling --------------------------------------------------------------------------------


def get_assignment_for_unit(user: User | Any, pk: int) -> Assignment:
    """An assignment of the user's own unit; anything else is a 404."""
    assignment = (
        Assignment.objects.select_related("proposal", "proposal__meeting", "unit")
        .filter(pk=pk, unit_id=getattr(user, "unit_id", None) or 0)
        .first()
    )
    if assignment is None or not getattr(user, "is_unit_user", False):
        raise Http404(_("没有找到这项交办。"))
    return assignment


def _get_request_for_user(model: Any, user: User | Any, pk: int) -> Any:
    request = (
        model.objects.select_related(
            "assignment",
            "assignment__unit",
            "assignment__proposal",
            "assignment__proposal__meeting",
            "requested_by",
        )
        .filter(pk=pk)
        .first()
    )
    if request is None:
        raise Http404(_("没有找到这项申请。"))
    assignment = request.assignment
    own_unit = getattr(user, "is_unit_user", False) and user.unit_id == assignment.unit_id
    supervises = assignment.proposal.meeting.body in getattr(user, "supervised_bodies", list)()
    if not (own_unit or supervises):
        raise Http404(_("没有找到这项申请。"))
    return request


def get_return_request_for_user(user: User | Any, pk: int) -> ReturnRequest:
    """A return request, for its unit's people and the supervisors of its body."""
    return _get_request_for_user(ReturnRequest, user, pk)  # type: ignore[no-any-return]


def get_extension_request_for_user(user: User | Any, pk: int) -> ExtensionRequest:
    """An extension request, for its unit's people and the supervisors of its body."""
    return _get_request_for_user(ExtensionRequest, user, pk)  # type: ignore[no-any-return]


def get_co_opinion_for_leader(user: User | Any, pk: int) -> CoOpinion:
    """A co-handling opinion, for the leader of the unit that wrote it (404 for anyone else)."""
    opinion = (
        CoOpinion.objects.select_related("assignment", "assignment__unit", "assignment__proposal")
        .filter(pk=pk, assignment__unit_id=getattr(user, "unit_id", None) or 0)
        .first()
    )
    if opinion is None or not getattr(user, "is_unit_user", False):
        raise Http404(_("没有找到这份会办意见。"))
    if not user.is_unit_leader:
        raise PermissionDenied(_("会办意见须由单位负责人审核。"))
    return opinion


def get_contact_for_signer(user: User | Any, pk: int) -> ContactRecord:
    """A contact record, for the signers of its item (the lead submitter and co-signers)."""
    record = (
        ContactRecord.objects.select_related(
            "assignment", "assignment__proposal", "assignment__unit"
        )
        .filter(pk=pk)
        .first()
    )
    if record is None:
        raise Http404(_("没有找到这条沟通记录。"))
    proposal = record.assignment.proposal
    is_signer = (
        proposal.lead_id == getattr(user, "pk", None)
        or proposal.cosigners.filter(
            member_id=getattr(user, "pk", None), status=CoSignerStatus.CONFIRMED
        ).exists()
    )
    if not is_signer:
        raise Http404(_("没有找到这条沟通记录。"))
    return record


def get_proposal_for_assignment(user: User | Any, pk: int) -> Proposal:
    """An item to assign (交办): visible to the supervisor (404), and the user a supervisor (403)."""
    proposal = get_proposal_for_user(user, pk)
    if not getattr(user, "is_supervisor", False):
        raise PermissionDenied(_("只有督办人员可以交办。"))
    return proposal


# --- 催办通知 --------------------------------------------------------------------------------


def urging_notices_for(user: User | Any) -> QuerySet[UrgingNotice]:
    """Notices the user may read. A notice lists the overdue items its sender supervises, so a
    supervisor reads those of senders whose bodies are all theirs (a 人大 supervisor does not
    read one listing 政协 items); a unit reads the notices sent to it."""
    notices = UrgingNotice.objects.select_related("unit", "created_by")
    if getattr(user, "is_supervisor", False):
        if user.supervisor_scope == SupervisorScope.ALL:
            return notices
        return notices.filter(created_by__supervisor_scope=user.supervisor_scope)
    if getattr(user, "is_unit_user", False) and user.unit_id:
        return notices.filter(unit_id=user.unit_id)
    return notices.none()


def get_urging_notice_for_user(user: User | Any, pk: int) -> UrgingNotice:
    notice = urging_notices_for(user).filter(pk=pk).first()
    if notice is None:
        raise Http404(_("没有找到这份催办通知。"))
    return notice

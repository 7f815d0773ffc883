"""Who may see and change a reply. 404 for anyone without a right to it; 403 for read-only."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from accounts.models import SupervisorScope
from proposals.models import CoSignerStatus, Proposal

from .models import Reply, ReplyStatus

PUBLISHED = (ReplyStatus.SENT, ReplyStatus.SUPERSEDED)


def replies_for_user(user: Any) -> QuerySet[Reply]:
    """Replies the user may read.

    - the replying unit's people: all of their unit's replies, drafts included;
    - the other units handling the same item: sent replies of that item;
    - supervisors: every reply of their bodies' items once it left the unit (送签 onwards is
      internal to the unit, so drafts only when in review or sent);
    - the lead submitter and confirmed co-signers: sent replies of their items;
    - administrators: sent replies.
    """
    if not getattr(user, "is_authenticated", False):
        return Reply.objects.none()
    base = Reply.objects.all()
    if user.is_unit_user:
        handled = Proposal.objects.for_user(user).values("pk")
        return base.filter(Q(unit_id=user.unit_id) | Q(proposal__in=handled, status__in=PUBLISHED))
    if user.is_supervisor:
        left_the_unit = base.filter(status__in=[ReplyStatus.IN_REVIEW, *PUBLISHED])
        if user.supervisor_scope == SupervisorScope.ALL:
            return left_the_unit  # every body: no join on the item and meeting needed
        return left_the_unit.filter(proposal__meeting__body__in=user.supervised_bodies())
    if user.is_member:
        signed = Q(proposal__lead=user) | Q(
            proposal__cosigners__member=user, proposal__cosigners__status=CoSignerStatus.CONFIRMED
        )
        return base.filter(signed, status__in=PUBLISHED).distinct()
    if user.is_administrator:
        return base.filter(status__in=PUBLISHED)
    return base.none()


def replies_of_visible_item(user: Any, proposal: Proposal, *, is_signer: bool) -> QuerySet[Reply]:
    """The replies of one item that the user may read, for a user already allowed to see the
    item (the item page has checked): the same rows as
    `replies_for_user(user).filter(proposal=proposal)` without its scope subqueries, which the
    item page paid for on every view (bench/load.py). `is_signer`: the user leads the item or
    co-signs it (confirmed)."""
    replies = Reply.objects.filter(proposal=proposal)
    if not getattr(user, "is_authenticated", False):
        return replies.none()
    if user.is_unit_user:  # seeing the item means their unit handles it
        return replies.filter(Q(unit_id=user.unit_id) | Q(status__in=PUBLISHED))
    if user.is_supervisor:  # seeing the item means it is of a body they supervise
        return replies.filter(status__in=[ReplyStatus.IN_REVIEW, *PUBLISHED])
    if user.is_member:
        return replies.filter(status__in=PUBLISHED) if is_signer else replies.none()
    if user.is_administrator:
        return replies.filter(status__in=PUBLISHED)
    return replies.none()


def get_reply_for_user(user: Any, pk: int, *, write: bool = False) -> Reply:
    """The reply if the user may read it (404 otherwise); with write=True also edit it (403)."""
    reply = (
        replies_for_user(user)
        .select_related("proposal", "proposal__meeting", "proposal__lead", "unit", "assignment")
        .filter(pk=pk)
        .first()
    )
    if reply is None:
        raise Http404(_("没有找到这份答复。"))
    if write and not (
        user.is_unit_user and user.unit_id == reply.unit_id and reply.status == ReplyStatus.DRAFT
    ):
        raise PermissionDenied(_("这份答复现在不能由您修改。"))
    return reply


def evaluations_for_user(user: Any) -> QuerySet[Any]:
    """The ratings (满意度测评) the user may read, by the item page's rule
    (replies.views.evaluation_context): a member only their own, a unit's people those of
    their unit's replies, supervisors and administrators all of them; anyone else none.
    Combine with the replies the user may read (`replies_for_user`)."""
    from .models import Evaluation

    evaluations = Evaluation.objects.all()
    if not getattr(user, "is_authenticated", False):
        return evaluations.none()
    if user.is_member:
        return evaluations.filter(evaluator=user)
    if user.is_unit_user:
        return evaluations.filter(reply__unit_id=user.unit_id or 0)
    if user.is_supervisor or user.is_administrator:
        return evaluations
    return evaluations.none()

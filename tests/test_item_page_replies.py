"""The item page lists an item's replies without the reply scope's subqueries
(replies.permissions.replies_of_visible_item): for everybody who may see an item, the same
replies as `replies_for_user(user)` restricted to that item, over the demo's items."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from accounts.models import Role, User
from proposals.models import Assignment, CoSignerStatus, Proposal
from replies import services as reply_services
from replies.models import Reply, ReplyStatus
from replies.permissions import replies_for_user, replies_of_visible_item


@pytest.mark.django_db
def test_the_item_page_lists_the_replies_the_reply_scope_allows():
    call_command("seed_demo", items=150, seed=7, stdout=io.StringIO())
    # the generated replies are sent: some units start drafts too, and one is in review
    waiting = Assignment.objects.filter(status="accepted", replies__isnull=True).exclude(role="co")
    for assignment in waiting.select_related("unit")[:12]:
        staff = User.objects.filter(unit=assignment.unit, role=Role.UNIT_STAFF).first()
        if staff is not None:
            reply_services.reply_start(assignment=assignment, actor=staff)
    Reply.objects.filter(pk=Reply.objects.filter(status="draft").first().pk).update(
        status=ReplyStatus.IN_REVIEW
    )
    assert {ReplyStatus.DRAFT, ReplyStatus.IN_REVIEW, ReplyStatus.SENT} <= set(
        Reply.objects.values_list("status", flat=True)
    )
    unpublished = set(
        Reply.objects.exclude(status=ReplyStatus.SENT).values_list("proposal_id", flat=True)
    )
    users = list(User.objects.filter(is_active=True).select_related("unit").order_by("pk"))
    compared = {"members": 0, "units": 0, "supervisors": 0, "unpublished": 0, "none": 0}
    for user in users:
        visible = Proposal.objects.for_user(user).exclude(status="draft").order_by("-pk")
        items = [*visible[:25], *visible.filter(pk__in=unpublished)]
        for item in items:
            signer = (
                item.lead_id == user.pk
                or item.cosigners.filter(member=user, status=CoSignerStatus.CONFIRMED).exists()
            )
            fast = set(replies_of_visible_item(user, item, is_signer=signer))
            scoped = set(replies_for_user(user).filter(proposal=item))
            assert fast == scoped, (user.username, item.pk)
            if user.is_member and fast:
                compared["members"] += 1
            if user.is_unit_user and fast:
                compared["units"] += 1
            if user.is_supervisor and fast:
                compared["supervisors"] += 1
            if any(
                reply.status not in (ReplyStatus.SENT, ReplyStatus.SUPERSEDED) for reply in fast
            ):
                compared["unpublished"] += 1
            if not fast and Reply.objects.filter(proposal=item).exists():
                compared["none"] += 1  # an item with replies of which the user may see none
    assert all(compared.values()), compared

"""What a member sees (Proposal.objects.for_user), now one UNION of index lookups, and similar
items found through title terms: the load benchmark found both scanning every item."""

from __future__ import annotations

import pytest

from proposals import search, services
from proposals.models import CoSignerStatus, Proposal

from .factories import MemberFactory


def draft(lead, meeting, category, title):
    return services.proposal_create(
        author=lead, meeting=meeting, title=title, body="建议研究落实。", category=category
    )


def submitted(lead, meeting, category, title):
    return services.proposal_submit(proposal=draft(lead, meeting, category, title), actor=lead)


@pytest.mark.django_db
def test_a_member_sees_what_they_lead_cosign_or_share_by_merging_and_nothing_else(
    member, other_member, npc_supervisor, npc_meeting, npc_category
):
    third = MemberFactory(username="chenmin", full_name="陈敏")
    led = draft(member, npc_meeting, npc_category, "关于甲的建议")

    def invited_by_other(title: str, answer: str | None) -> Proposal:
        item = draft(other_member, npc_meeting, npc_category, title)
        invitation = services.cosigner_invite(proposal=item, actor=other_member, member=member)
        if answer is not None:
            services.cosigner_respond(
                cosigner=invitation, actor=member, accept=answer == CoSignerStatus.CONFIRMED
            )
        return item

    invited = invited_by_other("关于乙的建议", None)
    confirmed = invited_by_other("关于丙的建议", CoSignerStatus.CONFIRMED)
    declined = invited_by_other("关于丁的建议", CoSignerStatus.DECLINED)
    # 并案 both ways: the member's item merged into another's, another's merged into theirs
    mine_merged = submitted(member, npc_meeting, npc_category, "关于戊的建议")
    target = submitted(third, npc_meeting, npc_category, "关于己的建议")
    services.proposal_merge(proposal=mine_merged, actor=npc_supervisor, into=target)
    theirs_merged = submitted(third, npc_meeting, npc_category, "关于庚的建议")
    mine_target = submitted(member, npc_meeting, npc_category, "关于辛的建议")
    services.proposal_merge(proposal=theirs_merged, actor=npc_supervisor, into=mine_target)
    unrelated = submitted(third, npc_meeting, npc_category, "关于壬的建议")

    seen = set(Proposal.objects.for_user(member))
    assert seen == {led, invited, confirmed, mine_merged, target, theirs_merged, mine_target}
    assert declined not in seen and unrelated not in seen
    # the set still filters, orders and counts like any queryset
    drafts = Proposal.objects.for_user(member).filter(status="draft")
    assert set(drafts) == {led, invited, confirmed}
    assert Proposal.objects.for_user(member).count() == 7
    assert set(Proposal.objects.for_user(third)) == {
        target,
        mine_merged,
        theirs_merged,
        mine_target,
        unrelated,
    }


@pytest.mark.django_db
def test_similar_items_need_two_shared_terms_in_the_title_not_just_in_the_body(
    member, npc_meeting, npc_category
):
    item = submitted(member, npc_meeting, npc_category, "关于加强社区养老服务的建议")
    in_title = submitted(member, npc_meeting, npc_category, "关于完善社区养老设施的建议")
    in_body = services.proposal_submit(
        proposal=services.proposal_create(
            author=member,
            meeting=npc_meeting,
            title="关于规范停车收费的建议",
            body="社区养老服务也需要停车位。",
            category=npc_category,
        ),
        actor=member,
    )
    found = search.similar_items(item, Proposal.objects.all())
    assert in_title in found
    assert in_body not in found and item not in found

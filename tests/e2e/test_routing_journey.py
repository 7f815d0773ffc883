"""End to end, in a real browser: the supervisory office opens 待交办, sees the units the system
proposes for each item with their confidence and reasons, and assigns the batch by accepting every
proposal of at least 60 %; the item the system is unsure of stays for a person.

The starting data (units, a meeting, three registered items) is made with factories and services;
the steps after that go through the UI of the live server.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from proposals import services, suggestions
from proposals.models import AssignmentRole, Proposal, ProposalStatus, RoutingDecision
from tests.factories import CategoryFactory, MeetingFactory, MemberFactory, UnitFactory, UserFactory

from .journey import FACTORY_PASSWORD, login, messages, nav

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

CIVIL = "关于加强农村留守儿童关爱保护的建议"
ROADS = "关于加快农村公路养护和危桥改造的建议"
VAGUE = "关于进一步做好有关工作的建议"


def test_supervisor_accepts_the_proposals_of_the_batch(page: Page) -> None:
    suggestions.reset()
    meeting = MeetingFactory(body="npc", short_name="市十四届人大三次会议")
    category = CategoryFactory(body="npc", name="综合")
    member = MemberFactory(username="hehong", full_name="何红")
    office = UserFactory(
        username="npc_office", full_name="人大代表工委", role="supervisor", supervisor_scope="npc"
    )
    civil = UnitFactory(name="杭州市民政局", short_name="市民政局")
    roads = UnitFactory(name="杭州市交通运输局", short_name="市交通运输局")
    UnitFactory(name="杭州市教育局", short_name="市教育局")
    UnitFactory(name="杭州市公安局", short_name="市公安局")
    items = {}
    for title in (CIVIL, ROADS, VAGUE):
        item = services.proposal_create(
            author=member, meeting=meeting, title=title, body="正文", category=category
        )
        services.proposal_submit(proposal=item, actor=member)
        items[title] = services.proposal_register(proposal=item, actor=office)

    login(page, "npc_office", FACTORY_PASSWORD)
    nav(page, "待交办")
    expect(page.get_by_role("heading", name="待交办", level=1)).to_be_visible()
    # each row shows the proposed lead unit with a percentage, and the reasons on request
    civil_row = page.get_by_role("row").filter(has=page.get_by_role("link", name=CIVIL))
    expect(civil_row).to_contain_text("主办：市民政局")
    expect(civil_row).to_contain_text("%")
    civil_row.get_by_text("推荐理由").click()
    expect(civil_row).to_contain_text("职责相符")
    roads_row = page.get_by_role("row").filter(has=page.get_by_role("link", name=ROADS))
    expect(roads_row).to_contain_text("主办：市交通运输局")

    # none ticked: the batch takes every item of the (empty) filter whose proposal reaches 60 %
    threshold = page.get_by_label("采用置信度不低于")
    expect(threshold).to_have_value("60")
    page.get_by_role("button", name="按建议交办").click()
    expect(messages(page)).to_contain_text("已按建议交办 2 件")
    expect(messages(page)).to_contain_text("其余 1 件留待人工交办")
    # the unsure item is still waiting, the others are gone from the queue
    expect(page.get_by_role("link", name=VAGUE)).to_be_visible()
    expect(page.get_by_role("link", name=CIVIL)).to_have_count(0)

    statuses = {p.title: p.status for p in Proposal.objects.all()}
    assert statuses[CIVIL] == statuses[ROADS] == ProposalStatus.ASSIGNED
    assert statuses[VAGUE] == ProposalStatus.REGISTERED
    assert items[CIVIL].assignments.get(role=AssignmentRole.LEAD).unit == civil
    assert items[ROADS].assignments.get(role=AssignmentRole.LEAD).unit == roads
    assert RoutingDecision.objects.filter(accepted=True, mode="batch_adopt").count() == 2

    # the accuracy page counts them
    page.get_by_role("link", name="智能交办准确率").click()
    expect(page.get_by_role("heading", name="智能交办准确率")).to_be_visible()
    expect(page.locator(".accuracy-overall")).to_contain_text("采用率 100.0%")

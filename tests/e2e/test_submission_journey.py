"""End to end, in a real browser: a deputy drafts a suggestion, a colleague co-signs it, the
deputy submits it and the supervisory office registers it with its number.

Only the starting data is made with factories; every step after that goes through the UI of
the live server (pytest-django `live_server`, hence a transactional database).
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from proposals.models import CoSignerStatus, Proposal, ProposalStatus
from tests.factories import CategoryFactory, MeetingFactory, MemberFactory, UserFactory

from .journey import FACTORY_PASSWORD, login, logout, messages, nav

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

TITLE = "关于扩大普惠托育服务供给的建议"


def test_deputy_drafts_colleague_cosigns_office_registers(page: Page) -> None:
    # `page` is bound to live_server.url (see conftest), so paths below are relative to it
    # Given: an NPC meeting open for submissions now, a category, two deputies and the office
    MeetingFactory(
        body="npc",
        term=14,
        sitting=3,
        short_name="市十四届人大三次会议",
        name="测试市第十四届人民代表大会第三次会议",
        number_format="{prefix}{number}号",
    )
    CategoryFactory(body="npc", name="民政")
    MemberFactory(username="hehong", full_name="何红", profile__number_prefix="萧山")
    MemberFactory(username="wangjianguo", full_name="王建国", profile__delegation="上城代表团")
    UserFactory(
        username="npc_office", full_name="人大代表工委", role="supervisor", supervisor_scope="npc"
    )

    # When: 何红 writes a draft ...
    login(page, "hehong", FACTORY_PASSWORD)
    nav(page, "提出建议提案")
    expect(page.get_by_role("heading", name="提出建议提案")).to_be_visible()
    page.get_by_label("届次会议").select_option(label="市十四届人大三次会议")
    page.get_by_label("标题").fill(TITLE)
    page.get_by_label("类别").select_option(label="民政")
    page.get_by_label("内容").fill("建议加大普惠托育机构建设补贴，\n扩大社区托育点覆盖面。")
    page.get_by_role("button", name="保存草稿").click()
    # Then: the item page shows the draft
    expect(messages(page)).to_contain_text("草稿已保存")
    expect(page.get_by_role("heading", name=TITLE)).to_be_visible()
    expect(page.locator(".status-line .status")).to_have_text("草稿")

    # When: ... and invites 王建国 to co-sign
    page.get_by_role("link", name="邀请联名").click()
    page.get_by_label("姓名、代表团或界别").fill("王建国")
    page.get_by_role("button", name="搜索").click()
    page.get_by_role("button", name="邀请王建国").click()
    # Then
    expect(messages(page)).to_contain_text("已邀请王建国联名")
    expect(page.locator(".side-col")).to_contain_text("王建国 · 待确认")
    logout(page)

    # When: 王建国 finds the invitation on his home page and confirms
    login(page, "wangjianguo", FACTORY_PASSWORD)
    invitations = page.locator("section", has=page.get_by_role("heading", name="待确认的联名邀请"))
    expect(invitations).to_contain_text("何红 领衔")
    invitations.get_by_role("link", name=TITLE).click()
    page.get_by_role("button", name="确认联名").click()
    # Then
    expect(messages(page)).to_contain_text("已确认联名")
    expect(page.get_by_role("button", name="确认联名")).to_have_count(0)
    logout(page)

    # When: 何红 opens her draft and submits it
    login(page, "hehong", FACTORY_PASSWORD)
    drafts = page.locator("section", has=page.get_by_role("heading", name="草稿", exact=True))
    drafts.get_by_role("link", name=TITLE).click()
    page.get_by_role("button", name="提交", exact=True).click()
    # Then
    expect(messages(page)).to_contain_text("已提交")
    expect(page.locator(".status-line .status")).to_have_text("待审查")
    logout(page)

    # When: the office reviews it from the queue and registers it (立案)
    login(page, "npc_office", FACTORY_PASSWORD)
    nav(page, "立案审查")
    row = page.get_by_role("row").filter(has=page.get_by_role("link", name=TITLE))
    row.get_by_role("link", name="审查").click()
    page.get_by_role("radio", name="立案", exact=True).check()
    page.get_by_role("button", name="确定").click()
    # Then: numbered with her delegation prefix, per the meeting's number format
    expect(messages(page)).to_contain_text("审查完成：已立案 萧山1号")
    logout(page)

    # Then: 何红 sees the registered item with its number, co-signer and history
    login(page, "hehong", FACTORY_PASSWORD)
    mine = page.locator("section", has=page.get_by_role("heading", name="我的建议提案", exact=True))
    mine.get_by_role("link", name=TITLE).click()
    expect(page.locator(".status-line .status")).to_have_text("已立案")
    expect(page.locator(".status-line .number")).to_have_text("萧山1号")
    expect(page.locator("dl.facts dt:text-is('联名人') + dd")).to_have_text("王建国")
    timeline = page.locator("section", has=page.get_by_role("heading", name="办理过程"))
    expect(timeline.locator("ol.timeline > li > strong")).to_have_text(
        ["创建草稿", "邀请联名", "确认联名", "提交", "立案"]
    )
    expect(timeline.locator("ol.timeline > li").last).to_contain_text("编号：萧山1号")
    logout(page)

    # And the database agrees
    proposal = Proposal.objects.get(title=TITLE)
    assert proposal.status == ProposalStatus.REGISTERED
    assert proposal.lead.username == "hehong"
    assert (proposal.number, proposal.number_label) == (1, "萧山1号")
    assert [(c.member.username, c.status) for c in proposal.cosigners.all()] == [
        ("wangjianguo", CoSignerStatus.CONFIRMED)
    ]

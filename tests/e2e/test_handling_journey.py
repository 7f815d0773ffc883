"""End to end, in a real browser: the supervisory office assigns a registered demo item to a
lead unit and three co units; a co unit sends its opinion through its leader; the lead unit
records a contact that the deputy confirms; another co unit asks to be relieved, its leader and
the office agree, and the office hands that part to a new unit.

The starting data is the demo (`seed_demo`) plus one extra unit made with the ORM; every step
after that goes through the UI of the live server (pytest-django `live_server`, hence a
transactional database).
"""

from __future__ import annotations

import io
import re
from datetime import date

import pytest
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import Locator, Page, expect

from accounts.models import Unit
from proposals.models import (
    AssignmentRole,
    AssignmentStatus,
    ContactResponse,
    CoOpinionStatus,
    Proposal,
    ProposalStatus,
    RequestStatus,
)

from .journey import login, logout, messages, nav, section

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

TITLE = "关于引导社会组织参与未成年人保护的建议"  # 萧山39号, lead 何红, left registered by the demo
LEAD_UNIT = "杭州市民政局"
CO_UNITS = ["共青团杭州市委员会", "杭州市财政局", "中共杭州市委宣传部"]
NEW_UNIT = "杭州市教育局"  # not in the demo; the office moves 市财政局's part here
OPINION = "团市委会办意见：\n一、将未成年人保护社会组织纳入青少年事务社工培育计划。"
CONTACT_NOTES = "当面听取何红代表对社会组织参与未成年人保护的意见，介绍了初步办理思路。"
RETURN_REASON = "建议内容主要涉及社会组织培育和未成年人保护，不属于本单位职责，建议由市教育局会办。"


def assignment_row(page: Page, unit_name: str) -> Locator:
    """The row of one unit in the item page's 交办情况 table."""
    table = section(page, "交办情况")
    return table.get_by_role("row").filter(has=page.get_by_role("cell", name=unit_name, exact=True))


def open_from_workspace(page: Page) -> None:
    """A unit user goes to 本单位承办 and opens the item from the list."""
    nav(page, "本单位承办")
    expect(page.get_by_role("heading", name="本单位承办")).to_be_visible()
    page.get_by_role("table").get_by_role("link", name=TITLE).click()
    expect(page.get_by_role("heading", name=TITLE, level=1)).to_be_visible()


def due_text(day: date, today: date) -> str:
    """What the `due` template tag shows for a running deadline more than a day away."""
    return f"{day.year}年{day.month}月{day.day}日 剩余 {(day - today).days} 天"


def test_office_assigns_units_handle_deputy_confirms_office_reassigns(page: Page) -> None:
    # Given: the demo data, in which 萧山39号 (何红) is registered and waits for 交办, and one
    # more municipal unit that the demo lacks, to take over a returned part
    call_command("seed_demo", no_replies=True, stdout=io.StringIO())
    Unit.objects.create(name=NEW_UNIT, short_name="市教育局", document_prefix="杭教函")
    proposal = Proposal.objects.get(title=TITLE)
    assert proposal.status == ProposalStatus.REGISTERED
    today = timezone.localdate()
    lead_due = proposal.meeting.reply_due_on(today)
    co_due = proposal.meeting.co_opinion_due_on(today)

    # --- 1. 交办 -------------------------------------------------------------------------------
    # When: the office opens 待交办 and assigns the item: 市民政局 leads, three units co-handle
    login(page, "npc_office")
    nav(page, "待交办")
    expect(page.get_by_role("heading", name="待交办")).to_be_visible()
    row = page.get_by_role("row").filter(has=page.get_by_role("link", name=TITLE))
    expect(row).to_contain_text("萧山39号")
    expect(row).to_contain_text("何红")
    row.get_by_role("link", name="交办", exact=True).click()
    expect(page.get_by_role("heading", name=f"交办：萧山39号 {TITLE}")).to_be_visible()
    page.get_by_label("主办单位").select_option(label=LEAD_UNIT)
    co_box = page.get_by_role("group", name="会办单位", exact=True)
    for unit in CO_UNITS:
        co_box.get_by_role("checkbox", name=unit, exact=True).check()
    page.get_by_role("button", name="交办", exact=True).click()
    # Then: the item page lists the four units, their roles and their running deadlines
    expect(messages(page)).to_contain_text("已交办")
    expect(page.get_by_role("heading", name=TITLE, level=1)).to_be_visible()
    expect(page.locator(".status-line .status")).to_have_text("已交办")
    expect(section(page, "交办情况").locator("tbody tr")).to_have_count(4)
    expected = [(LEAD_UNIT, "主办", lead_due)] + [(unit, "会办", co_due) for unit in CO_UNITS]
    for unit, role, due in expected:
        cells = assignment_row(page, unit).get_by_role("cell")
        expect(cells.nth(1)).to_have_text(role)
        expect(cells.nth(3)).to_have_text(due_text(due, today))
        expect(cells.nth(3)).to_contain_text(re.compile(r"剩余 \d+ 天"))
        expect(cells.nth(4)).to_have_text("待签收")
    logout(page)

    # --- 2. 会办意见 of 团市委 ------------------------------------------------------------------
    # When: 团市委 staff open the item from 本单位承办, sign for it and draft the opinion
    login(page, "tsw_staff")
    open_from_workspace(page)
    mine = section(page, "本单位办理（团市委，会办）")
    mine.get_by_role("button", name="签收").click()
    # Then
    expect(messages(page)).to_contain_text("已签收")
    expect(assignment_row(page, "共青团杭州市委员会").get_by_role("cell").nth(4)).to_have_text(
        "办理中"
    )
    # When: ... writes the opinion and sends it to the unit's leader
    section(page, "本单位办理（团市委，会办）").get_by_role("link", name="会办意见").click()
    expect(page.get_by_role("heading", name=f"会办意见：{TITLE}")).to_be_visible()
    page.get_by_label("会办意见").fill(OPINION)
    page.get_by_role("button", name="送单位负责人审核").click()
    # Then
    expect(messages(page)).to_contain_text("会办意见已送单位负责人审核")
    logout(page)

    # When: 团市委's leader finds it under 待我审核 and signs it off to the lead unit
    login(page, "tsw_leader")
    nav(page, "本单位承办")
    pending = section(page, "待我审核")
    pending.get_by_role("link", name=f"会办意见：{TITLE}").click()
    expect(page.get_by_text("待单位负责人审核")).to_be_visible()
    # the leader's decision form (the one with 退回修改); the edit form above it has a button
    # with the same name
    decision = page.locator("form", has=page.get_by_role("button", name="退回修改"))
    decision.get_by_role("button", name="签发并送主办单位").click()
    # Then
    expect(messages(page)).to_contain_text("会办意见已送达主办单位")
    expect(page.get_by_text("已送主办单位")).to_be_visible()
    logout(page)

    # --- 3. 答复前沟通 by the lead unit --------------------------------------------------------
    # When: 市民政局 staff open the item
    login(page, "mzj_staff")
    open_from_workspace(page)
    # Then: they see 团市委's opinion
    opinions = section(page, "会办意见")
    expect(opinions.get_by_role("heading", level=3)).to_contain_text("共青团杭州市委员会")
    expect(opinions).to_contain_text("将未成年人保护社会组织纳入青少年事务社工培育计划")
    # When: they sign for the item (签收), then record a face-to-face contact with 何红
    section(page, "本单位办理（市民政局，主办）").get_by_role("button", name="签收").click()
    expect(messages(page)).to_contain_text("已签收")
    page.get_by_role("link", name="记录答复前沟通").click()
    expect(page.get_by_role("heading", name=f"记录答复前沟通：{TITLE}")).to_be_visible()
    page.get_by_label("沟通方式").select_option(label="面商")
    page.get_by_label("沟通日期").fill(today.isoformat())
    page.get_by_label("参加人员").fill("何红代表，市民政局李文静")
    page.get_by_label("沟通情况").fill(CONTACT_NOTES)
    page.get_by_role("button", name="保存").click()
    # Then
    expect(messages(page)).to_contain_text("沟通记录已保存，等待代表委员确认")
    contacts = section(page, "答复前沟通")
    expect(contacts).to_contain_text(f"面商 · {today.year}年{today.month}月{today.day}日")
    expect(contacts).to_contain_text("待代表委员确认")
    logout(page)

    # --- 4. 何红 confirms the contact ------------------------------------------------------------
    # When: 何红 opens the item from 我的建议提案 and confirms the record
    login(page, "hehong")
    nav(page, "我的建议提案")
    page.get_by_role("link", name=TITLE).click()
    contacts = section(page, "答复前沟通")
    expect(contacts).to_contain_text("市民政局")
    expect(contacts).to_contain_text(CONTACT_NOTES)
    contacts.get_by_role("button", name="确认属实").click()
    # Then
    expect(messages(page)).to_contain_text("已确认沟通记录")
    expect(section(page, "答复前沟通")).to_contain_text("代表委员已确认")
    expect(page.get_by_role("button", name="确认属实")).to_have_count(0)
    logout(page)

    # --- 5. 市财政局 asks to be relieved; its leader and the office agree ------------------------
    # When: 市财政局 staff open the item and ask to return their part
    login(page, "czj_staff")
    open_from_workspace(page)
    page.get_by_role("link", name="申请退回").click()
    expect(page.get_by_role("heading", name=f"申请退回：{TITLE}")).to_be_visible()
    page.get_by_label("申请退回的理由").fill(RETURN_REASON)
    page.get_by_role("button", name="提交申请").click()
    # Then
    expect(messages(page)).to_contain_text("退回申请已提交")
    expect(section(page, "退回与延期申请")).to_contain_text("待单位负责人审核")
    logout(page)

    # When: 市财政局's leader approves it from 待我审核
    login(page, "czj_leader")
    nav(page, "本单位承办")
    section(page, "待我审核").get_by_role("link", name=f"退回申请：{TITLE}").click()
    expect(page.get_by_role("heading", name=f"退回申请：{TITLE}")).to_be_visible()
    expect(page.locator("dl.facts")).to_contain_text(RETURN_REASON)
    page.get_by_role("radio", name="同意", exact=True).check()
    page.get_by_role("button", name="确定").click()
    # Then
    expect(messages(page)).to_contain_text("审核完成")
    expect(section(page, "退回与延期申请")).to_contain_text("待督办审核")
    logout(page)

    # When: the office opens 退回与延期, agrees and hands the part to 杭州市教育局
    login(page, "npc_office")
    nav(page, "退回与延期")
    returns = section(page, "退回申请")
    request_row = returns.get_by_role("row").filter(has_text=TITLE)
    expect(request_row).to_contain_text("市财政局（会办）")
    request_row.get_by_role("link", name="审核").click()
    expect(page.get_by_role("heading", name=f"退回申请：{TITLE}")).to_be_visible()
    page.get_by_role("radio", name="同意", exact=True).check()
    page.get_by_role("checkbox", name=NEW_UNIT, exact=True).check()
    page.get_by_role("button", name="确定").click()
    # Then: 市财政局 is struck as returned and 市教育局 co-handles, waiting to sign
    expect(messages(page)).to_contain_text("审核完成")
    returned = assignment_row(page, "杭州市财政局")
    expect(returned).to_have_class(re.compile(r"\bstruck\b"))
    expect(returned.get_by_role("cell").nth(4)).to_have_text("已退回")
    added = assignment_row(page, NEW_UNIT).get_by_role("cell")
    expect(added.nth(1)).to_have_text("会办")
    expect(added.nth(4)).to_have_text("待签收")

    # Then: the timeline shows the handling steps in order
    timeline = section(page, "办理过程").locator("ol.timeline > li > strong")
    steps = timeline.all_inner_texts()
    wanted = [
        "交办",
        "签收",
        "会办意见送达主办单位",
        "答复前沟通",
        "确认沟通记录",
        "申请退回",
        "同意退回并调整承办单位",
    ]
    assert steps[: steps.index("交办")] == ["创建草稿", "提交", "立案"]
    positions = [steps.index(step) for step in wanted]
    assert positions == sorted(positions), steps
    logout(page)

    # Then: the database agrees
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.ASSIGNED
    active = {
        (a.unit.short_name, a.role)
        for a in proposal.assignments.exclude(status=AssignmentStatus.RETURNED).select_related(
            "unit"
        )
    }
    assert active == {
        ("市民政局", AssignmentRole.LEAD),
        ("团市委", AssignmentRole.CO),
        ("市委宣传部", AssignmentRole.CO),
        ("市教育局", AssignmentRole.CO),
    }
    finance = proposal.assignments.get(unit__name="杭州市财政局")
    assert finance.status == AssignmentStatus.RETURNED
    assert [r.status for r in finance.return_requests.all()] == [RequestStatus.APPROVED]
    tsw = proposal.assignments.get(unit__name="共青团杭州市委员会")
    assert tsw.status == AssignmentStatus.OPINION_SENT
    assert tsw.co_opinion.status == CoOpinionStatus.SENT
    # browsers submit textarea line breaks as CRLF, and the app stores them as they come
    assert tsw.co_opinion.text.replace("\r\n", "\n") == OPINION
    contact = proposal.assignments.get(unit__name=LEAD_UNIT).contacts.get()
    assert contact.response == ContactResponse.CONFIRMED
    assert contact.responded_by.username == "hehong"

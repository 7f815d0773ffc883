"""End to end, in a real browser: 何红 rates the sent reply to her 萧山39号 as 不满意; the
supervisory office orders 重新办理 by 杭州市民政局; the unit signs for the second round, drafts,
its leader signs and the office approves the new reply; 何红 rates it 满意 and the item closes
by itself. On the closed item nobody can rate, withdraw, draft or record a contact any more.

The starting data is the full demo (`seed_demo`: the three sample letters are sent replies, so
萧山39号 is 已答复 with one sent reply of 杭州市民政局, and 何红 is its only signer); every step
after that goes through the UI of the live server (pytest-django `live_server`, hence a
transactional database). Tests run Celery eagerly (config/settings/test.py), so the letter of
the second reply is rendered in the request that sends it.
"""

from __future__ import annotations

import io
import re
from datetime import date

import pytest
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import Locator, Page, Response, expect

from accounts.models import User
from proposals import workdays
from proposals.models import (
    Assignment,
    AssignmentRole,
    AssignmentStatus,
    ContactRecord,
    Proposal,
    ProposalStatus,
)
from replies.models import Evaluation, LetterStatus, Rating, Reply, ReplyStatus

from .journey import login, logout, messages, nav, section, status

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

TITLE = "关于引导社会组织参与未成年人保护的建议"  # 萧山39号, lead 何红, no co-signers
LEAD_UNIT = "杭州市民政局"
# the second round's reply says it is a 重新办理 reply (replies.services.drafting.default_content)
REPLY_TITLE = "杭州市民政局关于市十四届人大三次会议萧山39号建议重新办理情况的答复"
FIRST_COMMENT = "答复对政府购买服务的标准没有具体说明，希望重新研究。"
REHANDLE_NOTE = "请就政府购买服务标准作出具体答复。"
NEW_BODY = (
    "一、关于政府购买服务标准\n"
    "我局已会同市财政局制定未成年人保护服务项目购买标准，明年起执行。\n"
    "二、下步工作\n"
    "继续加强社会组织培育。"
)
SECOND_COMMENT = "标准已经明确，感谢。"
AUTO_CLOSE_NOTE = "全部答复均被评为满意或基本满意，自动办结。"
PDF_TIMEOUT_MS = 60_000  # the approval renders the letter inside the request


def field(page: Page, name: str) -> Locator:
    """A text field by its accessible name (a required field's label also holds "*")."""
    return page.get_by_role("textbox", name=name, exact=True)


def item_heading(page: Page) -> Locator:
    return page.get_by_role("heading", name=TITLE, level=1)


def open_as_member(page: Page) -> None:
    """何红 goes to 我的建议提案 and opens the item."""
    nav(page, "我的建议提案")
    page.get_by_role("table").get_by_role("link", name=TITLE).click()
    expect(item_heading(page)).to_be_visible()


def rate(form: Locator, *, work: str, result: str) -> None:
    """Tick one rating in each of the two radio groups of an evaluation form."""
    work_group = form.get_by_role("group", name=re.compile(r"^对办理工作"))
    work_group.get_by_role("radio", name=work, exact=True).check()
    result_group = form.get_by_role("group", name=re.compile(r"^对办理结果"))
    result_group.get_by_role("radio", name=result, exact=True).check()


def long_date(day: date) -> str:
    """A date as the pages show it (Y年n月j日)."""
    return f"{day.year}年{day.month}月{day.day}日"


def is_in_order(steps: list[str], wanted: list[str]) -> bool:
    """Whether `wanted` occurs in `steps` in this order (other steps may come between)."""
    remaining = iter(steps)
    return all(step in remaining for step in wanted)


def report_server_errors(page: Page) -> None:
    """Print every 5xx answer (shown under "Captured stdout" if the test fails)."""

    def check(response: Response) -> None:
        if response.status >= 500:
            print(f"e2e: {response.status} {response.request.method} {response.url}")

    page.on("response", check)


def test_unsatisfied_rating_rehandling_and_automatic_closing(page: Page) -> None:
    report_server_errors(page)
    # Given: the full demo; 萧山39号 has one sent reply of 杭州市民政局 and is 已答复
    call_command("seed_demo", stdout=io.StringIO())
    proposal = Proposal.objects.get(title=TITLE)
    assert proposal.status == ProposalStatus.REPLIED
    first_reply = Reply.objects.get(proposal=proposal, status=ReplyStatus.SENT)
    hehong = User.objects.get(username="hehong")
    year = timezone.localdate().year
    number_pattern = re.compile(rf"杭民函〔{year}〕\d+号")

    # --- 1. 何红 rates the first reply 不满意 ----------------------------------------------------
    # When: 何红 opens the item and fills in 满意度测评
    login(page, "hehong")
    open_as_member(page)
    expect(status(page)).to_have_text("已答复")
    evaluations = section(page, "满意度测评")
    expect(evaluations).to_contain_text(f"{LEAD_UNIT} · {first_reply.document_number}")
    expect(evaluations).to_contain_text("尚未测评。")
    form = evaluations.locator("form", has=page.get_by_role("button", name="提交测评"))
    rate(form, work="基本满意", result="不满意")
    form.get_by_role("checkbox", name="承办单位在答复前与我联系过").check()
    form.get_by_role("textbox", name="意见和建议").fill(FIRST_COMMENT)
    form.get_by_role("button", name="提交测评").click()
    # Then: the rating is recorded and shown to her, the form is gone, the item is 已测评
    expect(messages(page)).to_contain_text("测评已提交")
    evaluations = section(page, "满意度测评")
    expect(evaluations).to_contain_text("何红：办理工作基本满意，办理结果不满意 · 有联系")
    expect(evaluations).to_contain_text(FIRST_COMMENT)
    expect(page.get_by_role("button", name="提交测评")).to_have_count(0)
    expect(status(page)).to_have_text("已测评")
    logout(page)

    # --- 2. The office orders 重新办理 ---------------------------------------------------------
    # When: the office lists the items that are 已测评 and opens this one
    login(page, "npc_office")
    nav(page, "全部建议提案")
    filters = page.get_by_role("search")
    filters.get_by_role("combobox", name="状态").select_option(label="已测评")
    filters.get_by_role("button", name="筛选").click()
    rows = page.get_by_role("table").get_by_role("row").filter(has_text="已测评")
    expect(rows).to_have_count(1)
    rows.get_by_role("link", name=TITLE).click()
    expect(item_heading(page)).to_be_visible()
    # Then: it sees 何红's 不满意 and may order 重新办理
    evaluations = section(page, "满意度测评")
    expect(evaluations).to_contain_text("何红：办理工作基本满意，办理结果不满意")
    rehandle = evaluations.locator("form", has=page.get_by_role("heading", name="重新办理"))
    unit_box = rehandle.get_by_role("checkbox", name=LEAD_UNIT)
    expect(unit_box).to_be_checked()
    # When: it sends the item back to 杭州市民政局 with a note
    rehandle.get_by_role("textbox", name="说明").fill(REHANDLE_NOTE)
    rehandle.get_by_role("button", name="重新办理").click()
    # Then: the item is 已交办 again, with a second-round assignment waiting to be signed for
    expect(messages(page)).to_contain_text("已交承办单位重新办理")
    expect(status(page)).to_have_text("已交办")
    due = workdays.add_months(timezone.localdate(), proposal.meeting.rehandling_months)
    round_two = section(page, "交办情况").get_by_role("row").filter(has_text="第2轮")
    expect(round_two).to_have_count(1)
    cells = round_two.get_by_role("cell")
    expect(cells.nth(0)).to_have_text(LEAD_UNIT)
    expect(cells.nth(1)).to_have_text("主办（第2轮）")
    expect(cells.nth(2)).to_have_text(timezone.localdate().isoformat())
    expect(cells.nth(3)).to_contain_text(long_date(due))
    expect(cells.nth(4)).to_have_text("待签收")
    # ... and the first round's evaluation stays on the page, marked as such, read-only
    evaluations = section(page, "满意度测评")
    expect(evaluations.locator("article")).to_have_count(1)
    expect(evaluations.locator("article h3")).to_contain_text(
        f"第1轮（已重新办理） · {LEAD_UNIT} · {first_reply.document_number}"
    )
    expect(evaluations).to_contain_text("何红：办理工作基本满意，办理结果不满意")
    expect(evaluations).to_contain_text(FIRST_COMMENT)
    expect(evaluations.locator("form")).to_have_count(0)
    timeline = section(page, "办理过程")
    expect(timeline).to_contain_text(f"第2轮：市民政局，期限{long_date(due)}；{REHANDLE_NOTE}")
    logout(page)
    assignment = Assignment.objects.get(proposal=proposal, round=2)
    assert assignment.role == AssignmentRole.LEAD
    assert assignment.unit.name == LEAD_UNIT
    assert assignment.due_on == due

    # --- 3. 市民政局 answers again, its leader signs, the office approves ----------------------
    # When: 李文静 opens the item from the round-2 row of 本单位承办 and signs for it
    login(page, "mzj_staff")
    nav(page, "本单位承办")
    expect(page.get_by_role("heading", name="本单位承办")).to_be_visible()
    waiting = page.get_by_role("row").filter(has_text=TITLE).filter(has_text="待签收")
    expect(waiting).to_have_count(1)
    waiting.get_by_role("link", name=TITLE).click()
    expect(item_heading(page)).to_be_visible()
    mine = page.locator("section.my-assignment")
    expect(mine).to_have_count(2)  # round 1 (replied) and round 2
    round_two_card = mine.filter(has=page.get_by_role("button", name="签收", exact=True))
    expect(round_two_card).to_have_count(1)
    expect(round_two_card).to_contain_text("待签收")
    round_two_card.get_by_role("button", name="签收", exact=True).click()
    # Then: the assignment is being handled and a reply can be drafted
    expect(messages(page)).to_contain_text("已签收")
    expect(page.get_by_role("button", name="签收", exact=True)).to_have_count(0)
    # When: she starts the reply, writes the body, proposes class A and sends it to her leader
    page.get_by_role("button", name="撰写答复").click()
    expect(page.get_by_role("heading", name="撰写答复", level=1)).to_be_visible()
    expect(field(page, "标题")).to_have_value(REPLY_TITLE)
    expect(field(page, "正文")).to_have_value("")
    field(page, "正文").fill(NEW_BODY)
    page.get_by_role("combobox", name="答复类别（拟）").select_option("A")
    page.get_by_role("button", name="保存并送负责人签发").click()
    # Then: the new reply waits for 签发
    expect(messages(page)).to_contain_text("已送单位负责人签发")
    expect(page.get_by_role("heading", name=REPLY_TITLE, level=1)).to_be_visible()
    expect(status(page)).to_have_text("待签发")
    logout(page)

    # When: 周建华 opens the reply from 待我审核 and signs it
    login(page, "mzj_leader")
    nav(page, "本单位承办")
    section(page, "待我审核").get_by_role("link", name=f"答复待签发：{TITLE}").click()
    expect(page.get_by_role("heading", name=REPLY_TITLE, level=1)).to_be_visible()
    expect(page.locator(".letter-view")).to_contain_text("我局已会同市财政局制定")
    page.get_by_role("button", name="签发", exact=True).click()
    # Then: it goes to the office
    expect(messages(page)).to_contain_text("已签发")
    expect(status(page)).to_have_text("待督办审核")
    logout(page)

    # When: the office approves it from 答复审核
    login(page, "npc_office")
    nav(page, "答复审核")
    row = page.get_by_role("row").filter(has_text=TITLE)
    expect(row).to_have_count(1)
    row.get_by_role("link", name="审核").click()
    expect(page.get_by_role("heading", name=REPLY_TITLE, level=1)).to_be_visible()
    review = section(page, "督办审核")
    expect(review.get_by_role("combobox", name="答复类别", exact=True)).to_have_value("A")
    with page.expect_navigation(timeout=PDF_TIMEOUT_MS):
        review.get_by_role("button", name="审核通过并发出").click()
    # Then: the second reply is sent with this year's number
    expect(messages(page)).to_contain_text("审核通过，答复已发出")
    expect(status(page)).to_have_text("已发出")
    expect(page.locator(".status-line .number")).to_have_text(number_pattern)
    second_number = page.locator(".status-line .number").inner_text().strip()
    assert second_number != first_reply.document_number
    logout(page)

    # --- 4. 何红 rates the new reply 满意 and the item closes itself -----------------------------
    # When: 何红 opens the item
    login(page, "hehong")
    open_as_member(page)
    # Then: it is answered again, with both replies listed and the new one up for evaluation
    expect(status(page)).to_have_text("已答复")
    replies = section(page, "答复")
    expect(replies.get_by_role("listitem")).to_have_count(2)
    expect(replies).to_contain_text(first_reply.document_number)
    expect(replies).to_contain_text(second_number)
    evaluations = section(page, "满意度测评")
    # the first round stays on the page, read-only, with her earlier rating
    expect(evaluations.locator("article")).to_have_count(2)
    expect(evaluations.locator("article").first).to_contain_text("办理结果不满意")
    second_round = evaluations.locator("article").nth(1)
    expect(second_round).to_contain_text(f"第2轮 · {LEAD_UNIT} · {second_number}")
    expect(second_round).to_contain_text("尚未测评。")
    expect(evaluations.get_by_role("button", name="提交测评")).to_have_count(1)
    # When: she rates it 满意 / 满意
    form = evaluations.locator("form", has=page.get_by_role("button", name="提交测评"))
    rate(form, work="满意", result="满意")
    form.get_by_role("textbox", name="意见和建议").fill(SECOND_COMMENT)
    form.get_by_role("button", name="提交测评").click()
    # Then: the item is closed automatically, with the note saying why
    expect(messages(page)).to_contain_text("测评已提交")
    expect(status(page)).to_have_text("已办结")
    closed = section(page, "已办结")
    expect(closed).to_contain_text(AUTO_CLOSE_NOTE)
    expect(section(page, "满意度测评")).to_contain_text("何红：办理工作满意，办理结果满意")

    # --- 5. The closed item is read-only ------------------------------------------------------
    # Then: 何红 can neither rate again nor withdraw
    expect(page.get_by_role("button", name="提交测评")).to_have_count(0)
    expect(page.locator("form.evaluation-form")).to_have_count(0)
    expect(page.get_by_role("link", name="撤案")).to_have_count(0)
    expect(page.get_by_role("button", name="撤案")).to_have_count(0)
    # ... and the timeline shows the whole second round, in order
    steps = section(page, "办理过程").locator("ol.timeline > li > strong").all_inner_texts()
    wanted = [
        "满意度测评",
        "重新办理",
        "签收",
        "答复送签",
        "签发答复",
        "督办审核通过",
        "答复发出",
        "满意度测评",
        "办结",
    ]
    assert is_in_order(steps, wanted), steps
    assert steps[-1] == "办结", steps
    expect(section(page, "办理过程")).to_contain_text(AUTO_CLOSE_NOTE)
    logout(page)

    # Then: 李文静 sees the item closed and no handling actions on it
    login(page, "mzj_staff")
    nav(page, "本单位承办")
    page.get_by_role("table").get_by_role("link", name=TITLE).first.click()
    expect(item_heading(page)).to_be_visible()
    expect(status(page)).to_have_text("已办结")
    expect(page.get_by_role("button", name=re.compile("撰写答复"))).to_have_count(0)
    expect(page.get_by_role("button", name="签收", exact=True)).to_have_count(0)
    expect(page.get_by_role("link", name="申请延期")).to_have_count(0)
    expect(page.get_by_role("link", name="申请退回")).to_have_count(0)
    contact_links = page.get_by_role("link", name="记录答复前沟通").count()  # checked last
    # When: she posts a contact record for the round-2 assignment directly
    contacts_before = ContactRecord.objects.count()
    token = page.locator("input[name=csrfmiddlewaretoken]").first.get_attribute("value")
    assert token
    response = page.request.post(
        f"/items/assignments/{assignment.pk}/contacts/new/",
        form={
            "csrfmiddlewaretoken": token,
            "method": "face_to_face",
            "contacted_on": timezone.localdate().isoformat(),
            "participants": "何红代表，市民政局李文静",
            "notes": "办结后补记的沟通。",
        },
        max_redirects=0,
    )
    # Then: the page sends her back to the item with the reason (past the CSRF check: a
    # refused token would be 403) and nothing is saved
    assert response.status == 302, response.status
    assert response.headers["location"] == f"/items/{proposal.pk}/"
    assert ContactRecord.objects.count() == contacts_before

    # --- 6. The database agrees ---------------------------------------------------------------
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.CLOSED
    assert proposal.closing_note == AUTO_CLOSE_NOTE
    assert proposal.closed_at is not None
    by_round = {
        e.reply.assignment.round: e
        for e in Evaluation.objects.filter(reply__proposal=proposal).select_related(
            "reply__assignment", "evaluator"
        )
    }
    assert set(by_round) == {1, 2}
    assert Evaluation.objects.filter(reply__proposal=proposal).count() == 2
    first, second = by_round[1], by_round[2]
    assert first.evaluator == hehong and second.evaluator == hehong
    assert first.work_rating == Rating.BASICALLY_SATISFIED
    assert first.result_rating == Rating.UNSATISFIED
    assert first.contacted and not first.face_to_face
    assert first.comment == FIRST_COMMENT
    assert not first.is_satisfied
    assert (second.work_rating, second.result_rating) == (Rating.SATISFIED, Rating.SATISFIED)
    assert second.comment == SECOND_COMMENT
    assert second.is_satisfied
    assert first.reply_id == first_reply.pk
    assignment.refresh_from_db()
    assert assignment.status == AssignmentStatus.REPLIED
    second_reply = Reply.objects.select_related("letter", "signed_by", "reviewed_by").get(
        assignment=assignment
    )
    assert second_reply.pk == second.reply_id
    assert second_reply.status == ReplyStatus.SENT
    assert second_reply.document_number == second_number
    assert second_reply.result_class == "A"
    assert second_reply.signed_by.username == "mzj_leader"
    assert second_reply.reviewed_by.username == "npc_office"
    assert second_reply.letter.status == LetterStatus.READY
    first_reply.refresh_from_db()
    assert first_reply.status == ReplyStatus.SENT  # the first answer stays on record

    # the closed item offers the unit no 记录答复前沟通 either
    assert contact_links == 0

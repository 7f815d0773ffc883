"""End to end, in a real browser: the lead unit drafts the reply to 何红's 萧山39号 (fixing a
half-width comma on the way) and sends it to its leader; the leader previews the letter and
signs it; the supervisory office raises the class from B to A and sends it with a document
number; 何红 downloads the letter PDF.

The starting data is the demo (`seed_demo --no-replies`) with the item assigned to 市民政局 and
accepted through the services; every step after that goes through the UI of the live server
(pytest-django `live_server`, hence a transactional database). The letter is rendered by a
Celery task queued on commit; tests run Celery eagerly (config/settings/test.py), so the live
server renders it in the request that sends the reply, before the redirect is answered.
"""

from __future__ import annotations

import hashlib
import io
import re
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import Locator, Page, Response, expect
from pypdf import PdfReader

from accounts.models import Unit, User
from proposals import services
from proposals.models import AssignmentStatus, Proposal, ProposalStatus
from replies.models import LetterStatus, Reply, ReplyStatus
from replies.text import body_text

from .journey import login, logout, messages, nav, section, status

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

TITLE = "关于引导社会组织参与未成年人保护的建议"  # 萧山39号, lead 何红, left registered by the demo
LEAD_UNIT = "杭州市民政局"
REPLY_TITLE = "杭州市民政局关于市十四届人大三次会议萧山39号建议的答复"
REPLY_LINK = f"市民政局：{REPLY_TITLE}"  # how the item page's 答复 section links it
# typed as staff would, with an ASCII comma between Chinese characters in the second paragraph
BODY = "一、工作开展情况\n我们高度重视,认真研究。\n二、下步工作计划\n继续加强社会组织培育。"
FIXED_BODY = BODY.replace(",", "，")
REVIEW_COMMENT = "政策扶持和服务平台建设均已落实，所提问题已基本解决。"
PDF_TIMEOUT_MS = 60_000  # WeasyPrint renders the letter inside the request


def field(page: Page, name: str) -> Locator:
    """A text field of a form by its accessible name (a required field's label also holds an
    aria-hidden "*", so get_by_label(exact=True) would miss it)."""
    return page.get_by_role("textbox", name=name, exact=True)


def open_from_workspace(page: Page) -> None:
    """A unit user goes to 本单位承办 and opens the item from the list."""
    nav(page, "本单位承办")
    expect(page.get_by_role("heading", name="本单位承办")).to_be_visible()
    page.get_by_role("table").get_by_role("link", name=TITLE).click()
    expect(page.get_by_role("heading", name=TITLE, level=1)).to_be_visible()


def pdf_text(content: bytes) -> str:
    """The text of a PDF, all pages, without the line breaks and spaces of its layout."""
    reader = PdfReader(io.BytesIO(content))
    return re.sub(r"\s+", "", "".join(page.extract_text() or "" for page in reader.pages))


def is_in_order(steps: list[str], wanted: list[str]) -> bool:
    """Whether `wanted` occurs in `steps` in this order (other steps may come between)."""
    remaining = iter(steps)
    return all(step in remaining for step in wanted)


def report_server_errors(page: Page) -> None:
    """Print every 5xx answer (shown under "Captured stdout" if the test fails): the screenshot
    of a bare "Server Error (500)" page does not say which request failed."""

    def check(response: Response) -> None:
        if response.status >= 500:
            print(f"e2e: {response.status} {response.request.method} {response.url}")

    page.on("response", check)


def test_unit_drafts_leader_signs_office_approves_deputy_downloads(page: Page) -> None:
    report_server_errors(page)
    # Given: the demo without sample replies; 萧山39号 is assigned to 市民政局 alone as lead,
    # and 市民政局 has signed for it
    call_command("seed_demo", no_replies=True, stdout=io.StringIO())
    proposal = Proposal.objects.get(title=TITLE)
    assert proposal.status == ProposalStatus.REGISTERED
    (assignment,) = services.proposal_assign(
        proposal=proposal,
        actor=User.objects.get(username="npc_office"),
        lead_unit=Unit.objects.get(name=LEAD_UNIT),
    )
    services.assignment_accept(assignment=assignment, actor=User.objects.get(username="mzj_staff"))
    year = timezone.localdate().year
    number_pattern = re.compile(rf"杭民函〔{year}〕\d+号")

    # --- 1. 撰写答复 by 市民政局 staff ---------------------------------------------------------
    # When: 李文静 opens the item from 本单位承办 and starts the reply
    login(page, "mzj_staff")
    open_from_workspace(page)
    section(page, "本单位办理（市民政局，主办）").get_by_role("button", name="撰写答复").click()
    # Then: the draft comes filled in from the item
    expect(page.get_by_role("heading", name="撰写答复", level=1)).to_be_visible()
    expect(field(page, "标题")).to_have_value(REPLY_TITLE)
    expect(field(page, "称呼")).to_have_value("何红代表：")
    expect(field(page, "开头")).to_have_value(re.compile(rf"《{TITLE}》（萧山39号）"))
    expect(field(page, "署名单位")).to_have_value(LEAD_UNIT)
    expect(field(page, "正文")).to_have_value("")
    expect(page.get_by_text("中文之间的半角标点")).to_have_count(0)

    # When: she types the body and saves
    field(page, "正文").fill(BODY)
    page.get_by_role("button", name="保存", exact=True).click()
    # Then: it is saved, and the form points out the half-width comma
    expect(messages(page)).to_contain_text("已保存（第2版）")
    notice = page.locator(".notice-inline")
    expect(notice).to_contain_text("发现 1 处中文之间的半角标点")

    # When: she lets the app fix it, then saves
    notice.get_by_role("button", name="改为全角标点").click()
    # Then: the comma is full-width in the form, not yet saved
    expect(messages(page)).to_contain_text("已把 1 处半角标点改为全角，请检查后保存")
    expect(field(page, "正文")).to_have_value(re.compile("我们高度重视，认真研究。"))
    expect(page.get_by_text("中文之间的半角标点")).to_have_count(0)
    page.get_by_role("button", name="保存", exact=True).click()
    expect(messages(page)).to_contain_text("已保存（第3版）")
    expect(page.get_by_text("中文之间的半角标点")).to_have_count(0)

    # When: she proposes class B and sends the draft to her leader
    page.get_by_role("combobox", name="答复类别（拟）").select_option("B")
    page.get_by_role("button", name="保存并送负责人签发").click()
    # Then: the reply page shows it waiting for 签发
    expect(messages(page)).to_contain_text("已送单位负责人签发")
    expect(page.get_by_role("heading", name=REPLY_TITLE, level=1)).to_be_visible()
    expect(status(page)).to_have_text("待签发")
    expect(page.locator(".status-line .tag")).to_have_text("B类")
    logout(page)

    # --- 2. 签发 by 市民政局's leader ---------------------------------------------------------
    # When: 周建华 sees the reply under 待我审核 and follows the notice straight to it
    login(page, "mzj_leader")
    nav(page, "本单位承办")
    expect(section(page, "待我审核")).to_contain_text(f"答复待签发：{TITLE}")
    page.get_by_role("link", name=re.compile(r"^通知")).click()
    page.get_by_role("link", name=f"《{TITLE}》答复稿待您签发。").click()
    expect(page.get_by_role("heading", name=REPLY_TITLE, level=1)).to_be_visible()
    expect(status(page)).to_have_text("待签发")
    expect(page.locator(".letter-view")).to_contain_text("我们高度重视，认真研究。")
    # Then: 预览答复函 serves the draft letter as a PDF
    preview = page.get_by_role("link", name="预览答复函")
    preview_url = preview.get_attribute("href")
    assert preview_url
    response = page.request.get(preview_url, timeout=PDF_TIMEOUT_MS)
    assert response.ok, response.status
    assert response.headers["content-type"] == "application/pdf"
    assert response.body().startswith(b"%PDF")
    preview_text = pdf_text(response.body())
    assert "草稿预览" in preview_text, preview_text
    assert "我们高度重视，认真研究。" in preview_text, preview_text
    # When: he signs it
    page.get_by_role("button", name="签发", exact=True).click()
    # Then: it goes to the supervisory office
    expect(messages(page)).to_contain_text("已签发")
    expect(status(page)).to_have_text("待督办审核")
    expect(page.get_by_role("button", name="签发", exact=True)).to_have_count(0)
    expect(page.locator(".letter-view")).to_contain_text("签发人：周建华")
    logout(page)

    # --- 3. 督办审核 by the office --------------------------------------------------------------
    # When: the office opens 答复审核 and the reply
    login(page, "npc_office")
    nav(page, "答复审核")
    expect(page.get_by_role("heading", name="答复审核")).to_be_visible()
    row = page.get_by_role("row").filter(has_text=TITLE)
    expect(row).to_contain_text("萧山39号")
    expect(row).to_contain_text("市民政局")
    expect(row.get_by_role("cell").nth(2)).to_have_text("B类")
    row.get_by_role("link", name="审核").click()
    expect(page.get_by_role("heading", name=REPLY_TITLE, level=1)).to_be_visible()
    expect(status(page)).to_have_text("待督办审核")
    review = section(page, "督办审核")
    expect(review.get_by_role("combobox", name="答复类别", exact=True)).to_have_value("B")
    # ... raises the class to A and approves
    review.get_by_role("combobox", name="答复类别", exact=True).select_option("A")
    review.get_by_label("审核意见").fill(REVIEW_COMMENT)
    with page.expect_navigation(timeout=PDF_TIMEOUT_MS):
        review.get_by_role("button", name="审核通过并发出").click()
    # Then: the reply is sent with this year's next number of 市民政局, class A
    expect(messages(page)).to_contain_text("审核通过，答复已发出")
    expect(status(page)).to_have_text("已发出")
    expect(page.locator(".status-line .number")).to_have_text(number_pattern)
    document_number = page.locator(".status-line .number").inner_text().strip()
    expect(page.locator(".status-line .tag")).to_have_text("A类")
    # ... and, Celery being eager, the letter was rendered before the redirect was answered
    expect(page.get_by_role("link", name="下载答复函（PDF）")).to_be_visible()
    expect(page.locator(".actions")).to_contain_text(re.compile(r"共 \d+ 页"))
    assert Reply.objects.get(proposal=proposal).letter.status == LetterStatus.READY
    logout(page)

    # --- 4. 何红 reads and downloads the reply --------------------------------------------------
    # When: 何红 opens the item from 我的建议提案
    login(page, "hehong")
    nav(page, "我的建议提案")
    page.get_by_role("link", name=TITLE).click()
    expect(page.get_by_role("heading", name=TITLE, level=1)).to_be_visible()
    # Then: the item is answered and the 答复 section shows the number and class
    expect(status(page)).to_have_text("已答复")
    replies = section(page, "答复")
    expect(replies).to_contain_text(REPLY_LINK)
    expect(replies).to_contain_text(document_number)
    expect(replies).to_contain_text("A类")
    # When: she downloads the letter
    with page.expect_download(timeout=PDF_TIMEOUT_MS) as download_info:
        replies.get_by_role("link", name="下载答复函").click()
    download = download_info.value
    # Then: it is the letter PDF
    assert download.suggested_filename == f"{REPLY_TITLE}.pdf"
    letter_bytes = Path(download.path()).read_bytes()
    assert letter_bytes.startswith(b"%PDF")
    assert len(letter_bytes) > 10 * 1024, len(letter_bytes)
    letter_text = pdf_text(letter_bytes)
    assert document_number in letter_text, letter_text
    # the class mark at the top left is the code, followed by the disclosure mark
    assert f"A同意公开{document_number}" in letter_text, letter_text
    assert "签发人：周建华" in letter_text, letter_text
    assert "草稿预览" not in letter_text, letter_text

    # Then: the timeline shows the reply's steps in order
    steps = section(page, "办理过程").locator("ol.timeline > li > strong").all_inner_texts()
    wanted = [
        "交办",
        "签收",
        "答复送签",
        "签发答复",
        "督办调整答复类别",
        "督办审核通过",
        "答复发出",
    ]
    assert is_in_order(steps, wanted), steps
    timeline = section(page, "办理过程")
    # the office's review comment on the class is its own and the unit's, not the member's
    # (proposals.event_visibility): she sees the step without it
    expect(timeline).not_to_contain_text(REVIEW_COMMENT)
    expect(timeline).to_contain_text(f"市民政局 {document_number}（A类）")
    logout(page)

    # Then: the database agrees
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.REPLIED
    reply = Reply.objects.select_related("letter", "signed_by", "reviewed_by").get(
        proposal=proposal
    )
    assert reply.status == ReplyStatus.SENT
    assert reply.result_class == "A"
    assert reply.document_number == document_number
    assert (reply.document_year, reply.document_serial) == (year, 1)
    assert reply.signed_on == timezone.localdate(reply.sent_at)
    assert reply.signed_by.username == "mzj_leader"
    assert reply.signer_name == "周建华"
    assert reply.reviewed_by.username == "npc_office"
    assert body_text(reply.body_html) == FIXED_BODY
    assert reply.version == 4  # created, saved, saved after the fix, saved on 送签
    letter = reply.letter
    assert letter.status == LetterStatus.READY
    assert letter.page_count is not None and letter.page_count >= 1
    assert letter.sha256 == hashlib.sha256(letter_bytes).hexdigest()
    assignment.refresh_from_db()
    assert assignment.status == AssignmentStatus.REPLIED

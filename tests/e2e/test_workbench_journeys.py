"""End to end, in a real browser, the work coming to the people who must do it:

(a) 市民政局's staff send the draft reply to 何红's 萧山39号 for 签发; the leader logs in, finds it
    on his workbench, follows the notice from 通知 straight to the reply page and signs it,
    without ever loading the item page;
(b) 何红 rates the reply to 萧山39号 不满意 from her workbench; the 人大 office finds it under
    被评为不满意的答复 with her rating, comment and the unit, and orders 重新办理 from the row;
    市民政局's staff sign for the new round on their workbench, start the reply and read 何红's
    comment, the office's instruction and the earlier reply's 文号 in the new round's editor.

The starting data is the demo (`seed_demo`), moved by the services to where each journey starts;
every step after that goes through the UI of the live server (pytest-django `live_server`,
hence a transactional database).
"""

from __future__ import annotations

import io
import re

import pytest
from django.core.management import call_command
from playwright.sync_api import Locator, Page, Request, Response, expect

from accounts.models import Unit, User
from proposals import services
from proposals.models import Assignment, AssignmentStatus, Proposal, ProposalStatus
from replies import services as reply_services
from replies.models import Evaluation, Rating, Reply, ReplyStatus

from .journey import login, logout, messages, nav, status

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

TITLE = "关于引导社会组织参与未成年人保护的建议"  # 萧山39号, lead 何红
LEAD_UNIT = "杭州市民政局"
REPLY_TITLE = "杭州市民政局关于市十四届人大三次会议萧山39号建议的答复"
BODY = "一、工作开展情况\n我们高度重视，认真研究。\n二、下步工作计划\n继续加强社会组织培育。"
COMMENT = "答复对政府购买服务的标准没有具体说明，希望重新研究。"
INSTRUCTION = "请就政府购买服务标准作出具体答复。"


def queue(page: Page, key: str) -> Locator:
    """A queue of the workbench (templates/workbench/_queue.html)."""
    return page.locator(f"section#queue-{key}")


def queue_row(page: Page, key: str, title: str) -> Locator:
    return queue(page, key).locator("li.queue-row").filter(has_text=title)


def field(page: Page, name: str) -> Locator:
    return page.get_by_role("textbox", name=name, exact=True)


def report_server_errors(page: Page) -> None:
    """Print every 5xx answer (shown under "Captured stdout" if the test fails)."""

    def check(response: Response) -> None:
        if response.status >= 500:
            print(f"e2e: {response.status} {response.request.method} {response.url}")

    page.on("response", check)


def record_pages(page: Page) -> list[str]:
    """The URL of every page the browser loads from now on, redirects included."""
    loaded: list[str] = []

    def on_request(request: Request) -> None:
        if request.is_navigation_request():
            loaded.append(request.url)

    page.on("request", on_request)
    page.on("framenavigated", lambda frame: loaded.append(frame.url))
    return loaded


def test_leader_goes_from_the_notice_to_signing_without_the_item_page(page: Page) -> None:
    report_server_errors(page)
    # Given: the demo without sample replies; 萧山39号 assigned to 市民政局, signed for, and a
    # draft reply written by 李文静
    call_command("seed_demo", no_replies=True, stdout=io.StringIO())
    proposal = Proposal.objects.get(title=TITLE)
    staff = User.objects.get(username="mzj_staff")
    (assignment,) = services.proposal_assign(
        proposal=proposal,
        actor=User.objects.get(username="npc_office"),
        lead_unit=Unit.objects.get(name=LEAD_UNIT),
    )
    services.assignment_accept(assignment=assignment, actor=staff)
    reply = reply_services.reply_start(assignment=assignment, actor=staff)
    reply_services.reply_save(
        reply=reply, actor=staff, version=reply.version, body_html=BODY, result_class="B"
    )

    # When: 李文静 opens her draft and sends it for 签发 (送签)
    login(page, "mzj_staff")
    page.goto(f"/replies/{reply.pk}/edit/")
    page.get_by_role("button", name="保存并送负责人签发").click()
    # Then: it waits for her leader
    expect(messages(page)).to_contain_text("已送单位负责人签发")
    expect(status(page)).to_have_text("待签发")
    logout(page)

    # When: 周建华 logs in (every page the browser loads is recorded from here on)
    loaded = record_pages(page)
    login(page, "mzj_leader")
    # Then: he lands on his workbench, where the draft waits with the link to the reply page
    expect(page).to_have_url(re.compile(r"/$"))
    row = queue_row(page, "sign", TITLE)
    expect(row).to_contain_text("李文静")
    expect(row.get_by_role("link", name=TITLE)).to_have_attribute("href", f"/replies/{reply.pk}/")
    # When: he follows the notice from 通知
    page.locator("header").get_by_role("link", name=re.compile(r"^通知")).click()
    page.get_by_role("link", name=f"《{TITLE}》答复稿待您签发。").click()
    # Then: he is on the reply page, where 签发 is
    expect(page).to_have_url(re.compile(rf"/replies/{reply.pk}/$"))
    expect(page.get_by_role("heading", name=REPLY_TITLE, level=1)).to_be_visible()
    expect(status(page)).to_have_text("待签发")
    expect(page.locator(".letter-view")).to_contain_text("我们高度重视，认真研究。")
    # When: he signs it
    page.get_by_role("button", name="签发", exact=True).click()
    # Then: it goes on to the office, and nothing is left to sign on his workbench
    expect(messages(page)).to_contain_text("已签发")
    expect(status(page)).to_have_text("待督办审核")
    nav(page, "工作台")
    expect(page.get_by_role("heading", name="待签发的答复稿")).to_have_count(0)
    expect(queue(page, "sign")).to_have_count(0)
    # ... and the browser never loaded the item page on the way
    item_page = re.compile(rf"/items/{proposal.pk}/(#.*)?$")
    assert loaded, loaded
    assert not [url for url in loaded if item_page.search(url)], loaded
    assert any(url.endswith(f"/replies/{reply.pk}/") for url in loaded), loaded
    logout(page)

    # Then: the database agrees
    reply.refresh_from_db()
    assert reply.status == ReplyStatus.IN_REVIEW
    assert reply.signed_by == User.objects.get(username="mzj_leader")


def test_unsatisfied_reply_goes_from_the_workbench_to_rehandling(page: Page) -> None:
    report_server_errors(page)
    # Given: the full demo; 萧山39号 has one sent reply of 杭州市民政局 and 何红 is its only signer
    call_command("seed_demo", stdout=io.StringIO())
    proposal = Proposal.objects.get(title=TITLE)
    first_reply = Reply.objects.get(proposal=proposal, status=ReplyStatus.SENT)

    # --- 1. 何红 rates the reply 不满意 from her workbench ------------------------------------
    login(page, "hehong")
    row = queue_row(page, "rate", TITLE)
    expect(row).to_contain_text(first_reply.document_number)
    expect(row).to_contain_text(re.compile(r"剩余 \d+ 天"))
    row.get_by_role("link", name="阅读答复并测评").click()
    expect(page).to_have_url(re.compile(rf"/items/{proposal.pk}/#evaluate-{first_reply.pk}$"))
    form = page.locator(f"#evaluate-{first_reply.pk} form")
    form.get_by_role("group", name=re.compile(r"^对办理工作")).get_by_role(
        "radio", name="基本满意", exact=True
    ).check()
    form.get_by_role("group", name=re.compile(r"^对办理结果")).get_by_role(
        "radio", name="不满意", exact=True
    ).check()
    form.get_by_role("textbox", name="意见和建议").fill(COMMENT)
    form.get_by_role("button", name="提交测评").click()
    expect(messages(page)).to_contain_text("测评已提交")
    logout(page)

    # --- 2. the office finds it on its workbench and orders 重新办理 from the row ---------------
    login(page, "npc_office")
    row = queue_row(page, "unsatisfied", TITLE)
    expect(row).to_contain_text("市民政局")
    expect(row).to_contain_text(first_reply.document_number)
    expect(row).to_contain_text(f"何红：办理工作基本满意，办理结果不满意。{COMMENT}")
    row.locator("summary", has_text="重新办理").click()
    row.get_by_role("textbox", name="交市民政局重新办理的说明").fill(INSTRUCTION)
    row.get_by_role("button", name="重新办理", exact=True).click()
    # Then: back on the workbench, the reply no longer waits there
    expect(messages(page)).to_contain_text("已交承办单位重新办理")
    expect(page).to_have_url(re.compile(r"/$"))
    expect(queue_row(page, "unsatisfied", TITLE)).to_have_count(0)
    logout(page)

    # --- 3. 市民政局 signs for the new round on its workbench and starts the reply --------------
    login(page, "mzj_staff")
    row = queue_row(page, "accept", TITLE)
    expect(row).to_contain_text("重新办理（第2轮）")
    row.get_by_role("button", name=re.compile("^签收")).click()
    expect(messages(page)).to_contain_text("已签收")
    expect(page).to_have_url(re.compile(r"/$"))
    expect(queue_row(page, "accept", TITLE)).to_have_count(0)
    # When: she opens the item from 本单位承办 and starts the reply
    nav(page, "本单位承办")
    page.get_by_role("row").filter(has_text=TITLE).filter(has_text="办理中").get_by_role(
        "link", name=TITLE
    ).click()
    page.get_by_role("button", name="撰写答复").click()
    # Then: the new round's editor shows why 何红 was dissatisfied and what came before
    expect(page.get_by_role("heading", name="撰写答复", level=1)).to_be_visible()
    earlier = page.locator("section#earlier-rounds")
    expect(earlier.get_by_role("heading", level=2)).to_have_text(
        "重新办理（第2轮）：代表委员的意见"
    )
    expect(earlier).to_contain_text(INSTRUCTION)
    expect(earlier).to_contain_text("何红：办理工作基本满意，办理结果不满意")
    expect(earlier.locator("blockquote")).to_have_text(COMMENT)
    expect(earlier.get_by_role("link", name=first_reply.document_number)).to_have_attribute(
        "href", f"/replies/{first_reply.pk}/"
    )
    # ... and the draft says it is a 重新办理 reply, naming the earlier one
    expect(field(page, "标题")).to_have_value(
        "杭州市民政局关于市十四届人大三次会议萧山39号建议重新办理情况的答复"
    )
    expect(field(page, "开头")).to_have_value(
        re.compile(re.escape(f"以{first_reply.document_number}答复。根据您的意见，经重新办理"))
    )
    logout(page)

    # Then: the database agrees
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.ASSIGNED
    round_two = Assignment.objects.get(proposal=proposal, round=2)
    assert (round_two.unit.name, round_two.status) == (LEAD_UNIT, AssignmentStatus.ACCEPTED)
    evaluation = Evaluation.objects.get(reply=first_reply)
    assert (evaluation.result_rating, evaluation.comment) == (Rating.UNSATISFIED, COMMENT)
    assert Reply.objects.filter(assignment=round_two, status=ReplyStatus.DRAFT).count() == 1

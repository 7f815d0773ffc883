"""End to end on phones (390 × 844, touch): 何红 drafts a suggestion, invites 王建国 through the
co-signer search and submits it once he has confirmed on his own phone; after the office has
registered and assigned it and 杭州市民政局 has answered (through the services, with the real
letter rendered), she reads the reply, downloads the letter and rates it, all on her phone.

At every step the page is measured as tests/e2e/layout.py measures every page: it never scrolls
sideways, no text is squeezed, no id is repeated and every control is big enough for a thumb.
Only the starting data is made with factories; the deputies' steps go through the UI of the live
server (pytest-django `live_server`, hence a transactional database). Tests run Celery eagerly,
so the letter is rendered when the office approves the reply.
"""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from proposals import services as proposal_services
from proposals.models import CoSignerStatus, Proposal, ProposalStatus
from replies import services as reply_services
from replies.models import Evaluation, LetterStatus, Rating, Reply, ReplyStatus
from tests.e2e.layout import PHONE, layout_problems
from tests.factories import CategoryFactory, MeetingFactory, MemberFactory, UnitFactory, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "pass-1234"  # what UserFactory sets
TITLE = "关于加快推进社区嵌入式养老服务设施建设的建议"
BODY = "建议将社区嵌入式养老服务设施纳入城市更新项目统筹建设，\n并对运营机构给予场地租金补贴。"
REPLY_BODY = (
    "<p>我局已将社区嵌入式养老服务设施纳入城市更新项目统筹建设，今年新建社区助餐点30个。</p>"
    "<p>下一步，我局将会同市财政局研究运营机构场地租金补贴办法。</p>"
)
COMMENT = "答复具体，期待补贴办法早日出台。"
LETTER_TIMEOUT_MS = 60_000


def fits_the_phone(page: Page) -> None:
    """The page as the person sees it now: no sideways scrolling, nothing squeezed, no repeated
    id, no control too small to tap."""
    problems = layout_problems(page, phone=True)
    assert not problems, f"{page.url}:\n" + "\n".join(problems)


def login(page: Page, username: str) -> None:
    page.goto("/login/")
    fits_the_phone(page)
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").tap()
    expect(page.get_by_role("button", name="退出")).to_be_visible()


def menu(page: Page, name: str) -> None:
    """Opens the menu (the bar of links is hidden on a phone) and taps one of its links."""
    main_navigation = page.get_by_role("navigation", name="主导航")
    expect(main_navigation.get_by_role("link", name=name)).to_be_hidden()
    page.locator("summary", has_text="菜单").tap()
    main_navigation.get_by_role("link", name=name).tap()


def messages(page: Page) -> Locator:
    """The flash messages at the top of every page."""
    return page.get_by_role("status")


def section(page: Page, heading: str) -> Locator:
    """A card on the page, found by its own heading."""
    return page.locator("section", has=page.get_by_role("heading", name=heading, exact=True))


def phone(browser: Browser, live_server: Any) -> Page:
    context = browser.new_context(locale="zh-CN", base_url=live_server.url, **PHONE)
    context.set_default_timeout(10_000)
    return context.new_page()


def test_deputy_submits_with_a_cosigner_and_rates_the_reply_on_a_phone(
    browser: Browser, live_server: Any
) -> None:
    # Given: an NPC meeting open for submissions, two deputies, the office and a bureau
    MeetingFactory(
        body="npc",
        short_name="市十四届人大三次会议",
        name="测试市第十四届人民代表大会第三次会议",
        number_format="{prefix}{number}号",
    )
    CategoryFactory(body="npc", name="民政")
    hehong = MemberFactory(username="hehong", full_name="何红", profile__number_prefix="萧山")
    wangjianguo = MemberFactory(
        username="wangjianguo", full_name="王建国", profile__delegation="上城代表团"
    )
    office = UserFactory(
        username="npc_office", full_name="人大代表工委", role="supervisor", supervisor_scope="npc"
    )
    unit = UnitFactory(name="杭州市民政局", short_name="市民政局", document_prefix="杭民函")
    staff = UserFactory(username="mzj_staff", full_name="李文静", role="unit_staff", unit=unit)
    leader = UserFactory(username="mzj_leader", full_name="周建华", role="unit_leader", unit=unit)
    her_phone = phone(browser, live_server)
    his_phone = phone(browser, live_server)

    # --- 1. 何红 writes a draft on her phone -----------------------------------------------------
    # When: she logs in and takes 提出建议提案 from the menu
    login(her_phone, "hehong")
    fits_the_phone(her_phone)
    expect(her_phone.locator(".nav-wide")).to_be_hidden()
    menu(her_phone, "提出建议提案")
    # Then: the submission form, full width
    expect(her_phone.get_by_role("heading", name="提出建议提案")).to_be_visible()
    fits_the_phone(her_phone)
    title_box = her_phone.get_by_label("标题").bounding_box()
    assert title_box is not None and title_box["width"] > 300, title_box
    # When: she fills it in and saves the draft
    her_phone.get_by_label("届次会议").select_option(label="市十四届人大三次会议")
    her_phone.get_by_label("标题").fill(TITLE)
    her_phone.get_by_label("类别").select_option(label="民政")
    her_phone.get_by_label("内容").fill(BODY)
    her_phone.get_by_role("button", name="保存草稿").tap()
    # Then: the draft's page
    expect(messages(her_phone)).to_contain_text("草稿已保存")
    expect(her_phone.get_by_role("heading", name=TITLE, level=1)).to_be_visible()
    expect(her_phone.locator(".status-line .status")).to_have_text("草稿")
    fits_the_phone(her_phone)

    # --- 2. ... and invites 王建国 through the co-signer search --------------------------------
    her_phone.get_by_role("link", name="邀请联名").tap()
    expect(her_phone.get_by_role("heading", name=f"邀请联名：{TITLE}")).to_be_visible()
    fits_the_phone(her_phone)
    her_phone.get_by_label("姓名、代表团或界别").fill("王建国")
    her_phone.get_by_role("button", name="搜索").tap()
    result = her_phone.get_by_role("row").filter(has_text="王建国")
    expect(result).to_contain_text("上城代表团")
    fits_the_phone(her_phone)
    result.get_by_role("button", name="邀请王建国").tap()
    expect(messages(her_phone)).to_contain_text("已邀请王建国联名")
    expect(section(her_phone, "联名邀请")).to_contain_text("王建国 · 待确认")
    fits_the_phone(her_phone)

    # --- 3. 王建国 confirms on his phone ----------------------------------------------------------
    # When: he opens 联名邀请 from the menu and the invitation's item
    login(his_phone, "wangjianguo")
    menu(his_phone, "联名邀请")
    invitation = his_phone.get_by_role("row").filter(has_text=TITLE)
    expect(invitation).to_contain_text("何红")
    expect(invitation).to_contain_text("待确认")
    fits_the_phone(his_phone)
    invitation.get_by_role("link", name=TITLE).tap()
    # Then: the item asks him to confirm
    expect(his_phone.get_by_text("何红 邀请您联名这件建议。")).to_be_visible()
    fits_the_phone(his_phone)
    his_phone.get_by_role("button", name="确认联名").tap()
    expect(messages(his_phone)).to_contain_text("已确认联名")
    expect(his_phone.get_by_role("button", name="确认联名")).to_have_count(0)
    fits_the_phone(his_phone)

    # --- 4. 何红 submits ---------------------------------------------------------------------------
    # When: she opens her draft from 我的建议提案 (a card per item on the phone)
    menu(her_phone, "我的建议提案")
    card = her_phone.get_by_role("row").filter(has_text=TITLE)
    expect(card).to_contain_text("草稿")
    fits_the_phone(her_phone)
    card.get_by_role("link", name=TITLE).tap()
    expect(section(her_phone, "联名邀请")).to_contain_text("王建国 · 已确认")
    her_phone.get_by_role("button", name="提交", exact=True).tap()
    # Then
    expect(messages(her_phone)).to_contain_text("已提交")
    expect(her_phone.locator(".status-line .status")).to_have_text("待审查")
    fits_the_phone(her_phone)
    proposal = Proposal.objects.get(title=TITLE)
    assert proposal.status == ProposalStatus.SUBMITTED
    assert [(c.member, c.status) for c in proposal.cosigners.all()] == [
        (wangjianguo, CoSignerStatus.CONFIRMED)
    ]

    # --- 5. Registered, assigned and answered (the office's and the bureau's own steps) ----------
    proposal_services.proposal_register(proposal=proposal, actor=office)
    proposal_services.proposal_assign(proposal=proposal, actor=office, lead_unit=unit)
    assignment = proposal.assignments.get()
    proposal_services.assignment_accept(assignment=assignment, actor=staff)
    reply = reply_services.reply_start(assignment=assignment, actor=staff)
    reply = reply_services.reply_save(
        reply=reply,
        actor=staff,
        version=reply.version,
        body_html=REPLY_BODY,
        result_class="A",
        contact_person="孙华锋",
        contact_phone="89586327",
    )
    reply_services.reply_sign(reply=reply, actor=leader)
    reply_services.reply_approve(reply=reply, actor=office)
    reply = Reply.objects.select_related("letter").get(pk=reply.pk)
    assert reply.status == ReplyStatus.SENT
    assert reply.letter.status == LetterStatus.READY

    # --- 6. 何红 reads the reply and downloads the letter -----------------------------------------
    # When: she opens the item from 我的建议提案
    menu(her_phone, "我的建议提案")
    her_phone.get_by_role("row").filter(has_text=TITLE).get_by_role("link", name=TITLE).tap()
    # Then: it is answered, with the reply and its number
    expect(her_phone.locator(".status-line .status")).to_have_text("已答复")
    replies = section(her_phone, "答复")
    expect(replies).to_contain_text(reply.document_number)
    fits_the_phone(her_phone)
    # When: she opens the reply
    replies.get_by_role("link", name=f"市民政局：{reply.title}").tap()
    # Then: the letter's text, addressed to both signers
    expect(her_phone.get_by_role("heading", name=reply.title, level=1)).to_be_visible()
    letter_view = her_phone.locator(".letter-view")
    expect(letter_view).to_contain_text("何红、王建国代表")
    expect(letter_view).to_contain_text("今年新建社区助餐点30个")
    fits_the_phone(her_phone)
    # When: she downloads the letter
    with her_phone.expect_download(timeout=LETTER_TIMEOUT_MS) as download_info:
        her_phone.get_by_role("link", name="下载答复函（PDF）").tap()
    # Then: a PDF named after the reply
    download = download_info.value
    assert download.suggested_filename == f"{reply.title}.pdf"
    content = download.path().read_bytes()
    assert content.startswith(b"%PDF-"), content[:16]

    # --- 7. ... and rates it ---------------------------------------------------------------------
    # When: she goes back to the item and fills in 满意度测评
    her_phone.get_by_role("link", name=f"{proposal.number_label} {TITLE}").tap()
    evaluations = section(her_phone, "满意度测评")
    expect(evaluations).to_contain_text("尚未测评。")
    fits_the_phone(her_phone)
    form = evaluations.locator("form", has=her_phone.get_by_role("button", name="提交测评"))
    work = form.get_by_role("group", name="对办理工作（态度）的评价")
    work.get_by_text("满意", exact=True).tap()  # the label: the target a thumb hits
    form.get_by_role("group", name="对办理结果的评价").get_by_text("基本满意", exact=True).tap()
    form.get_by_text("承办单位在答复前与我联系过").tap()
    form.get_by_role("textbox", name="意见和建议").fill(COMMENT)
    form.get_by_role("button", name="提交测评").tap()
    # Then: her rating is recorded and shown
    expect(messages(her_phone)).to_contain_text("测评已提交")
    evaluations = section(her_phone, "满意度测评")
    expect(evaluations).to_contain_text("何红：办理工作满意，办理结果基本满意 · 有联系")
    expect(evaluations).to_contain_text(COMMENT)
    fits_the_phone(her_phone)

    # And the database agrees
    evaluation = Evaluation.objects.get(reply=reply, evaluator=hehong)
    assert (evaluation.work_rating, evaluation.result_rating) == (
        Rating.SATISFIED,
        Rating.BASICALLY_SATISFIED,
    )
    assert evaluation.contacted and not evaluation.face_to_face
    assert evaluation.comment == COMMENT
    her_phone.context.close()
    his_phone.context.close()

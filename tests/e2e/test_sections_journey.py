"""End to end, in a real browser (issue 15's acceptance): a 政协 member writes a proposal in three
sections (案由 / 理由 / 办法), sees the pre-check's error (a 理由 too short) and warnings (a title
not of the form 关于……的提案, a phone number in the text) and a similar earlier item with its
published reply, fixes the error, saves the draft and submits it with 「仍然提交」; the item page
shows the three sections with their labels. The same form on a phone does not scroll sideways.

The starting data (meetings, members, the earlier item with its reply published on the portal)
is made with factories and services; every step of the member goes through the UI of the live
server (pytest-django `live_server`, hence a transactional database).
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from proposals import services
from proposals.models import Meeting, Proposal, ProposalStatus
from proposals.sections import policy_of, stored_sections
from tests.factories import CategoryFactory, MeetingFactory, MemberFactory, UserFactory
from tests.test_portal_search import draft_reply, office, send

from .journey import FACTORY_PASSWORD, login, messages, nav, status
from .layout import PHONE, layout_problems

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

OVER = re.compile(r"\bover\b")  # the counter's class when a section is too short or too long

# the earlier item, of the meeting before, answered and published on the portal
EARLIER_TITLE = "关于简化老旧小区加装电梯审批流程的提案"
EARLIER = {
    "subject": "老旧小区加装电梯审批流程繁琐",
    "reason": "老旧小区居民以老年人为主，上下楼困难。现行加装电梯审批涉及规划、住建、"
    "市场监管等多个部门，材料多、周期长，居民意见难以统一。" * 2,
    "measures": "建议推行加装电梯一窗受理、并联审批，明确审批时限，并设立专项补贴资金。",
}

# what the member writes: a title not of the form 关于……的提案, a phone number in 办法
TITLE = "老旧小区加装电梯审批要再简化"
SUBJECT = "老旧小区加装电梯审批仍然偏慢"
SHORT_REASON = "审批环节太多。"
REASON = (
    "我市老旧小区加装电梯的需求很大，但审批仍需规划、住建、市场监管等部门分别出具意见，"
    "居民往返奔波，平均耗时超过半年，不少小区因此放弃加装。"
)
MEASURES = (
    "建议由街道牵头设立加装电梯服务专窗，实行并联审批和限时办结，"
    "并公布咨询电话13805710039，方便居民随时了解办理进度。"
)


def earlier_item_with_a_published_reply() -> Proposal:
    """Another member's item of the meeting before (七届二次), registered, assigned, answered and
    published on the portal at once (disclosure_working_days=0); then that meeting closes."""
    meeting: Any = MeetingFactory(
        body="cppcc",
        term=7,
        sitting=2,
        year=2025,
        name="政协测试市第七届委员会第二次会议",
        short_name="市政协七届二次会议",
        disclosure_working_days=0,
    )
    lead = MemberFactory(
        username="zhoumin",
        full_name="周敏",
        profile__body="cppcc",
        profile__submitter_type="cppcc_member",
        profile__delegation="",
        profile__number_prefix="",
    )
    supervisor = UserFactory(
        username="cppcc_office", full_name="政协提案委", role="supervisor", supervisor_scope="cppcc"
    )
    item = services.proposal_create(
        author=lead,
        meeting=meeting,
        title=EARLIER_TITLE,
        body="",
        sections=stored_sections(policy_of(meeting), EARLIER),
        category=CategoryFactory(body="cppcc", name="城乡建设"),
    )
    services.proposal_submit(proposal=item, actor=lead)
    services.proposal_register(proposal=item, actor=supervisor)
    handler = office("zj", "测试市住房和城乡建设局", "市住建局")
    services.proposal_assign(proposal=item, actor=supervisor, lead_unit=handler.unit)
    services.assignment_accept(assignment=item.assignments.get(role="lead"), actor=handler.staff)
    send(
        draft_reply(item, handler, body_html="<p>已研究，正在推行并联审批。</p>"),
        handler,
        supervisor,
    )
    Meeting.objects.filter(pk=meeting.pk).update(
        submission_closes_at=timezone.now() - timedelta(days=1)
    )
    item.refresh_from_db()
    return item


@pytest.fixture
def cppcc_world(db: None) -> Proposal:
    """The meeting open now (七届三次, the default sections 案由 / 理由 / 办法), the member 刘安泽
    and the earlier item; returns the earlier item."""
    MeetingFactory(
        body="cppcc",
        term=7,
        sitting=3,
        name="政协测试市第七届委员会第三次会议",
        short_name="市政协七届三次会议",
    )
    CategoryFactory(body="cppcc", name="社会事业")
    MemberFactory(
        username="liuanze",
        full_name="刘安泽",
        profile__body="cppcc",
        profile__submitter_type="cppcc_member",
        profile__delegation="",
        profile__number_prefix="",
    )
    return earlier_item_with_a_published_reply()


def test_cppcc_member_writes_three_sections_sees_the_precheck_and_submits(
    page: Page, cppcc_world: Proposal
) -> None:
    earlier = cppcc_world
    login(page, "liuanze", FACTORY_PASSWORD)
    nav(page, "提出建议提案")
    expect(page.get_by_role("heading", name="提出建议提案")).to_be_visible()
    # only the open meeting is offered, chosen already; its three sections, each with a counter
    expect(page.get_by_label("届次会议")).to_have_value(
        str(Meeting.objects.get(sitting=3, body="cppcc").pk)
    )
    form = page.locator("#proposal-form")
    expect(form.locator("textarea[data-section]")).to_have_count(3)
    subject = page.get_by_role("textbox", name="案由")
    reason = page.get_by_role("textbox", name="理由")
    measures = page.get_by_role("textbox", name="办法")
    expect(page.get_by_role("textbox", name="内容")).to_have_count(0)
    expect(form.locator(".counter")).to_have_text(["已写 0 字"] * 3)
    # the limits are in each section's help text, not repeated by the counter
    expect(form.locator("small.help")).to_contain_text(
        ["至少 10 字，最多 300 字", "至少 50 字，最多 4000 字", "至少 30 字，最多 4000 字"]
    )
    precheck = page.locator("#precheck")

    # When: a title not of the form 关于……的提案, the 案由 and a 理由 far too short
    page.get_by_label("标题").fill(TITLE)
    page.get_by_label("类别").select_option(label="社会事业")
    subject.fill(SUBJECT)
    reason.fill(SHORT_REASON)
    # Then: the counter under 理由 turns red and the pre-check names the error, in Chinese
    reason_counter = reason.locator("xpath=following-sibling::small[contains(@class, 'counter')]")
    expect(reason_counter).to_have_text(
        f"已写 {len(SHORT_REASON)} 字，还差 {50 - len(SHORT_REASON)} 字"
    )
    expect(reason_counter).to_have_class(OVER)
    errors = precheck.locator(".errors")
    expect(errors).to_contain_text("须修改后才能提交")
    expect(errors).to_contain_text(f"“理由”至少 50 字，现为 {len(SHORT_REASON)} 字。")
    expect(errors).to_contain_text("请填写“办法”。")
    warnings = precheck.locator(".warnings")
    expect(warnings).to_contain_text("标题宜写成“关于……的提案”")

    # When: the 办法, with a phone number in it
    measures.fill(MEASURES)
    # Then: the phone number is a warning, and the earlier item shows with its published reply
    expect(warnings).to_contain_text("正文中有电话号码")
    expect(warnings).to_contain_text("已有 1 件相似的建议提案")
    similar = precheck.locator(".similar")
    expect(similar).to_contain_text("相似的建议提案")
    # 周敏's item: not the member's own, so no link to its page, but its reply on the portal
    expect(similar).to_contain_text(EARLIER_TITLE)
    expect(similar).to_contain_text("市政协七届二次会议")
    expect(similar.get_by_role("link", name=EARLIER_TITLE)).to_have_count(0)
    reply_link = similar.get_by_role("link", name="查看答复")
    expect(reply_link).to_have_attribute("href", f"/public/replies/{earlier.replies.get().pk}/")
    expect(errors).not_to_contain_text("办法")

    # When: the 理由 is written out in full
    reason.fill(REASON)
    # Then: no error is left, the warnings stay
    expect(reason_counter).not_to_have_class(OVER)
    expect(reason_counter).to_have_text(f"已写 {len(REASON)} 字")
    expect(precheck.locator(".errors")).to_have_count(0)
    expect(warnings).to_contain_text("正文中有电话号码")

    # When: the draft is saved
    page.get_by_role("button", name="保存草稿").click()
    # Then: its page repeats the warnings and offers 「仍然提交」 rather than 「提交」
    expect(messages(page)).to_contain_text("草稿已保存")
    expect(page.get_by_role("heading", name=TITLE, level=1)).to_be_visible()
    expect(status(page)).to_have_text("草稿")
    draft_check = page.locator("section.precheck")
    expect(draft_check.locator(".warnings")).to_contain_text("标题宜写成“关于……的提案”")
    expect(draft_check.locator(".warnings")).to_contain_text("正文中有电话号码")
    expect(draft_check.locator(".similar")).to_contain_text(EARLIER_TITLE)
    expect(page.get_by_role("button", name="提交", exact=True)).to_have_count(0)

    # When: the member submits all the same
    page.get_by_role("button", name="仍然提交").click()
    # Then: submitted; the page shows the three sections under their labels
    expect(messages(page)).to_contain_text("已提交")
    expect(status(page)).to_have_text("待审查")
    expect(page.locator("h2.section-label")).to_have_text(["案由", "理由", "办法"])
    for label, text in (("案由", SUBJECT), ("理由", REASON), ("办法", MEASURES)):
        body = page.locator(f"h2.section-label:text-is('{label}') + .body-text")
        expect(body).to_have_text(text)

    item = Proposal.objects.get(title=TITLE)
    assert item.status == ProposalStatus.SUBMITTED
    assert item.lead.username == "liuanze"
    assert [(s["label"], s["text"]) for s in item.sections] == [
        ("案由", SUBJECT),
        ("理由", REASON),
        ("办法", MEASURES),
    ]
    assert item.body == f"{SUBJECT}\n\n{REASON}\n\n{MEASURES}"


def test_the_sectioned_form_fits_a_phone(
    browser: Browser, live_server: Any, cppcc_world: Proposal
) -> None:
    context = browser.new_context(locale="zh-CN", base_url=live_server.url, **PHONE)
    context.set_default_timeout(10_000)
    phone = context.new_page()
    try:
        login(phone, "liuanze", FACTORY_PASSWORD)
        phone.goto("/items/new/")
        expect(phone.get_by_role("heading", name="提出建议提案")).to_be_visible()
        assert layout_problems(phone, phone=True) == []
        # with the pre-check's findings and the similar item on screen as well
        phone.get_by_label("标题").fill(TITLE)
        phone.get_by_role("textbox", name="案由").fill(SUBJECT)
        phone.get_by_role("textbox", name="理由").fill(SHORT_REASON)
        phone.get_by_role("textbox", name="办法").fill(MEASURES)
        precheck = phone.locator("#precheck")
        expect(precheck.locator(".errors")).to_contain_text("“理由”至少 50 字")
        expect(precheck.locator(".similar")).to_contain_text(EARLIER_TITLE)
        assert layout_problems(phone, phone=True) == []
        width = phone.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"the form scrolls sideways: {width} px wide"
        # every section is wide enough to write in: most of the screen, not a sliver
        for label in ("案由", "理由", "办法"):
            box = phone.get_by_role("textbox", name=label).bounding_box()
            assert box is not None and box["width"] >= 300, (label, box)
    finally:
        context.close()

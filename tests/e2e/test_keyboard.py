"""Keyboard alone, in a real browser: the forms work with Tab, typing, Space and Enter, and the
focused control shows where the focus is.

No mouse: every step is a key press (Playwright's keyboard API), and a control is reached by
pressing Tab until it has the focus, as a keyboard user would. The data comes from factories.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Locator, Page, expect

from proposals import services
from proposals.models import Meeting, Proposal, ProposalStatus
from tests.factories import CategoryFactory, MeetingFactory, MemberFactory, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "pass-1234"  # what UserFactory sets
TITLE = "关于扩大普惠托育服务供给的建议"
MAX_TABS = 40  # a page with more stops than this before its form is a problem of its own


def tab_to(page: Page, target: Locator) -> None:
    """Press Tab until `target` has the focus (fails if it never gets it)."""
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        if target.evaluate("element => element === document.activeElement"):
            return
    raise AssertionError(f"{target} never got the focus in {MAX_TABS} presses of Tab")


def choose(page: Page, select: Locator, option: str) -> None:
    """Pick an option of the focused <select> with the arrow keys, as a keyboard user does with
    a closed drop-down (type-ahead would need an input method for Chinese option names)."""
    expect(select).to_be_focused()
    page.keyboard.press("Home")
    for _ in range(MAX_TABS):
        if select.evaluate("element => element.selectedOptions[0]?.text") == option:
            return
        page.keyboard.press("ArrowDown")
    raise AssertionError(f"{select} has no option {option!r}")


def focus_ring(page: Page) -> dict[str, str]:
    """How the focused element is drawn: its outline and whether :focus-visible matches."""
    return page.evaluate(
        """() => {
            const element = document.activeElement;
            const style = getComputedStyle(element);
            return {
                tag: element.tagName.toLowerCase(),
                focusVisible: String(element.matches(':focus-visible')),
                outlineStyle: style.outlineStyle,
                outlineWidth: style.outlineWidth,
            };
        }"""
    )


def assert_focus_visible(page: Page) -> None:
    ring = focus_ring(page)
    assert ring["focusVisible"] == "true", ring
    assert ring["outlineStyle"] != "none" and float(ring["outlineWidth"].removesuffix("px")) >= 2, (
        ring
    )


def keyboard_login(page: Page, username: str) -> None:
    """The login form: the user name field has the focus when the page opens."""
    page.goto("/login/")
    expect(page.get_by_label("用户名")).to_be_focused()
    page.keyboard.type(username)
    page.keyboard.press("Tab")
    expect(page.get_by_label("密码")).to_be_focused()
    assert_focus_visible(page)
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page.get_by_role("button", name="退出")).to_be_visible()


def test_member_logs_in_and_saves_a_draft_with_the_keyboard(page: Page) -> None:
    # Given: an open NPC meeting, a category and a deputy
    MeetingFactory(body="npc", short_name="市十四届人大三次会议")
    CategoryFactory(body="npc", name="民政")
    MemberFactory(username="hehong", full_name="何红")

    # When: she logs in with the keyboard
    keyboard_login(page, "hehong")
    # Then: her home page
    expect(page.get_by_role("heading", level=1)).to_be_visible()

    # When: the first Tab on a page
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="跳到正文")
    # Then: it reaches the "skip to content" link, which comes into view with a focus ring
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    assert_focus_visible(page)

    # When: she tabs to 提出建议提案 in the main navigation and presses Enter
    tab_to(
        page, page.get_by_role("navigation", name="主导航").get_by_role("link", name="提出建议提案")
    )
    assert_focus_visible(page)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="提出建议提案")).to_be_visible()
    # (a person does not act within the page's first milliseconds: while a page is still loading,
    # Chromium moves the focus to the #main target again when the load ends, which took the focus
    # off the first field under a loaded CI machine)
    page.wait_for_load_state("load")

    # When: on the form page she follows the skip link, then presses Tab once
    page.keyboard.press("Tab")
    expect(skip).to_be_focused()
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    # Then: the focus is on the form's first field, past the navigation
    expect(page.get_by_label("届次会议")).to_be_focused()

    # When: she fills the form (arrow keys in the drop-downs) and saves it with Enter
    choose(page, page.get_by_label("届次会议"), "市十四届人大三次会议")
    expect(page.get_by_label("届次会议")).to_have_value(str(Meeting.objects.get().pk))
    tab_to(page, page.get_by_role("textbox", name="标题"))
    page.keyboard.type(TITLE)
    tab_to(page, page.get_by_label("类别"))
    choose(page, page.get_by_label("类别"), "民政")
    tab_to(page, page.get_by_role("textbox", name="内容"))
    page.keyboard.type("建议加大普惠托育机构建设补贴。")
    page.keyboard.press("Enter")  # a new line in the text area, not a submit
    page.keyboard.type("扩大社区托育点覆盖面。")
    save = page.get_by_role("button", name="保存草稿")
    tab_to(page, save)
    assert_focus_visible(page)
    page.keyboard.press("Enter")

    # Then: the draft is saved, and its page says so
    expect(page.get_by_role("status")).to_contain_text("草稿已保存")
    expect(page.get_by_role("heading", name=TITLE)).to_be_visible()
    expect(page.locator(".status-line .status")).to_have_text("草稿")
    proposal = Proposal.objects.get(title=TITLE)
    assert proposal.status == ProposalStatus.DRAFT
    assert proposal.category is not None and proposal.category.name == "民政"
    assert proposal.body.splitlines() == [
        "建议加大普惠托育机构建设补贴。",
        "扩大社区托育点覆盖面。",
    ]


def test_supervisor_filters_the_list_with_the_keyboard(page: Page) -> None:
    # Given: one registered and one submitted item of an NPC meeting
    meeting = MeetingFactory(body="npc")
    category = CategoryFactory(body="npc")
    office = UserFactory(
        username="npc_office", full_name="人大代表工委", role="supervisor", supervisor_scope="npc"
    )
    lead = MemberFactory()
    registered, submitted = (
        services.proposal_create(
            author=lead, meeting=meeting, title=title, body="建议内容。" * 10, category=category
        )
        for title in ("关于加快养老服务设施建设的建议", "关于扩大普惠托育服务供给的建议")
    )
    for proposal in (registered, submitted):
        services.proposal_submit(proposal=proposal, actor=lead)
    services.proposal_register(proposal=registered, actor=office)

    # When: the office opens 全部建议提案 and filters by status with the keyboard
    keyboard_login(page, "npc_office")
    tab_to(
        page, page.get_by_role("navigation", name="主导航").get_by_role("link", name="全部建议提案")
    )
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="建议提案", level=1)).to_be_visible()
    table = page.get_by_role("table")
    expect(table.get_by_role("link", name=submitted.title)).to_be_visible()
    status = page.locator("form.filters").get_by_label("状态")
    tab_to(page, status)
    choose(page, status, "已立案")
    tab_to(page, page.get_by_role("button", name="筛选"))
    assert_focus_visible(page)
    page.keyboard.press("Space")

    # Then: only the registered item is listed, and the filter keeps its value
    expect(status).to_have_value(ProposalStatus.REGISTERED)
    expect(table.get_by_role("link", name=registered.title)).to_be_visible()
    expect(table.get_by_role("link", name=submitted.title)).to_have_count(0)

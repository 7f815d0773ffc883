"""Every page of the URL × role table (tests/test_urls.py), as each role that may open it, on a
phone (390 × 844) and on a desktop (1280 wide).

On the phone a page fails when
(a) the document is wider than the viewport (the page itself scrolls sideways);
(b) an element's own text of eight or more characters is laid out narrower than four characters
    (a Chinese title squeezed into a table cell wraps one character a line); text inside a box
    that scrolls sideways is held to the same measure;
(c) two elements share an id;
(d) a visible button, input, select, summary or link of the navigation menu (with the menu open)
    is less than 44 px high: a checkbox or radio button counts with its label, the target a
    thumb actually hits.
On the desktop a page fails on (a) and (c).

The world is the URL table's own (`world` in tests/test_urls.py), so a page added to that table
is walked here too. Each role logs in once through the login form, in its own browser context;
downloads (Excel, PDF, ZIP, feeds) are not pages and are skipped by their content type. Every
failure of every page is listed in one assertion message.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from replies import services as reply_services
from replies.models import Reply, ReplyStatus
from tests import test_urls

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "pass-1234"  # what UserFactory sets
PHONE: dict[str, Any] = {
    "viewport": {"width": 390, "height": 844},
    "is_mobile": True,
    "has_touch": True,
    "device_scale_factor": 3,
}
DESKTOP: dict[str, Any] = {"viewport": {"width": 1280, "height": 800}}
MIN_TAP_HEIGHT = 44
MIN_TEXT_CHARACTERS = 8  # text this long ...
MIN_TEXT_WIDTH_EM = 4  # ... is laid out at least this many characters wide

# the URL table's world, used here as a fixture of this module
world = test_urls.world

# One walk over the page as it is: returns a list of problems, each a line of text.
CHECK_PAGE_JS = """([phone, minTap, minChars, minWidthEm]) => {
    const problems = [];
    const viewport = document.documentElement.clientWidth;
    const describe = (element) => {
        let name = element.tagName.toLowerCase();
        if (element.id) name += '#' + element.id;
        const classes = (element.getAttribute('class') || '').trim().split(/\\s+/).filter(Boolean);
        if (classes.length) name += '.' + classes.join('.');
        const text = (element.innerText || element.textContent || element.value || '')
            .replace(/\\s+/g, ' ').trim();
        return text ? `${name} "${text.slice(0, 24)}"` : name;
    };
    const shown = (element) => {
        if (element.closest('.visually-hidden')) return false;
        if (element.checkVisibility && !element.checkVisibility({checkOpacity: true, checkVisibilityCSS: true})) {
            return false;
        }
        const box = element.getBoundingClientRect();
        return box.width > 1 && box.height > 1;
    };

    // (c) duplicate ids
    const seen = new Map();
    for (const element of document.querySelectorAll('[id]')) {
        seen.set(element.id, (seen.get(element.id) || 0) + 1);
    }
    for (const [id, count] of seen) {
        if (count > 1) problems.push(`id "${id}" is used ${count} times`);
    }

    // open every <details> (the navigation menu among them): what it holds must fit as well
    for (const details of document.querySelectorAll('details')) details.open = true;

    // (a) the page scrolls sideways
    const width = document.documentElement.scrollWidth;
    if (width > viewport) {
        const wide = [...document.body.querySelectorAll('*')]
            .filter((element) => shown(element) && element.getBoundingClientRect().right > viewport + 0.5)
            .filter((element) => !element.parentElement
                || element.parentElement.getBoundingClientRect().right <= viewport + 0.5)
            .slice(0, 5).map((element) =>
                `${describe(element)} (right edge ${Math.round(element.getBoundingClientRect().right)} px)`);
        problems.push(`page is ${width} px wide in a ${viewport} px viewport; sticking out: ${wide.join('; ')}`);
    }
    if (!phone) return problems;

    // (b) text squeezed narrower than four characters
    for (const element of document.body.querySelectorAll('*')) {
        const own = [...element.childNodes]
            .filter((node) => node.nodeType === Node.TEXT_NODE)
            .map((node) => node.textContent).join('').replace(/\\s+/g, ' ').trim();
        if ([...own].length < minChars || !shown(element)) continue;
        const fontSize = parseFloat(getComputedStyle(element).fontSize);
        const box = element.getBoundingClientRect();
        if (box.width < minWidthEm * fontSize) {
            problems.push(`text squeezed to ${Math.round(box.width)} px at ${fontSize} px a character: ${describe(element)}`);
        }
    }

    // (d) tap targets
    const targets = document.querySelectorAll(
        'button, input:not([type=hidden]), select, summary, .nav-menu nav a');
    for (const element of targets) {
        if (!shown(element)) continue;
        let height = element.getBoundingClientRect().height;
        if (element.matches('input[type=checkbox], input[type=radio]')) {
            // the label is part of the target: tapping it ticks the box
            const labels = [...(element.labels || [])];
            for (const label of labels) height = Math.max(height, label.getBoundingClientRect().height);
        }
        if (height < minTap - 0.5) {
            problems.push(`tap target ${Math.round(height)} px high: ${describe(element)}`);
        }
    }
    return problems;
}"""


class Walker:
    """Opens each page in a role's browser context and collects what is wrong with it."""

    def __init__(self, browser: Browser, base_url: str) -> None:
        self.browser = browser
        self.base_url = base_url
        self.problems: list[str] = []
        self.pages_checked = 0

    @contextmanager
    def visitor(self, username: str | None, device: dict[str, Any]) -> Iterator[Page]:
        context: BrowserContext = self.browser.new_context(
            locale="zh-CN", base_url=self.base_url, **device
        )
        context.set_default_timeout(10_000)
        page = context.new_page()
        try:
            if username is not None:
                page.goto("/login/")
                page.get_by_label("用户名").fill(username)
                page.get_by_label("密码").fill(PASSWORD)
                page.get_by_role("button", name="登录").click()
                expect(page.get_by_role("button", name="退出")).to_be_visible()
            yield page
        finally:
            context.close()

    def check(self, page: Page, path: str, label: str, *, phone: bool) -> None:
        # a download is not a page: ask first what the answer is
        answer = page.request.get(path, max_redirects=0)
        if answer.status != 200:
            self.problems.append(f"{label} {path}: answered {answer.status}, expected 200")
            return
        if not answer.headers.get("content-type", "").startswith("text/html"):
            return
        response = page.goto(path)
        assert response is not None and response.status == 200, (label, path)
        found: list[str] = page.evaluate(
            CHECK_PAGE_JS, [phone, MIN_TAP_HEIGHT, MIN_TEXT_CHARACTERS, MIN_TEXT_WIDTH_EM]
        )
        self.pages_checked += 1
        self.problems.extend(f"{label} {path}: {problem}" for problem in found)


def pages_of(role: str, ids: dict[str, int]) -> list[str]:
    """The paths this role may open with a GET, per the URL table."""
    return [
        case.url.format(**ids)
        for case in test_urls.CASES
        if case.method == "get" and case.status_for(role) == 200
    ]


def test_every_page_of_every_role_fits_a_phone_and_a_desktop(
    browser: Browser, live_server: Any, world: tuple[dict[str, Any], dict[str, int]]
) -> None:
    # Given: the URL table's world, and each role's pages
    users, ids = world
    walker = Walker(browser, live_server.url)

    # When: each role opens each of its pages on a phone, then on a desktop
    for device_name, device, phone in (("phone", PHONE, True), ("desktop", DESKTOP, False)):
        for role in test_urls.ROLES:
            username = None if role == "anonymous" else users[role].username
            paths = pages_of(role, ids)
            with walker.visitor(username, device) as page:
                for path in paths:
                    walker.check(page, path, f"{device_name} {role}", phone=phone)

    # And: the reply in 督办审核, where the supervisor has two forms on one page (approve, send back)
    reply = Reply.objects.get(pk=ids["draft_reply"])
    reply_services.reply_save(
        reply=reply,
        actor=users["unit_staff"],
        version=reply.version,
        body_html="<p>我局已将社会组织参与未成年人保护纳入政府购买服务目录。</p>",
        result_class="A",
    )
    reply_services.reply_sign(reply=reply, actor=users["unit_leader"])
    assert Reply.objects.get(pk=reply.pk).status == ReplyStatus.IN_REVIEW
    for device_name, device, phone in (("phone", PHONE, True), ("desktop", DESKTOP, False)):
        with walker.visitor(users["npc_supervisor"].username, device) as page:
            walker.check(
                page, f"/replies/{reply.pk}/", f"{device_name} npc_supervisor", phone=phone
            )
            expect(page.get_by_role("button", name="审核通过并发出")).to_be_visible()
            expect(page.get_by_role("button", name="退回修改")).to_be_visible()

    # Then: no page scrolls sideways, squeezes text, repeats an id or has a small tap target
    print(f"phone layout: {walker.pages_checked} pages checked")
    assert walker.pages_checked > 60, walker.pages_checked
    assert not walker.problems, f"{len(walker.problems)} problems:\n" + "\n".join(walker.problems)

"""Every page of the URL × role table (tests/test_urls.py), as each role that may open it, on a
phone (390 × 844) and on a desktop (1280 wide).

A page fails on the phone when it scrolls sideways, squeezes a text of eight or more
characters narrower than four, repeats an id or has a tap target under 44 px; on the desktop
when it scrolls sideways or repeats an id (the measures: tests/e2e/layout.py).

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
from tests.e2e.layout import DESKTOP, PHONE, layout_problems

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "pass-1234"  # what UserFactory sets
# the URL table's world, used here as a fixture of this module
world = test_urls.world


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
        found = layout_problems(page, phone=phone)
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

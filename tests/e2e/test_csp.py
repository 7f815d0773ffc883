"""The Content-Security-Policy in a real browser: the pages of each role load their stylesheet
and report no violation, and an injected inline script is refused."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.factories import CategoryFactory, MeetingFactory, MemberFactory, UnitFactory, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "pass-1234"  # what UserFactory sets

PAGES = {
    "hehong": ["/", "/items/", "/items/new/", "/notifications/", "/password/"],
    "npc_office": ["/", "/items/review/", "/items/dashboard/", "/items/scorecards/"],
    "staff": ["/", "/items/work/", "/replies/follow-ups/"],
    "admin": ["/admin/", "/admin/accounts/user/", "/admin/proposals/meeting/add/"],
    "auditor": ["/", "/audit/"],
}


def watch_violations(page: Page) -> list[str]:
    """Console messages of CSP refusals, and the violation events the page itself sees."""
    found: list[str] = []

    def on_console(message: Any) -> None:
        if "Content Security Policy" in message.text:
            found.append(message.text)

    page.on("console", on_console)
    page.add_init_script(
        "document.addEventListener('securitypolicyviolation', e =>"
        " console.error('Content Security Policy violation: ' + e.violatedDirective));"
    )
    return found


def login(page: Page, username: str) -> None:
    page.goto("/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("button", name="退出")).to_be_visible()


def test_pages_of_every_role_load_without_a_violation(browser: Any, live_server: Any) -> None:
    MeetingFactory(body="npc", short_name="市十四届人大三次会议")
    CategoryFactory(body="npc", name="民政")
    unit = UnitFactory(name="杭州市民政局", short_name="市民政局")
    MemberFactory(username="hehong", full_name="何红")
    UserFactory(username="npc_office", role="supervisor", supervisor_scope="npc")
    UserFactory(username="staff", role="unit_staff", unit=unit)
    UserFactory(username="admin", role="administrator", is_staff=True)
    UserFactory(username="auditor", role="audit_admin", is_staff=True)
    for username, urls in PAGES.items():
        context = browser.new_context(locale="zh-CN", base_url=live_server.url)
        page = context.new_page()
        violations = watch_violations(page)
        if username == "admin":
            page.goto("/admin/login/")
            page.fill("#id_username", username)
            page.fill("#id_password", PASSWORD)
            page.click("input[type=submit]")
        else:
            login(page, username)
        for url in urls:
            response = page.goto(url)
            assert response is not None and response.status == 200, (username, url)
            assert "Content-Security-Policy" in {k.title() for k in response.headers}
            if not url.startswith("/admin/"):
                # app.css applied (style-src 'self'): body gets its --bg colour #f6f8fa
                background = page.evaluate("getComputedStyle(document.body).backgroundColor")
                assert background == "rgb(246, 248, 250)", (username, url, background)
        assert violations == [], (username, violations)
        context.close()


def test_an_injected_inline_script_is_refused(page: Page) -> None:
    violations = watch_violations(page)
    page.goto("/login/")
    page.evaluate(
        "() => { const s = document.createElement('script');"
        " s.textContent = 'window.injected = true'; document.body.appendChild(s); }"
    )
    assert page.evaluate("window.injected === true") is False
    page.wait_for_timeout(100)
    assert any("script-src" in text for text in violations), violations

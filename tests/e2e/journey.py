"""What every browser journey does the same way: log in through the form, log out, follow the
main navigation, read the flash messages, find a card by its heading, read an item's status."""

from __future__ import annotations

import re

from playwright.sync_api import Locator, Page, expect

DEMO_PASSWORD = "demo1234"  # every demo account (proposals/demo/data.py)
FACTORY_PASSWORD = "pass-1234"  # what tests.factories.UserFactory sets


def login(page: Page, username: str, password: str = DEMO_PASSWORD) -> None:
    page.goto("/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("button", name="退出")).to_be_visible()


def logout(page: Page) -> None:
    page.get_by_role("button", name="退出").click()
    expect(page.get_by_role("heading", name="登录")).to_be_visible()


def nav(page: Page, name: str) -> None:
    """A link of the main navigation (the bar on a wide screen); its name may end with a count
    badge ("联名邀请 1")."""
    links = page.get_by_role("navigation", name="主导航").first
    links.get_by_role("link", name=re.compile(rf"^{re.escape(name)}")).click()


def messages(page: Page) -> Locator:
    """The flash messages at the top of every page."""
    return page.get_by_role("status")


def section(page: Page, heading: str) -> Locator:
    """A card on the page, found by its own heading."""
    return page.locator("section", has=page.get_by_role("heading", name=heading, exact=True))


def status(page: Page) -> Locator:
    """The status badge under the page's heading (item or reply)."""
    return page.locator(".status-line .status")

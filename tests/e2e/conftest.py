"""Browser fixtures for the e2e tests: one headless Chromium per session, a fresh context per test.

Chromium is the system one (/usr/bin/chromium); Playwright cannot download browsers here.
Without it the tests are skipped on a developer machine but fail under CI, so a broken CI image
never passes silently. A failed test leaves a screenshot in var/e2e/<test>.png.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

# Playwright's sync API drives an asyncio loop in this thread; without this Django refuses ORM
# calls made from the test body ("You cannot call this from an async context").
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
SCREENSHOT_DIR = Path(__file__).resolve().parents[2] / "var" / "e2e"
TIMEOUT_MS = 10_000


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in {"", "0", "false", "no"}


def _unavailable(reason: str) -> None:
    if _in_ci():
        pytest.fail(f"{reason} (CI is set, so this is an error, not a skip)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not (CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK)):
        _unavailable(f"e2e tests need Chromium at {CHROMIUM}; install the 'chromium' package")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("e2e tests need the 'playwright' Python package (pip install -e '.[dev]')")

    from playwright.sync_api import expect

    expect.set_options(timeout=TIMEOUT_MS)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any, live_server: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    """A page in a new browser context (no shared cookies) pointed at the live server."""
    context = browser.new_context(locale="zh-CN", base_url=live_server.url)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    yield page
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
        name = re.sub(r"[^\w.-]+", "_", request.node.name)
        try:
            page.screenshot(path=str(SCREENSHOT_DIR / f"{name}.png"), full_page=True)
        except Exception as error:  # a screenshot must never hide the real failure
            print(f"e2e: could not save screenshot: {error}")
    context.close()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """Keep each phase's report on the item so `page` can tell whether the test failed."""
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report

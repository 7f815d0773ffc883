"""两步验证 in a real browser: a supervisor, whose role must use it, logs in, scans (here: reads)
the QR code's key, confirms, keeps her recovery codes, and at the next login gives a code."""

from __future__ import annotations

import base64
import time
from typing import Any

import pytest
from django_otp.oath import hotp
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Page, expect

from tests.e2e.test_csp import PASSWORD, watch_violations
from tests.factories import UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def code_from_key(key: str, counter_ahead: int = 0) -> str:
    """What the authenticator app shows for the key typed in by hand."""
    secret = key.replace(" ", "")
    secret += "=" * (-len(secret) % 8)
    counter = int(time.time() // 30) + counter_ahead
    return str(hotp(base64.b32decode(secret), counter, digits=6)).zfill(6)


def log_in(page: Page, username: str) -> None:
    page.goto("/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()


def test_a_supervisor_sets_up_and_uses_the_second_factor(
    page: Page, settings: Any, live_server: Any
) -> None:
    settings.OTP_REQUIRED_ROLES = ["supervisor"]
    UserFactory(
        username="npc_office", full_name="人大代表工委", role="supervisor", supervisor_scope="npc"
    )
    violations = watch_violations(page)
    # the password first; then, before any page, setting up the second factor
    log_in(page, "npc_office")
    expect(page.get_by_role("heading", name="设置两步验证")).to_be_visible()
    page.goto("/items/review/")
    expect(page).to_have_url(f"{live_server.url}/accounts/otp/setup/?next=%2Fitems%2Freview%2F")
    # the QR code is drawn (a data: image the CSP allows) and the key can be typed in by hand
    qr_code = page.get_by_role("img", name="两步验证二维码")
    expect(qr_code).to_be_visible()
    assert page.evaluate("document.querySelector('img.qr-code').naturalWidth") > 0
    key = page.locator("code.otp-key").inner_text()
    # a wrong code first: told so in Chinese
    page.get_by_label("验证码").fill("000000" if code_from_key(key) != "000000" else "111111")
    page.get_by_role("button", name="完成设置").click()
    expect(page.get_by_text("验证码不正确，请核对后重新输入。")).to_be_visible()
    # the throttle's wait after a failure is one second
    page.wait_for_timeout(1100)
    page.get_by_label("验证码").fill(code_from_key(key))
    page.get_by_role("button", name="完成设置").click()
    # the recovery codes, once; then on to the page she asked for
    expect(page.get_by_role("heading", name="恢复码")).to_be_visible()
    expect(page.locator(".recovery-codes li")).to_have_count(10)
    page.get_by_role("link", name="我已保存，继续").click()
    expect(page).to_have_url(f"{live_server.url}/items/review/")
    # the next login asks for a code (the next step's: the one used is not taken twice)
    page.get_by_role("button", name="退出").click()
    log_in(page, "npc_office")
    expect(page.get_by_role("heading", name="两步验证")).to_be_visible()
    device = TOTPDevice.objects.get(user__username="npc_office")
    page.get_by_label("验证码").fill(code_from_key(key, device.last_t + 1 - int(time.time() // 30)))
    page.get_by_role("button", name="验证").click()
    expect(page.get_by_role("button", name="退出")).to_be_visible()
    expect(page).to_have_url(f"{live_server.url}/")
    assert violations == [], violations

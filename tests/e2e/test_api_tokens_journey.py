"""A member on a phone creates a personal API token, copies it from the page that shows it once,
and revokes it: every page of the journey fits the phone (tests/e2e/layout.py)."""

from __future__ import annotations

import hashlib
import re
from typing import Any

import pytest
from playwright.sync_api import Browser, expect

from accounts.models import PersonalToken, User
from tests.e2e.layout import PHONE, layout_problems

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "pass-1234"  # what UserFactory sets


def test_a_member_creates_copies_and_revokes_a_token_on_a_phone(
    browser: Browser, live_server: Any, member: User
) -> None:
    # Given: the member logged in on a phone
    context = browser.new_context(locale="zh-CN", base_url=live_server.url, **PHONE)
    context.set_default_timeout(10_000)
    page = context.new_page()
    problems: list[str] = []
    try:
        page.goto("/login/")
        page.get_by_label("用户名").fill(member.username)
        page.get_by_label("密码").fill(PASSWORD)
        page.get_by_role("button", name="登录").click()

        # When: the member opens “API 令牌” from the account links and creates a token
        page.get_by_role("link", name="API 令牌").click()
        expect(page.get_by_role("heading", name="API 令牌", exact=True)).to_be_visible()
        expect(page.get_by_text("您还没有创建 API 令牌。")).to_be_visible()
        problems += [f"list (empty): {p}" for p in layout_problems(page, phone=True)]
        page.get_by_label("名称").fill("手机应用")
        page.get_by_label("有效期").select_option("30")
        page.get_by_role("button", name="创建令牌").click()

        # Then: the token is shown once, ready to copy, and only its hash is stored
        expect(page.get_by_role("heading", name="API 令牌已创建")).to_be_visible()
        expect(page.get_by_text("令牌只显示这一次")).to_be_visible()
        problems += [f"created: {p}" for p in layout_problems(page, phone=True)]
        secret = page.get_by_label("令牌", exact=True).input_value()
        assert re.fullmatch(r"jy_[A-Za-z0-9_-]{43}", secret)
        token = PersonalToken.objects.get(user=member)
        assert token.key_hash == hashlib.sha256(secret.encode()).hexdigest()

        # And: back on the list the token shows by its prefix only
        page.get_by_role("link", name="我已保存，返回令牌列表").click()
        expect(page.get_by_text(f"jy_{token.key_prefix}…")).to_be_visible()
        assert secret not in page.content()
        problems += [f"list: {p}" for p in layout_problems(page, phone=True)]

        # When: the member revokes it, confirming
        page.get_by_role("link", name="撤销").click()
        expect(page.get_by_role("button", name="确定撤销")).to_be_visible()
        problems += [f"revoke: {p}" for p in layout_problems(page, phone=True)]
        page.get_by_role("button", name="确定撤销").click()

        # Then: it is revoked, and the list says so
        expect(page.get_by_text("使用它的程序将无法再访问")).to_be_visible()
        expect(page.get_by_text("已撤销", exact=True)).to_be_visible()
        token.refresh_from_db()
        assert token.revoked_at is not None
    finally:
        context.close()
    assert not problems, "\n".join(problems)

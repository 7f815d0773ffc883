"""履职档案 in a real browser: a deputy opens her own record from the menu on a phone and gets
the not-found page for another deputy's; the supervisory office filters the members by
delegation (代表团) and exports them to Excel."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from playwright.sync_api import Browser, Page, expect

from proposals import services
from tests.e2e.journey import FACTORY_PASSWORD, login, nav
from tests.e2e.layout import PHONE, layout_problems
from tests.factories import CategoryFactory, MeetingFactory, MemberFactory, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

HER_ITEM = "关于扩大普惠托育服务供给的建议"
HIS_ITEM = "关于加快推进老旧小区加装电梯工作的建议"


def _submitted(author: Any, meeting: Any, category: Any, title: str) -> None:
    item = services.proposal_create(
        author=author, meeting=meeting, title=title, body="x", category=category
    )
    services.proposal_submit(proposal=item, actor=author)


@pytest.fixture
def members() -> dict[str, Any]:
    meeting = MeetingFactory(body="npc", short_name="市十四届人大三次会议")
    category = CategoryFactory(body="npc", name="民政")
    she = MemberFactory(username="hehong", full_name="何红")  # 萧山代表团
    he = MemberFactory(username="wangjianguo", full_name="王建国", profile__delegation="上城代表团")
    UserFactory(username="npc_office", role="supervisor", supervisor_scope="npc")
    _submitted(she, meeting, category, HER_ITEM)
    _submitted(he, meeting, category, HIS_ITEM)
    return {"she": she, "he": he}


def test_a_member_opens_her_record_on_a_phone_and_not_anothers(
    browser: Browser, live_server: Any, members: dict[str, Any]
) -> None:
    context = browser.new_context(locale="zh-CN", base_url=live_server.url, **PHONE)
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        login(page, "hehong", FACTORY_PASSWORD)
        page.locator("summary", has_text="菜单").tap()
        page.get_by_role("navigation", name="主导航").get_by_role("link", name="履职档案").tap()
        expect(page.get_by_role("heading", name="我的履职档案")).to_be_visible()
        expect(page.locator("#record-items")).to_contain_text(HER_ITEM)
        expect(page.locator("#record-items")).to_contain_text("领衔")
        assert layout_problems(page, phone=True) == []

        response = page.goto(f"/records/{members['he'].pk}/")
        assert response is not None and response.status == 404
        expect(page.get_by_text(HIS_ITEM)).to_have_count(0)
        expect(page.get_by_text("王建国")).to_have_count(0)
    finally:
        context.close()


def test_the_office_filters_by_delegation_and_exports(page: Page, members: dict[str, Any]) -> None:
    login(page, "npc_office", FACTORY_PASSWORD)
    nav(page, "履职档案")
    expect(page.get_by_role("heading", name="代表委员履职档案")).to_be_visible()
    table = page.locator("#member-records")
    expect(table.get_by_role("link", name="何红")).to_be_visible()
    expect(table.get_by_role("link", name="王建国")).to_be_visible()

    page.get_by_label("代表团").select_option("上城代表团")
    page.get_by_role("button", name="查看").click()
    expect(table.get_by_role("link", name="王建国")).to_be_visible()
    expect(table.get_by_role("link", name="何红")).to_have_count(0)

    with page.expect_download() as download_info:
        page.get_by_role("link", name="导出Excel").click()
    download = download_info.value
    assert download.suggested_filename.startswith("履职档案-")
    rows = list(
        load_workbook(io.BytesIO(Path(download.path()).read_bytes())).active.iter_rows(
            values_only=True
        )
    )
    assert [row[:4] for row in rows[1:]] == [("王建国", "wangjianguo", "人大", "上城代表团")]
    assert rows[1][5] == 1  # led: his one submitted item

    table.get_by_role("link", name="王建国").click()
    expect(page.get_by_role("heading", name="王建国的履职档案")).to_be_visible()
    expect(page.locator("#record-items")).to_contain_text(HIS_ITEM)


def test_the_office_list_works_on_a_phone(
    browser: Browser, live_server: Any, members: dict[str, Any]
) -> None:
    context = browser.new_context(locale="zh-CN", base_url=live_server.url, **PHONE)
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        login(page, "npc_office", FACTORY_PASSWORD)
        page.locator("summary", has_text="菜单").tap()
        page.get_by_role("navigation", name="主导航").get_by_role("link", name="履职档案").tap()
        expect(page.get_by_role("heading", name="代表委员履职档案")).to_be_visible()
        assert layout_problems(page, phone=True) == []
        page.locator("#member-records").get_by_role("link", name="何红").tap()
        expect(page.get_by_role("heading", name="何红的履职档案")).to_be_visible()
        assert layout_problems(page, phone=True) == []
    finally:
        context.close()

"""End to end, in a real browser: the supervisory office generates the meeting's 汇编 (公开版)
from the card on its dashboard, follows the progress page and downloads the PDF book.

The starting data (a meeting with two answered items) is made with factories and the services;
every step after that goes through the UI of the live server.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from pypdf import PdfReader

from tests.factories import CategoryFactory, MeetingFactory, MemberFactory, UserFactory
from tests.test_portal_search import draft_reply, handled_item, office, send

from .journey import FACTORY_PASSWORD, login, nav, section

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

TITLES = ["关于加强农村留守儿童关爱保护的建议", "关于推进居家养老服务中心建设的建议"]


def test_supervisor_generates_the_compilation_from_the_dashboard_and_downloads_it(
    page: Page, tmp_path: Path
) -> None:
    meeting = MeetingFactory(
        body="npc", short_name="市十四届人大三次会议", disclosure_working_days=0
    )
    category = CategoryFactory(body="npc", name="民政")
    member = MemberFactory(username="hehong", full_name="何红", profile__number_prefix="")
    supervisor = UserFactory(
        username="npc_office", full_name="人大代表工委", role="supervisor", supervisor_scope="npc"
    )
    handler = office("mz", "杭州市民政局", "市民政局")
    for title in TITLES:
        item = handled_item(
            lead=member,
            meeting=meeting,
            category=category,
            handler=handler,
            supervisor=supervisor,
            title=title,
            body=f"{title[2:-3]}，群众反映强烈，建议有关部门研究解决。",
        )
        send(draft_reply(item, handler, body_html="我局已研究落实。"), handler, supervisor)

    login(page, "npc_office", FACTORY_PASSWORD)
    nav(page, "仪表盘")
    card = section(page, "建议提案及答复汇编")
    card.get_by_label("届次会议").select_option(label=str(meeting))
    card.get_by_label("版本").select_option(label="公开版")
    card.get_by_role("button", name="生成汇编").click()

    expect(page.get_by_role("heading", name="生成汇编", level=1)).to_be_visible()
    # the page refreshes itself until the book is ready (here the job runs at once)
    link = page.get_by_role("link", name="下载汇编PDF")
    expect(link).to_be_visible(timeout=60_000)
    expect(page.get_by_text("共 2 件")).to_be_visible()
    with page.expect_download() as download_info:
        link.click()
    target = tmp_path / "book.pdf"
    download_info.value.save_as(target)
    assert "公开版" in download_info.value.suggested_filename
    reader = PdfReader(target)
    assert [entry.title for entry in reader.outline if not isinstance(entry, list)] == TITLES

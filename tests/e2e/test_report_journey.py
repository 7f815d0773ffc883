"""办理工作报告 in a real browser: the supervisor chooses a meeting in the dashboard's card,
generates the report, follows the progress page and downloads the .docx and the PDF."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from docx import Document
from playwright.sync_api import Page, expect

from proposals import services
from tests.factories import CategoryFactory, MeetingFactory, MemberFactory, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "pass-1234"  # what UserFactory sets


def test_the_supervisor_generates_the_report_and_downloads_both_files(page: Page) -> None:
    meeting = MeetingFactory(body="npc", short_name="市十四届人大三次会议")
    category = CategoryFactory(body="npc", name="民政")
    member = MemberFactory(username="hehong", full_name="何红")
    supervisor = UserFactory(username="npc_office", role="supervisor", supervisor_scope="npc")
    for title in ("关于完善社区养老服务的建议", "关于加强校园安全的建议"):
        item = services.proposal_create(
            author=member, meeting=meeting, title=title, body="x", category=category
        )
        services.proposal_submit(proposal=item, actor=member)
    services.proposal_register(proposal=item, actor=supervisor, is_key=True)

    page.goto("/login/")
    page.get_by_label("用户名").fill("npc_office")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.goto("/items/dashboard/")

    card = page.locator("section", has=page.get_by_role("heading", name="办理工作报告"))
    card.get_by_label("届次会议").select_option(label="市十四届人大三次会议")
    card.get_by_role("button", name="生成报告").click()
    expect(page.get_by_role("heading", name="办理工作报告")).to_be_visible()
    word = page.get_by_role("link", name="下载Word文件")
    expect(word).to_be_visible(timeout=60_000)  # the page refreshes itself until it is ready
    expect(page.locator("#report-progress")).to_have_attribute("value", "100")

    with page.expect_download() as download_info:
        word.click()
    docx = download_info.value
    assert docx.suggested_filename.endswith(".docx")
    document = Document(io.BytesIO(Path(docx.path()).read_bytes()))
    assert "共收到代表建议2件" in "\n".join(p.text for p in document.paragraphs)

    with page.expect_download() as download_info:
        page.get_by_role("link", name="下载PDF文件").click()
    pdf = download_info.value
    assert suggested_pdf(pdf.suggested_filename)
    assert Path(pdf.path()).read_bytes().startswith(b"%PDF")


def suggested_pdf(name: str) -> bool:
    return name.endswith(".pdf")

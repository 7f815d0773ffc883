"""Choosing the item export's columns in a real browser, without JavaScript: the checkboxes in
a <details> next to the export button, the file with the chosen columns, and the choice still
ticked when the person comes back."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from openpyxl import load_workbook
from playwright.sync_api import Page, expect

from proposals import services
from tests.factories import CategoryFactory, MeetingFactory, MemberFactory, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "pass-1234"  # what UserFactory sets
KEPT = ("编号", "标题", "状态")


def test_the_chosen_columns_are_exported_and_remembered(page: Page) -> None:
    meeting = MeetingFactory(body="npc", short_name="市十四届人大三次会议")
    category = CategoryFactory(body="npc", name="民政")
    member = MemberFactory(username="hehong", full_name="何红")
    UserFactory(username="npc_office", role="supervisor", supervisor_scope="npc")
    item = services.proposal_create(
        author=member,
        meeting=meeting,
        title="关于完善社区养老服务的建议",
        body="x",
        category=category,
    )
    services.proposal_submit(proposal=item, actor=member)

    page.goto("/login/")
    page.get_by_label("用户名").fill("npc_office")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.goto("/items/?status=submitted")

    choice = page.locator("details.export-columns")
    expect(choice.get_by_role("checkbox", name="编号")).to_be_hidden()  # folded away
    choice.locator("summary").click()
    boxes = choice.get_by_role("checkbox")
    for index in range(boxes.count()):
        box = boxes.nth(index)
        label = box.evaluate("node => node.parentElement.textContent.trim()")
        box.set_checked(label in KEPT)
    with page.expect_download() as download_info:
        choice.get_by_role("button", name="保存并导出").click()
    download = download_info.value
    assert download.suggested_filename.startswith("建议提案-")
    rows = list(
        load_workbook(io.BytesIO(Path(download.path()).read_bytes())).active.iter_rows(
            values_only=True
        )
    )
    assert rows == [KEPT, (item.number_label or None, "关于完善社区养老服务的建议", "待审查")]

    page.goto("/items/")
    page.locator("details.export-columns summary").click()
    checked = [
        box.evaluate("node => node.parentElement.textContent.trim()")
        for box in page.locator("details.export-columns").get_by_role("checkbox").all()
        if box.is_checked()
    ]
    assert tuple(checked) == KEPT

"""End to end, in a real browser: the supervisory office downloads the import template, fills in
20 paper items (one with a member the system does not know), uploads it, sees the bad row in the
preview, uploads the corrected sheet, imports the 20 items, and then assigns them from 待交办 by
accepting the units the system proposes.

The starting data (units, a meeting, members, a category) is made with factories; every step
after that goes through the UI of the live server.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from django.utils import timezone
from openpyxl import load_workbook
from playwright.sync_api import Page, expect

from proposals import suggestions
from proposals.models import EventAction, Proposal, ProposalEvent, ProposalStatus
from tests.factories import CategoryFactory, MeetingFactory, MemberFactory, UnitFactory, UserFactory

from .journey import FACTORY_PASSWORD, login, messages, nav

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

TITLES = [
    "关于加强农村留守儿童关爱保护的建议",
    "关于加快农村公路养护和危桥改造的建议",
    "关于完善城乡低保对象动态管理的建议",
    "关于加快推进城市公交线网优化的建议",
    "关于加强困境儿童基本生活保障的建议",
    "关于加快农村客运班线公交化改造的建议",
    "关于推进居家养老服务中心建设的建议",
    "关于加强高速公路服务区建设管理的建议",
    "关于规范社会组织登记管理的建议",
    "关于加快国省道干线公路改造提升的建议",
    "关于完善特困人员救助供养制度的建议",
    "关于优化出租车和网约车管理的建议",
    "关于加强殡葬服务设施建设的建议",
    "关于加快内河航道和港口建设的建议",
    "关于推进婚姻登记便民服务的建议",
    "关于加强城市道路交通运输安全的建议",
    "关于健全社区养老服务体系的建议",
    "关于加快农村公路安全生命防护工程建设的建议",
    "关于加强残疾人福利保障的建议",
    "关于提升公路客运站服务水平的建议",
]
BAD_ROW = 7  # the 7th item names a member nobody knows; in Excel it is row 9


def fill(template: Path, target: Path, *, bad: bool) -> None:
    workbook = load_workbook(template)
    sheet = workbook.worksheets[0]
    headers = [cell.value for cell in sheet[1]]
    day = timezone.localdate()
    for n, title in enumerate(TITLES, start=1):
        row = {
            "类别": "建议",
            "编号": str(n),
            "标题": title,
            "正文": f"{title[2:-3]}，群众反映强烈，建议有关部门研究解决。",
            "领衔人": "张三" if bad and n == BAD_ROW else "何红",
            "联名人": "王建国",
            "分类": "综合",
            "提交日期": day,
            "审查结果": "立案",
        }
        sheet.append([row.get(name) for name in headers])
    workbook.save(target)


def test_supervisor_imports_a_sheet_of_paper_items_and_assigns_them(
    page: Page, tmp_path: Path
) -> None:
    suggestions.reset()
    meeting = MeetingFactory(body="npc", short_name="市十四届人大三次会议")
    CategoryFactory(body="npc", name="综合")
    MemberFactory(username="hehong", full_name="何红", profile__number_prefix="")
    MemberFactory(username="wangjianguo", full_name="王建国")
    UserFactory(
        username="npc_office", full_name="人大代表工委", role="supervisor", supervisor_scope="npc"
    )
    for name, short in (
        ("杭州市民政局", "市民政局"),
        ("杭州市交通运输局", "市交通运输局"),
        ("杭州市教育局", "市教育局"),
        ("杭州市公安局", "市公安局"),
    ):
        UnitFactory(name=name, short_name=short)

    login(page, "npc_office", FACTORY_PASSWORD)
    nav(page, "导入")
    expect(page.get_by_role("heading", name="导入建议提案", level=1)).to_be_visible()

    # the template of the meeting
    with page.expect_download() as download_info:
        page.get_by_role("button", name="下载模板").click()
    template = tmp_path / "template.xlsx"
    download_info.value.save_as(template)
    assert download_info.value.suggested_filename == "市十四届人大三次会议-导入模板.xlsx"

    # a sheet with one bad row: the preview shows it, nothing is written
    bad_sheet, good_sheet = tmp_path / "纸质建议.xlsx", tmp_path / "纸质建议（改）.xlsx"
    fill(template, bad_sheet, bad=True)
    fill(template, good_sheet, bad=False)
    page.get_by_label("届次会议").last.select_option(label="市十四届人大三次会议")
    page.get_by_label("Excel 表格（.xlsx）").set_input_files(bad_sheet)
    page.get_by_role("button", name="上传并检查").click()
    expect(page.get_by_role("heading", name="导入预览")).to_be_visible()
    expect(page.locator(".import-counts")).to_have_text("共 20 行：无误 19 行，有误 1 行。")
    bad_row = page.locator(".import-errors tr", has_text="第9行")
    expect(bad_row).to_contain_text("找不到代表委员“张三”")
    expect(page.get_by_role("button", name="确认导入")).to_have_count(0)
    assert not Proposal.objects.exists()

    # the corrected sheet, uploaded from the preview page, and imported
    page.get_by_label("Excel 表格（.xlsx）").set_input_files(good_sheet)
    page.get_by_role("button", name="上传并检查").click()
    expect(page.locator(".import-counts")).to_have_text("共 20 行：无误 20 行，有误 0 行。")
    page.get_by_role("button", name="确认导入 20 件").click()
    expect(messages(page)).to_contain_text("已导入 20 件。")
    expect(page.locator(".import-result")).to_have_text("已导入 20 件。")
    expect(page.locator(".imported-items li")).to_have_count(20)

    assert Proposal.objects.filter(meeting=meeting, status=ProposalStatus.REGISTERED).count() == 20
    assert ProposalEvent.objects.filter(action=EventAction.IMPORTED).count() == 20
    assert sorted(Proposal.objects.values_list("number", flat=True)) == list(range(1, 21))

    # 待交办: the batch is assigned by accepting the proposals of at least 60 %
    page.get_by_role("link", name="去待交办").click()
    expect(page.get_by_role("heading", name="待交办", level=1)).to_be_visible()
    expect(page.get_by_text("共 20 件待交办")).to_be_visible()
    page.get_by_role("button", name="按建议交办").click()
    expect(messages(page)).to_contain_text("已按建议交办")
    assigned = Proposal.objects.filter(status=ProposalStatus.ASSIGNED).count()
    waiting = Proposal.objects.filter(status=ProposalStatus.REGISTERED).count()
    assert assigned + waiting == 20 and assigned >= 15, (assigned, waiting)
    expect(messages(page)).to_contain_text(f"已按建议交办 {assigned} 件")
    civil = Proposal.objects.get(title=TITLES[0])
    assert civil.assignments.get(role="lead").unit.short_name == "市民政局"
    roads = Proposal.objects.get(title=TITLES[1])
    assert roads.assignments.get(role="lead").unit.short_name == "市交通运输局"

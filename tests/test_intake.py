"""Importing items from an Excel sheet (intake/): the template, the preview with every row's
errors, odd files refused, all-or-nothing acceptance through the services, the background job,
and who may do it."""

from __future__ import annotations

import io
import random
import zipfile
from datetime import date, timedelta
from typing import Any
from unittest import mock

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from openpyxl import Workbook, load_workbook

from accounts.models import Notification
from intake import importer, sheet
from intake.models import BatchStatus, ImportBatch
from proposals import services
from proposals.models import (
    Assignment,
    CoSigner,
    CoSignerStatus,
    EventAction,
    Proposal,
    ProposalEvent,
    ProposalStatus,
)

from .factories import CategoryFactory, MemberFactory, UnitFactory

URL = "/items/import/"
TEMPLATE_URL = "/items/import/template/"


def yesterday() -> date:
    return timezone.localdate() - timedelta(days=1)


def sheet_bytes(
    meeting: Any, rows: list[dict[str, Any]], headers: list[str] | None = None
) -> bytes:
    """The meeting's template filled with `rows` (by column name), as a clerk would."""
    workbook = load_workbook(io.BytesIO(sheet.template_bytes(meeting)))
    data = workbook.worksheets[0]
    names = headers or [cell.value for cell in data[1]]
    if headers is not None:
        for index, name in enumerate(headers, start=1):
            data.cell(row=1, column=index, value=name)
    for row in rows:
        data.append([row.get(name) for name in names])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def npc_row(n: int = 1, **values: Any) -> dict[str, Any]:
    row = {
        "会议": "市14届人大3次会议",
        "类别": "建议",
        "标题": f"关于加强第{n}项工作的建议",
        "正文": f"第{n}项工作的建议内容。" * 5,
        "领衔人": "何红",
        "分类": "民政",
        "提交日期": yesterday(),
    }
    row.update(values)
    return row


def post_sheet(client: Any, meeting: Any, content: bytes, name: str = "建议.xlsx") -> Any:
    return client.post(
        URL, {"meeting": meeting.pk, "file": SimpleUploadedFile(name, content)}, follow=False
    )


@pytest.fixture
def office(npc_supervisor, login):  # type: ignore[no-untyped-def]
    return login(npc_supervisor)


@pytest.fixture
def world(npc_meeting, npc_category, member, other_member, third_member, unit):  # type: ignore[no-untyped-def]
    UnitFactory(name="共青团杭州市委员会", short_name="团市委")
    return npc_meeting


def upload_batch(client: Any, meeting: Any, rows: list[dict[str, Any]]) -> ImportBatch:
    response = post_sheet(client, meeting, sheet_bytes(meeting, rows))
    assert response.status_code == 302, response.content.decode()[:2000]
    return ImportBatch.objects.get(pk=int(response["Location"].rstrip("/").split("/")[-1]))


def nothing_written() -> bool:
    return not (
        Proposal.objects.exists()
        or ProposalEvent.objects.exists()
        or CoSigner.objects.exists()
        or Assignment.objects.exists()
    )


# --- the template --------------------------------------------------------------------------


@pytest.mark.django_db
class TestTemplate:
    def test_npc_template_has_one_text_column_and_a_note_row(self, office, world):
        response = office.get(TEMPLATE_URL, {"meeting": world.pk})
        assert response.status_code == 200
        assert "attachment" in response["Content-Disposition"]
        workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
        data = workbook.worksheets[0]
        headers = [c.value for c in data[1]]
        assert headers == [
            "会议", "类别", "编号", "标题", "正文", "领衔人", "联名人", "分类", "提交日期",
            "审查结果", "审查说明", "并入编号", "主办单位", "会办单位",
        ]  # fmt: skip
        notes = [c.value for c in data[2]]
        assert all(note.startswith("说明") for note in notes)
        assert "萧山" not in notes[2] and "15号" in notes[2]
        values = workbook.worksheets[1]
        listed = {c.value for row in values.iter_rows(min_row=2) for c in row}
        assert {"民政", "杭州市民政局", "市民政局"} <= listed

    def test_names_that_look_like_formulas_stay_text(self, office, world):
        CategoryFactory(body="npc", name="=HYPERLINK(1)")
        response = office.get(TEMPLATE_URL, {"meeting": world.pk})
        values = load_workbook(io.BytesIO(b"".join(response.streaming_content))).worksheets[1]
        cells = [c for row in values.iter_rows() for c in row if c.value == "=HYPERLINK(1)"]
        assert len(cells) == 1 and cells[0].data_type == "s"

    def test_cppcc_template_has_a_column_per_section(self, login, cppcc_supervisor, cppcc_meeting):
        response = login(cppcc_supervisor).get(TEMPLATE_URL, {"meeting": cppcc_meeting.pk})
        data = load_workbook(io.BytesIO(b"".join(response.streaming_content))).worksheets[0]
        headers = [c.value for c in data[1]]
        assert headers[3:7] == ["标题", "案由", "理由", "办法"] and "正文" not in headers
        assert "至少" not in data[2][4].value and "10至300字" in data[2][4].value

    def test_round_trip_imports_what_the_template_carries(
        self, office, world, npc_supervisor, member, other_member
    ):
        rows = [
            npc_row(1, 联名人="王建国、chenmin"),
            npc_row(2, 审查结果="立案", 编号="萧山7号", 主办单位="市民政局", 会办单位="团市委"),
            npc_row(3, 审查结果="立案"),
        ]
        batch = upload_batch(office, world, rows)
        assert (batch.status, batch.total_rows, batch.good_rows, batch.bad_rows) == (
            BatchStatus.CHECKED,
            3,
            3,
            0,
        )
        assert nothing_written()  # the preview writes no item
        page = office.get(f"/items/import/{batch.pk}/").content.decode()
        assert "共 3 行：无误 3 行，有误 0 行。" in page and "确认导入 3 件" in page

        response = office.post(f"/items/import/{batch.pk}/accept/", follow=True)
        assert "已导入 3 件。" in response.content.decode()
        batch.refresh_from_db()
        assert (batch.status, batch.imported) == (BatchStatus.IMPORTED, 3)
        first, second, third = (Proposal.objects.get(pk=pk) for pk in batch.proposal_ids)
        assert first.status == ProposalStatus.SUBMITTED and first.lead == member
        assert first.submitted_at and timezone.localdate(first.submitted_at) == yesterday()
        assert first.category.name == "民政" and first.body == "第1项工作的建议内容。" * 5
        assert sorted(c.member.username for c in first.cosigners.all()) == [
            "chenmin",
            "wangjianguo",
        ]
        assert set(first.cosigners.values_list("status", flat=True)) == {CoSignerStatus.CONFIRMED}
        assert (second.status, second.number, second.number_label) == (
            ProposalStatus.ASSIGNED,
            7,
            "萧山7号",
        )
        assert {(a.unit.short_name, a.role) for a in second.assignments.all()} == {
            ("市民政局", "lead"),
            ("团市委", "co"),
        }
        # numbering goes on after the highest imported number
        assert third.number_label == "萧山8号"
        # the import tells nobody: these steps happened on paper
        assert not Notification.objects.exists()

    def test_sections_go_into_the_items_sections(self, login, cppcc_supervisor, cppcc_meeting):
        member = MemberFactory(
            username="liuanze",
            full_name="刘安泽",
            profile__body="cppcc",
            profile__submitter_type="cppcc_member",
            profile__number_prefix="",
        )
        client = login(cppcc_supervisor)
        row = {
            "标题": "关于加快老旧小区加装电梯的提案",
            "案由": "老旧小区加装电梯进展缓慢的问题",
            "理由": "理由" * 30,
            "办法": "办法" * 20,
            "领衔人": "刘安泽",
            "提交日期": yesterday(),
        }
        batch = upload_batch(client, cppcc_meeting, [row])
        assert batch.bad_rows == 0
        client.post(f"/items/import/{batch.pk}/accept/")
        item = Proposal.objects.get()
        assert item.lead == member and item.kind == "proposal"
        assert [s["label"] for s in item.sections] == ["案由", "理由", "办法"]
        assert item.body.startswith("老旧小区加装电梯进展缓慢的问题\n\n理由")


# --- the preview's errors ------------------------------------------------------------------


ERROR_CASES = [
    ("unknown member", {"领衔人": "张三"}, "找不到代表委员“张三”"),
    ("unknown username", {"领衔人": "nobody"}, "找不到代表委员“nobody”"),
    ("unknown co-signer", {"联名人": "王建国、李四"}, "联名人：找不到代表委员“李四”"),
    ("lead as co-signer", {"联名人": "何红"}, "联名人“何红”就是领衔人"),
    ("unknown category", {"分类": "航天"}, "没有分类“航天”"),
    ("missing title", {"标题": None}, "请填写标题"),
    ("title too long", {"标题": "长" * 101}, "标题共 101 字，超过了 100 字"),
    ("missing body", {"正文": None}, "请填写“内容”"),
    ("bad date", {"提交日期": "2026-02-30"}, "提交日期“2026-02-30”不是有效的日期"),
    ("date outside window", {"提交日期": "2020-01-01"}, "不在市14届人大3次会议的提交期限"),
    ("missing date", {"提交日期": None}, "请填写提交日期"),
    ("wrong meeting", {"会议": "别的会议"}, "会议“别的会议”与所选的“市14届人大3次会议”不符"),
    ("wrong kind", {"类别": "提案"}, "市14届人大3次会议只受理建议"),
    ("unknown outcome", {"审查结果": "通过"}, "审查结果“通过”应为立案、不予立案、并案、转为意见之一"),
    ("number without 立案", {"编号": "5"}, "填了编号的，审查结果须为立案"),
    ("bad number", {"编号": "五号", "审查结果": "立案"}, "编号“五号”不符合本次会议的编号格式"),
    ("wrong prefix", {"编号": "上城5号", "审查结果": "立案"}, "前缀与领衔人的编号前缀“萧山”不符"),
    ("rejected without reason", {"审查结果": "不予立案"}, "须在“审查说明”中写明理由"),
    ("merge without target", {"审查结果": "并案"}, "须在“并入编号”中填写被并入件的编号"),
    ("merge into nothing", {"审查结果": "并案", "并入编号": "萧山99号"}, "找不到被并入的“萧山99号”"),
    ("registered without category", {"审查结果": "立案", "分类": None}, "立案的须填写分类"),
    ("unknown unit", {"审查结果": "立案", "主办单位": "市航天局"}, "主办单位：没有承办单位“市航天局”"),
    ("co-units without lead", {"审查结果": "立案", "会办单位": "团市委"}, "须同时填写主办单位"),
    ("units without 立案", {"主办单位": "市民政局"}, "填了承办单位的，审查结果须为立案"),
    (
        "lead unit also co",
        {"审查结果": "立案", "主办单位": "市民政局", "会办单位": "杭州市民政局"},
        "已是主办单位，不能同时会办",
    ),
]  # fmt: skip


@pytest.mark.django_db
class TestPreviewErrors:
    @pytest.mark.parametrize(
        ("values", "message"), [c[1:] for c in ERROR_CASES], ids=[c[0] for c in ERROR_CASES]
    )
    def test_each_error_is_shown_on_its_row(self, office, world, values, message):
        batch = upload_batch(office, world, [npc_row(1), npc_row(2, **values)])
        assert (batch.total_rows, batch.good_rows, batch.bad_rows) == (2, 1, 1)
        assert batch.errors[0]["row"] == 4  # Excel's row: header, notes, the first item
        assert any(message in m for m in batch.errors[0]["messages"]), batch.errors
        page = office.get(f"/items/import/{batch.pk}/").content.decode()
        assert "第4行" in page and "有 1 行有错误" in page
        assert "确认导入" not in page
        assert office.post(f"/items/import/{batch.pk}/accept/").status_code == 302
        assert nothing_written()
        batch.refresh_from_db()
        assert batch.status == BatchStatus.CHECKED

    def test_ambiguous_names_name_the_candidates(self, office, world):
        MemberFactory(username="wangwei1", full_name="王伟", profile__delegation="萧山代表团")
        MemberFactory(username="wangwei2", full_name="王伟", profile__delegation="上城代表团")
        batch = upload_batch(
            office, world, [npc_row(1, 领衔人="王伟"), npc_row(2, 领衔人="王伟（wangwei2）")]
        )
        assert batch.bad_rows == 1
        (message,) = batch.errors[0]["messages"]
        assert "“王伟”有2位同名的代表委员" in message
        assert (
            "王伟（wangwei1，萧山代表团）" in message and "王伟（wangwei2，上城代表团）" in message
        )

    def test_a_member_of_the_other_body(self, office, world):
        MemberFactory(username="liuanze", full_name="刘安泽", profile__body="cppcc")
        batch = upload_batch(office, world, [npc_row(1, 领衔人="刘安泽")])
        assert "“刘安泽”不是人大的代表委员" in batch.errors[0]["messages"][0]

    def test_duplicate_numbers_in_the_sheet_and_in_the_meeting(
        self, office, world, member, npc_supervisor
    ):
        item = services.proposal_create(
            author=member, meeting=world, title="已有", body="正文", category=None
        )
        services.proposal_submit(proposal=item, actor=member)
        services.proposal_register(
            proposal=item, actor=npc_supervisor, category=CategoryFactory(body="npc")
        )  # 萧山1号
        rows = [
            npc_row(1, 审查结果="立案", 编号="萧山1号"),
            npc_row(2, 审查结果="立案", 编号="2"),
            npc_row(3, 审查结果="立案", 编号="萧山2号"),
        ]
        batch = upload_batch(office, world, rows)
        errors = {e["row"]: e["messages"] for e in batch.errors}
        assert errors[3] == ["编号“萧山1号”在市14届人大3次会议已被使用。"]
        assert errors[5] == ["编号“萧山2号”与第4行重复。"]
        assert 4 not in errors

    def test_sections_missing_or_too_short(self, login, cppcc_supervisor, cppcc_meeting):
        MemberFactory(
            username="liuanze",
            full_name="刘安泽",
            profile__body="cppcc",
            profile__submitter_type="cppcc_member",
        )
        client = login(cppcc_supervisor)
        row = {"标题": "关于某事的提案", "案由": "短", "理由": None, "办法": "办法" * 20,
               "领衔人": "刘安泽", "提交日期": yesterday()}  # fmt: skip
        batch = upload_batch(client, cppcc_meeting, [row])
        assert batch.errors[0]["messages"] == ["“案由”至少 10 字，现为 1 字。", "请填写“理由”。"]

    def test_many_rows_are_checked_quickly(self, office, world):
        rows = [npc_row(n) for n in range(500)]
        batch = upload_batch(office, world, rows)
        assert (batch.total_rows, batch.bad_rows) == (500, 0)
        assert len(batch.rows) == importer.PREVIEW_GOOD_ROWS
        page = office.get(f"/items/import/{batch.pk}/").content.decode()
        assert "另有 300 行无误，未列出。" in page


# --- files refused as a whole ------------------------------------------------------------


def _workbook_bytes(fill: Any) -> bytes:
    workbook = Workbook()
    fill(workbook.active)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _with_formula(ws: Any) -> None:
    ws.append(["标题", "正文", "领衔人", "提交日期"])
    ws.append(["关于某事的建议", "内容", "何红", "=TODAY()"])


def _with_text_formula(ws: Any) -> None:
    ws.append(["标题", "正文", "领衔人", "提交日期"])
    ws.append(["关于某事的建议", "内容", "何红", "2026-01-01"])
    ws["B2"].value = '=HYPERLINK("http://x")'
    ws["B2"].data_type = "s"


def _wrong_columns(ws: Any) -> None:
    ws.append(["标题", "内容简介", "领衔人", "备注"])
    ws.append(["关于某事的建议", "内容", "何红", "x"])


def _header_only(ws: Any) -> None:
    ws.append(["标题", "正文", "领衔人", "提交日期"])


def _zip_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "hello")
    return buffer.getvalue()


ODD_FILES = [
    ("text renamed", "建议.xlsx", "标题,正文\n关于,内容\n".encode(), "这不是 Excel 文件（.xlsx）"),
    ("zip renamed", "建议.xlsx", _zip_bytes(), "这不是 Excel 文件（.xlsx）"),
    ("old xls", "建议.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, "旧版的 .xls 文件"),
    ("empty", "建议.xlsx", b"", "空文件"),
    ("formula", "建议.xlsx", _workbook_bytes(_with_formula), "表格中有公式（D2）"),
    ("text formula", "建议.xlsx", _workbook_bytes(_with_text_formula), "表格中有公式（B2）"),
    ("wrong columns", "建议.xlsx", _workbook_bytes(_wrong_columns), "缺少列：正文、提交日期；不认识的列：内容简介、备注"),
    ("no rows", "建议.xlsx", _workbook_bytes(_header_only), "表格中没有数据"),
    ("blank sheet", "建议.xlsx", _workbook_bytes(lambda ws: None), "表格是空的"),
]  # fmt: skip


@pytest.mark.django_db
class TestOddFiles:
    @pytest.mark.parametrize(
        ("name", "content", "message"), [c[1:] for c in ODD_FILES], ids=[c[0] for c in ODD_FILES]
    )
    def test_refused_with_a_message_and_nothing_kept(self, office, world, name, content, message):
        response = post_sheet(office, world, content, name)
        html = response.content.decode()
        assert response.status_code == 400 and message in html, html[-3000:]
        assert not ImportBatch.objects.exists() and nothing_written()

    def test_a_damaged_workbook(self, office, world):
        content = sheet_bytes(world, [npc_row(1)])
        response = post_sheet(office, world, content[: len(content) // 2])
        assert response.status_code == 400
        assert "无法读取这个 Excel 文件" in response.content.decode()

    def test_too_many_rows(self, settings, office, world):
        settings.IMPORT_MAX_ROWS = 3
        response = post_sheet(office, world, sheet_bytes(world, [npc_row(n) for n in range(4)]))
        assert response.status_code == 400 and "超过了 3 行的上限" in response.content.decode()
        assert not ImportBatch.objects.exists()

    def test_too_large_is_refused_before_it_is_stored(self, settings, office, world):
        settings.IMPORT_MAX_BYTES = 16 * 1024  # the test's 50 MB: announced larger, not read
        content = b"PK\x03\x04" + random.Random(1).randbytes(100 * 1024)
        with mock.patch("intake.importer.read_sheet") as read:
            response = post_sheet(office, world, content)
        assert response.status_code == 413
        assert "超过了 16.0\xa0KB 的上限" in response.content.decode()
        read.assert_not_called()
        assert not ImportBatch.objects.exists()

    def test_a_file_over_the_limit_within_the_envelope_is_cut_off(self, settings, office, world):
        settings.IMPORT_MAX_BYTES = 100 * 1024
        content = sheet_bytes(world, [npc_row(1)]) + b"\x00" * (100 * 1024)  # just over
        response = post_sheet(office, world, content)
        assert response.status_code == 413 and "的上限" in response.content.decode()
        assert not ImportBatch.objects.exists()

    def test_the_limit_defaults_to_50_mb(self):
        from django.conf import settings

        assert settings.IMPORT_MAX_BYTES == 50 * 1024 * 1024
        assert settings.IMPORT_MAX_ROWS == 20_000

    def test_fuzzed_files_never_make_a_server_error(self, office, world):
        good = sheet_bytes(world, [npc_row(1), npc_row(2)])
        rng = random.Random(15)
        for n in range(25):
            content = bytearray(good)
            for _ in range(rng.randint(1, 40)):
                content[rng.randrange(len(content))] = rng.randrange(256)
            if n % 5 == 0:
                content = content[: rng.randrange(len(content))]
            response = post_sheet(office, world, bytes(content))
            assert response.status_code in (302, 400), n
        assert not Proposal.objects.exists()


# --- accepting: all or nothing -------------------------------------------------------------


@pytest.mark.django_db
class TestAllOrNothing:
    def test_a_failure_in_row_19_of_20_leaves_nothing(self, office, world):
        rows = [npc_row(n, 联名人="王建国", 审查结果="立案") for n in range(1, 21)]
        rows[18]["标题"] = "关于第十九件的建议"
        batch = upload_batch(office, world, rows)
        assert batch.good_rows == 20
        real_submit = services.proposal_submit

        def refuse_the_19th(*, proposal, **kwargs):  # type: ignore[no-untyped-def]
            if proposal.title == "关于第十九件的建议":
                raise ValidationError("模拟的失败")
            return real_submit(proposal=proposal, **kwargs)

        with mock.patch.object(services, "proposal_submit", refuse_the_19th):
            office.post(f"/items/import/{batch.pk}/accept/")
        batch.refresh_from_db()
        assert batch.status == BatchStatus.FAILED
        assert batch.error == "第21行：模拟的失败 没有导入任何一行。"
        assert nothing_written()
        page = office.get(f"/items/import/{batch.pk}/").content.decode()
        assert "导入没有成功，没有写入任何一行。" in page and "第21行：模拟的失败" in page

    def test_what_changed_since_the_preview_is_checked_again(
        self, office, world, member, npc_supervisor, npc_category
    ):
        batch = upload_batch(office, world, [npc_row(1, 审查结果="立案", 编号="萧山1号")])
        item = services.proposal_create(
            author=member, meeting=world, title="抢先", body="正文", category=npc_category
        )
        services.proposal_submit(proposal=item, actor=member)
        services.proposal_register(proposal=item, actor=npc_supervisor)  # takes 萧山1号
        office.post(f"/items/import/{batch.pk}/accept/")
        batch.refresh_from_db()
        assert batch.status == BatchStatus.FAILED and "预览之后数据有了变化" in batch.error
        assert batch.errors[0]["messages"] == ["编号“萧山1号”在市14届人大3次会议已被使用。"]
        assert Proposal.objects.count() == 1

    def test_accepting_twice_imports_once(self, office, world):
        batch = upload_batch(office, world, [npc_row(1)])
        office.post(f"/items/import/{batch.pk}/accept/")
        response = office.post(f"/items/import/{batch.pk}/accept/", follow=True)
        assert "不能再次导入" in response.content.decode()
        assert Proposal.objects.count() == 1

    def test_review_outcomes_and_merges(self, office, world, npc_supervisor):
        rows = [
            npc_row(1, 审查结果="立案", 编号="3"),
            npc_row(2, 审查结果="并案", 并入编号="萧山3号"),
            npc_row(3, 审查结果="不予立案", 审查说明="属于个人诉求"),
            npc_row(4, 审查结果="转为意见", 审查说明="转市政府办公厅参阅"),
        ]
        batch = upload_batch(office, world, rows)
        assert batch.bad_rows == 0, batch.errors
        office.post(f"/items/import/{batch.pk}/accept/")
        items = {p.title: p for p in Proposal.objects.all()}
        target, merged, rejected, converted = (
            items[f"关于加强第{n}项工作的建议"] for n in range(1, 5)
        )
        assert target.number_label == "萧山3号" and target.status == ProposalStatus.REGISTERED
        assert merged.status == ProposalStatus.MERGED and merged.merged_into == target
        assert rejected.status == ProposalStatus.REJECTED
        assert rejected.review_note == "属于个人诉求"
        assert converted.status == ProposalStatus.CONVERTED


@pytest.mark.django_db
class TestEvents:
    def test_each_item_says_it_was_imported_and_by_whom(
        self, office, world, npc_supervisor, member
    ):
        batch = upload_batch(office, world, [npc_row(1, 审查结果="立案")])
        office.post(f"/items/import/{batch.pk}/accept/")
        item = Proposal.objects.get()
        imported = item.events.get(action=EventAction.IMPORTED)
        assert imported.actor == npc_supervisor
        assert imported.note == f"由人大代表工委从表格《建议.xlsx》第3行导入（导入批次 {batch.pk}）"
        actions = list(item.events.values_list("action", "actor__username"))
        assert actions == [
            ("created", "hehong"),
            ("imported", "npc_office"),
            ("submitted", "hehong"),
            ("registered", "npc_office"),
        ]
        page = office.get(f"/items/{item.pk}/").content.decode()
        assert "导入" in page and "第3行导入" in page


@pytest.mark.django_db
class TestSheetRetention:
    def test_old_sheets_are_deleted_and_the_items_stay(self, settings, office, world):

        from intake.tasks import purge_old_sheets

        settings.IMPORT_SHEET_KEEP_DAYS = 30
        imported = upload_batch(office, world, [npc_row(1, 审查结果="立案")])
        office.post(f"/items/import/{imported.pk}/accept/")
        previewed = upload_batch(office, world, [npc_row(2)])
        recent = upload_batch(office, world, [npc_row(3)])
        month_ago = timezone.now() - timedelta(days=31)
        ImportBatch.objects.filter(pk__in=[imported.pk, previewed.pk]).update(created_at=month_ago)
        stored = {b.pk: b.file.name for b in ImportBatch.objects.all()}
        storage = imported.file.storage
        assert all(storage.exists(name) for name in stored.values())

        assert purge_old_sheets() == 2

        # the old sheets are gone from storage, the recent one stays
        assert not storage.exists(stored[imported.pk]) and not storage.exists(stored[previewed.pk])
        assert storage.exists(stored[recent.pk])
        # the imported item and the batch's summary stay
        imported.refresh_from_db()
        assert imported.status == BatchStatus.IMPORTED and imported.imported == 1
        assert Proposal.objects.count() == 1
        # the batch never imported is closed, and its page says why instead of failing
        previewed.refresh_from_db()
        assert previewed.status == BatchStatus.FAILED
        page = office.get(f"/items/import/{previewed.pk}/").content.decode()
        assert "表格已按保留期限删除" in page
        response = office.post(f"/items/import/{previewed.pk}/accept/", follow=True)
        assert response.status_code == 200 and Proposal.objects.count() == 1


# --- the background job ------------------------------------------------------------------


@pytest.mark.django_db
class TestBackgroundImport:
    def test_a_large_sheet_runs_as_a_celery_job_with_a_progress_page(
        self, settings, office, world, django_capture_on_commit_callbacks
    ):
        settings.IMPORT_SYNC_MAX_ROWS = 2
        batch = upload_batch(office, world, [npc_row(n) for n in range(3)])
        page = office.get(f"/items/import/{batch.pk}/").content.decode()
        assert "行数较多，将在后台导入并显示进度" in page
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            office.post(f"/items/import/{batch.pk}/accept/")
        batch.refresh_from_db()
        assert batch.status == BatchStatus.QUEUED and len(callbacks) == 1
        assert not Proposal.objects.exists()
        response = office.get(f"/items/import/{batch.pk}/")
        html = response.content.decode()
        assert '<progress id="import-progress" max="3" value="0">' in html
        assert '<meta http-equiv="refresh" content="2">' in html and response["Refresh"] == "2"
        assert "刷新" in html and "<script" not in html

        callbacks[0]()  # the real task, in Celery's eager mode
        batch.refresh_from_db()
        assert (batch.status, batch.imported, batch.done, batch.attempts) == (
            BatchStatus.IMPORTED,
            3,
            3,
            1,
        )
        assert Proposal.objects.count() == 3
        html = office.get(f"/items/import/{batch.pk}/").content.decode()
        assert "http-equiv" not in html and "已导入 3 件。" in html

    def test_the_task_skips_a_batch_already_imported(self, office, world):
        from intake.tasks import import_batch_task

        batch = upload_batch(office, world, [npc_row(1)])
        office.post(f"/items/import/{batch.pk}/accept/")
        assert import_batch_task.delay(batch.pk).get() == "skipped"
        assert Proposal.objects.count() == 1

    def test_a_database_fault_is_retried_and_the_retry_imports(self, office, world):
        from django.db import OperationalError

        from intake.tasks import import_batch_task

        batch = upload_batch(office, world, [npc_row(1), npc_row(2)])
        ImportBatch.objects.filter(pk=batch.pk).update(status=BatchStatus.QUEUED)
        real = importer.import_row
        calls = {"n": 0}

        def flaky(*args, **kwargs):  # type: ignore[no-untyped-def]
            calls["n"] += 1
            if calls["n"] == 2:
                raise OperationalError("connection lost")
            return real(*args, **kwargs)

        with mock.patch.object(importer, "import_row", flaky):
            import_batch_task.apply(args=[batch.pk], throw=False)
        batch.refresh_from_db()
        assert (batch.status, batch.attempts, batch.imported) == (BatchStatus.IMPORTED, 2, 2)
        assert Proposal.objects.count() == 2

    def test_a_lost_job_is_queued_again_from_its_page(
        self, office, world, django_capture_on_commit_callbacks
    ):
        batch = upload_batch(office, world, [npc_row(1)])
        ImportBatch.objects.filter(pk=batch.pk).update(
            status=BatchStatus.QUEUED, heartbeat_at=timezone.now() - timedelta(minutes=10)
        )
        with django_capture_on_commit_callbacks(execute=True):
            office.get(f"/items/import/{batch.pk}/")
        batch.refresh_from_db()
        assert batch.status == BatchStatus.IMPORTED


# --- who may ----------------------------------------------------------------------------


@pytest.mark.django_db
class TestPermissions:
    def test_the_supervisor_of_the_body_may(self, office, world):
        assert office.get(URL).status_code == 200
        assert office.get(TEMPLATE_URL, {"meeting": world.pk}).status_code == 200

    @pytest.mark.parametrize("who", ["member", "unit_staff", "unit_leader", "administrator"])
    def test_other_roles_may_not(self, request, login, world, office, who):
        batch = upload_batch(office, world, [npc_row(1)])
        client = login(request.getfixturevalue(who))
        assert client.get(URL).status_code == 403
        assert client.get(TEMPLATE_URL, {"meeting": world.pk}).status_code == 403
        assert post_sheet(client, world, sheet_bytes(world, [npc_row(2)])).status_code == 403
        assert client.get(f"/items/import/{batch.pk}/").status_code == 403
        assert client.post(f"/items/import/{batch.pk}/accept/").status_code == 403
        assert Proposal.objects.count() == 0 and ImportBatch.objects.count() == 1

    def test_anonymous_goes_to_login(self, client, world, office):
        batch = upload_batch(office, world, [npc_row(1)])
        client.logout()
        for response in (
            client.get(URL),
            client.get(TEMPLATE_URL, {"meeting": world.pk}),
            client.get(f"/items/import/{batch.pk}/"),
            client.post(f"/items/import/{batch.pk}/accept/"),
        ):
            assert response.status_code == 302 and "/login/" in response["Location"]
        assert not Proposal.objects.exists()

    def test_a_supervisor_of_the_other_body_may_not(self, login, world, office, cppcc_supervisor):
        batch = upload_batch(office, world, [npc_row(1)])
        other = login(cppcc_supervisor)
        assert other.get(URL).status_code == 200  # their own page, without this batch
        assert batch.original_name not in other.get(URL).content.decode()
        assert other.get(f"/items/import/{batch.pk}/").status_code == 404
        assert other.post(f"/items/import/{batch.pk}/accept/").status_code == 404
        response = other.get(TEMPLATE_URL, {"meeting": world.pk})
        assert response.status_code == 302  # not a meeting they supervise
        response = post_sheet(other, world, sheet_bytes(world, [npc_row(2)]))
        assert response.status_code == 400 and ImportBatch.objects.count() == 1
        assert not Proposal.objects.exists()
        with pytest.raises(Exception, match="不能向这次会议导入"):
            importer.batch_accept(batch=batch, actor=cppcc_supervisor)

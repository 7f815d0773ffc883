"""The item export offices use (建议提案 导出): every column of a known item built through the
services, who sees which ratings, sent replies only, the person's choice of columns remembered
and used by background jobs too, and a constant number of queries per chunk of rows."""

from __future__ import annotations

import io
import re
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openpyxl import load_workbook

from accounts.models import User
from proposals import export_items, exports, services
from proposals.models import ExportJob, ExportStatus
from replies import services as reply_services

from .factories import UnitFactory, UserFactory

URL = "/items/export.xlsx"
COLUMNS_URL = "/items/export/columns/"
DAY = timedelta(days=1)


def rows_of(content: bytes) -> list[tuple[Any, ...]]:
    return list(load_workbook(io.BytesIO(content)).active.iter_rows(values_only=True))


def export(client: Any, params: dict[str, str] | None = None) -> list[dict[str, Any]]:
    """The exported rows as {header: value}."""
    response = client.get(URL, params or {})
    assert response.status_code == 200
    header, *rows = rows_of(b"".join(response.streaming_content))
    return [dict(zip(header, row, strict=True)) for row in rows]


def midnight(day: Any) -> datetime:
    """How openpyxl reads back a date cell."""
    return datetime(day.year, day.month, day.day)


def submitted_with_cosigner(lead: User, cosigner: User, meeting: Any, category: Any, title: str):
    item = services.proposal_create(
        author=lead, meeting=meeting, title=title, body="建议正文。", category=category
    )
    invitation = services.cosigner_invite(proposal=item, actor=lead, member=cosigner)
    services.cosigner_respond(cosigner=invitation, actor=cosigner, accept=True)
    return services.proposal_submit(proposal=item, actor=lead)


def send_reply(
    assignment: Any, staff: User, leader: User, result_class: str, *, at: datetime, **data: Any
):
    if assignment.status == "assigned":
        services.assignment_accept(assignment=assignment, actor=staff)
    reply = reply_services.reply_start(assignment=assignment, actor=staff)
    reply = reply_services.reply_save(
        reply=reply,
        actor=staff,
        version=reply.version,
        body_html="答复正文",
        result_class=result_class,
        **data,
    )
    reply_services.reply_submit(reply=reply, actor=staff)
    return reply_services.reply_sign(reply=reply, actor=leader, now=at)


def rate(reply: Any, member: User, work: str, result: str, *, at: datetime):
    return reply_services.evaluation_submit(
        reply=reply,
        actor=member,
        work_rating=work,
        result_rating=result,
        contacted=True,
        face_to_face=False,
        now=at,
    )


@pytest.fixture
def known(
    member, other_member, npc_meeting, npc_category, npc_supervisor, unit, unit_staff, unit_leader
):
    """萧山1号 of 何红 with 王建国 as co-signer, key item; 主办 市民政局 (文号 prefix 杭民复),
    会办 市交通局. Round 1: assigned 100 days ago, reply sent 60 days ago (B类, 不予公开), rated
    by both (何红 不满意 on the result); 重新办理 30 days ago; round 2 reply sent 5 days ago
    (A类, 同意公开), rated 满意 / 基本满意 by both the next day, which closed the item."""
    npc_meeting.supervisor_review_required = False
    npc_meeting.contact_requirement = "none"
    npc_meeting.save()
    unit.document_prefix = "杭民复"
    unit.save()
    co_unit = UnitFactory(name="杭州市交通运输局", short_name="市交通局")
    now = timezone.now()
    assigned_at, first_sent_at = now - 100 * DAY, now - 60 * DAY
    rehandled_at, second_sent_at = now - 30 * DAY, now - 5 * DAY

    item = submitted_with_cosigner(
        member, other_member, npc_meeting, npc_category, "关于完善社区养老服务的建议"
    )
    services.proposal_register(proposal=item, actor=npc_supervisor, is_key=True)
    services.proposal_assign(
        proposal=item, actor=npc_supervisor, lead_unit=unit, co_units=[co_unit], now=assigned_at
    )
    lead_assignment = item.assignments.get(role="lead")
    first = send_reply(
        lead_assignment,
        unit_staff,
        unit_leader,
        "B",
        at=first_sent_at,
        disclosure="withheld",
        withheld_reason="涉及内部工作安排",
    )
    rate(first, member, "basically", "unsatisfied", at=first_sent_at + DAY)
    rate(first, other_member, "satisfied", "basically", at=first_sent_at + DAY)
    reply_services.proposal_rehandle(
        proposal=item, actor=npc_supervisor, replies=[first], now=rehandled_at
    )
    second_assignment = item.assignments.get(role="lead", round=2)
    second = send_reply(second_assignment, unit_staff, unit_leader, "A", at=second_sent_at)
    rate(second, member, "satisfied", "satisfied", at=second_sent_at + DAY)
    rate(second, other_member, "satisfied", "basically", at=second_sent_at + DAY)
    item.refresh_from_db()
    first.refresh_from_db()
    second.refresh_from_db()
    second_assignment.refresh_from_db()
    assert item.status == "closed"
    return {
        "item": item,
        "co_unit": co_unit,
        "first": first,
        "second": second,
        "assigned_on": timezone.localdate(assigned_at),
        "first_sent_on": timezone.localdate(first_sent_at),
        "rehandled_on": timezone.localdate(rehandled_at),
        "second_due_on": second_assignment.due_on,
        "second_sent_on": timezone.localdate(second_sent_at),
        "closed_on": timezone.localdate(second_sent_at + DAY),
    }


@pytest.mark.django_db
class TestTheKnownItem:
    def test_every_column_as_the_supervisory_office_sees_it(self, login, npc_supervisor, known):
        first, second = known["first"], known["second"]
        assert first.document_number == f"杭民复〔{known['first_sent_on'].year}〕1号"
        assert second.document_number == f"杭民复〔{known['second_sent_on'].year}〕2号"

        (row,) = export(login(npc_supervisor))

        assert row == {
            "编号": "萧山1号",
            "标题": "关于完善社区养老服务的建议",
            "类型": "建议",
            "届次": "市14届人大3次会议",
            "领衔人": "何红",
            "联名人": "王建国",
            "类别": "民政",
            "状态": "已办结",
            "重点": "是",
            "主办单位": "市民政局",
            "会办单位": "市交通局",
            "分办单位": None,
            # the latest round's dates, typed; the earlier round's stated under 重新办理
            "交办日": midnight(known["rehandled_on"]),
            "期限": midnight(known["second_due_on"]),
            "答复日": midnight(known["second_sent_on"]),
            "文号": f"{second.document_number}（第1轮：{first.document_number}）",
            "答复类别": "A类（第1轮：B类）",
            "公开属性": "同意公开（第1轮：不予公开）",
            "办理工作测评": "何红：满意、王建国：满意（第1轮：何红：基本满意、王建国：满意）",
            "办理结果测评": (
                "何红：满意、王建国：基本满意（第1轮：何红：不满意、王建国：基本满意）"
            ),
            "重新办理": (
                f"第2轮（第1轮：{known['assigned_on'].isoformat()}交办，"
                f"{known['first_sent_on'].isoformat()}答复）"
            ),
            "办结日": midnight(known["closed_on"]),
        }

    def test_the_date_cells_are_dates(self, login, npc_supervisor, known):
        response = login(npc_supervisor).get(URL)
        sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
        header = [cell.value for cell in sheet[1]]
        for name in ("交办日", "期限", "答复日", "办结日"):
            cell = sheet.cell(row=2, column=header.index(name) + 1)
            assert cell.is_date and cell.number_format == "yyyy-mm-dd", name

    def test_a_member_sees_only_their_own_ratings(self, login, member, other_member, known):
        (lead_row,) = export(login(member))
        assert lead_row["办理工作测评"] == "何红：满意（第1轮：何红：基本满意）"
        assert lead_row["办理结果测评"] == "何红：满意（第1轮：何红：不满意）"
        (cosigner_row,) = export(login(other_member))
        assert cosigner_row["办理工作测评"] == "王建国：满意（第1轮：王建国：满意）"
        assert cosigner_row["办理结果测评"] == "王建国：基本满意（第1轮：王建国：基本满意）"
        # the rest of the row is theirs to see as on the item page
        assert (
            lead_row["文号"]
            == cosigner_row["文号"]
            == (f"{known['second'].document_number}（第1轮：{known['first'].document_number}）")
        )

    def test_a_unit_sees_the_ratings_of_its_own_replies_only(self, login, unit_staff, known):
        (row,) = export(login(unit_staff))
        assert row["办理结果测评"] == (
            "何红：满意、王建国：基本满意（第1轮：何红：不满意、王建国：基本满意）"
        )
        co_staff = UserFactory(username="jt_staff", role="unit_staff", unit=known["co_unit"])
        (row,) = export(login(co_staff))
        assert (row["主办单位"], row["会办单位"]) == ("市民政局", "市交通局")
        assert row["文号"] == (
            f"{known['second'].document_number}（第1轮：{known['first'].document_number}）"
        )
        assert row["办理工作测评"] is None and row["办理结果测评"] is None


@pytest.mark.django_db
class TestOnlySentReplies:
    def test_drafts_and_replies_in_review_give_no_number_class_or_date(
        self,
        login,
        member,
        npc_meeting,
        npc_category,
        npc_supervisor,
        unit,
        unit_staff,
        unit_leader,
    ):
        npc_meeting.contact_requirement = "none"
        npc_meeting.save()  # review by the supervisory office stays required
        item = services.proposal_submit(
            proposal=services.proposal_create(
                author=member,
                meeting=npc_meeting,
                title="关于托育服务的建议",
                body="x",
                category=npc_category,
            ),
            actor=member,
        )
        services.proposal_register(proposal=item, actor=npc_supervisor)
        services.proposal_assign(proposal=item, actor=npc_supervisor, lead_unit=unit)
        assignment = item.assignments.get()
        services.assignment_accept(assignment=assignment, actor=unit_staff)
        reply = reply_services.reply_start(assignment=assignment, actor=unit_staff)
        reply_services.reply_save(
            reply=reply, actor=unit_staff, version=reply.version, body_html="答复", result_class="A"
        )
        empty = {"答复日": None, "文号": None, "答复类别": None, "公开属性": None}
        for user in (unit_staff, npc_supervisor, member):  # a draft
            (row,) = export(login(user))
            assert {key: row[key] for key in empty} == empty
        reply.refresh_from_db()
        reply_services.reply_sign(reply=reply, actor=unit_leader)
        reply.refresh_from_db()
        assert reply.status == "in_review"
        for user in (unit_staff, npc_supervisor, member):  # signed, waiting for review
            (row,) = export(login(user))
            assert {key: row[key] for key in empty} == empty
            assert row["主办单位"] == "市民政局"


@pytest.mark.django_db
def test_several_replying_units_are_named_before_their_values(
    login, member, npc_meeting, npc_category, npc_supervisor, unit, unit_staff, unit_leader
):
    npc_meeting.supervisor_review_required = False
    npc_meeting.contact_requirement = "none"
    npc_meeting.save()
    other = UnitFactory(name="杭州市教育局", short_name="市教育局")
    other_staff = UserFactory(username="jy_staff", role="unit_staff", unit=other)
    other_leader = UserFactory(username="jy_leader", role="unit_leader", unit=other)
    item = services.proposal_submit(
        proposal=services.proposal_create(
            author=member,
            meeting=npc_meeting,
            title="关于校园周边交通的建议",
            body="x",
            category=npc_category,
        ),
        actor=member,
    )
    services.proposal_register(proposal=item, actor=npc_supervisor)
    services.proposal_assign(proposal=item, actor=npc_supervisor, separate_units=[unit, other])
    now = timezone.now()
    ours = send_reply(item.assignments.get(unit=unit), unit_staff, unit_leader, "A", at=now - DAY)
    theirs = send_reply(item.assignments.get(unit=other), other_staff, other_leader, "C", at=now)
    rate(ours, member, "satisfied", "satisfied", at=now)

    (row,) = export(login(npc_supervisor))
    assert (row["主办单位"], row["分办单位"]) == (None, "市民政局、市教育局")
    assert row["文号"] == f"市民政局：{ours.document_number}、市教育局：{theirs.document_number}"
    assert row["答复类别"] == "市民政局：A类、市教育局：C类"
    assert row["答复日"] == midnight(timezone.localdate(now))  # the last of the replies
    assert row["办理工作测评"] == "市民政局（何红：满意）"
    assert row["重新办理"] is None


@pytest.mark.django_db
class TestChosenColumns:
    def test_the_choice_is_remembered_and_applied(self, login, member, known):
        client = login(member)
        response = client.post(
            COLUMNS_URL,
            {
                "export-columns": ["title", "number", "work_ratings", "due_on"],
                "export-query": "status=closed&page=3",
            },
        )
        assert response.status_code == 302
        assert response["Location"] == f"{URL}?status=closed"
        member.refresh_from_db()
        assert member.preferences == {
            "export_columns": {"items": ["number", "title", "due_on", "work_ratings"]}
        }
        # the export's own order, whatever the order ticked
        (row,) = export(client, {"status": "closed"})
        assert row == {
            "编号": "萧山1号",
            "标题": "关于完善社区养老服务的建议",
            "期限": midnight(known["second_due_on"]),
            "办理工作测评": "何红：满意（第1轮：何红：基本满意）",
        }
        assert export(client, {"status": "assigned"}) == []
        # the list page ticks what was chosen, and keeps the filters for the export
        page = client.get("/items/", {"status": "closed"}).content.decode()
        boxes = re.findall(r'<input type="checkbox" name="export-columns"[^>]*>', page)
        assert len(boxes) == len(export_items.ITEM_COLUMNS)
        checked = [re.findall(r'value="(\w+)"', box)[0] for box in boxes if " checked" in box]
        assert checked == ["number", "title", "due_on", "work_ratings"]
        assert 'name="export-query" value="status=closed"' in page
        assert "<details" in page and "选择导出的列" in page

    def test_someone_elses_choice_is_not_mine(self, login, member, other_member, known):
        exports.export_columns_remember(user=member, kind="items", columns=["title"])
        (row,) = export(login(other_member))
        assert list(row) == [str(c.header) for c in export_items.ITEM_COLUMNS if c.default]

    def test_back_to_the_defaults(self, login, member, known):
        client = login(member)
        exports.export_columns_remember(user=member, kind="items", columns=["title"])
        response = client.post(
            COLUMNS_URL,
            {"export-columns": ["title"], "export-query": "kind=suggestion", "reset": "1"},
        )
        assert response["Location"] == "/items/?kind=suggestion"
        member.refresh_from_db()
        assert member.preferences == {"export_columns": {}}
        (row,) = export(client)
        assert len(row) == len(export_items.DEFAULT_ITEM_COLUMNS)

    @pytest.mark.parametrize(
        ("columns", "message"),
        [
            ([], "请至少选择一列。"),
            (["title", "phone"], "所选的列不存在，请重新选择。"),
            (["__class__"], "所选的列不存在，请重新选择。"),
        ],
        ids=["nothing", "an unknown column", "not a column"],
    )
    def test_a_bad_choice_is_refused_and_the_old_one_kept(
        self, login, member, known, columns, message
    ):
        exports.export_columns_remember(user=member, kind="items", columns=["title", "status"])
        client = login(member)
        response = client.post(
            COLUMNS_URL, {"export-columns": columns, "export-query": "kind=suggestion"}
        )
        assert response["Location"] == "/items/?kind=suggestion"  # the filters kept
        page = client.get(response["Location"])
        assert [str(m) for m in page.context["messages"]] == [message]
        member.refresh_from_db()
        assert member.preferences == {"export_columns": {"items": ["title", "status"]}}
        assert not ExportJob.objects.exists()

    def test_only_a_post_from_someone_logged_in(self, client, member):
        response = client.post(COLUMNS_URL, {"export-columns": ["title"]})
        assert response.status_code == 302 and "/login/" in response["Location"]
        client.force_login(member)
        assert client.get(COLUMNS_URL).status_code == 405
        member.refresh_from_db()
        assert member.preferences == {}

    def test_a_background_job_writes_the_columns_chosen_when_it_started(
        self, settings, login, member, known, django_capture_on_commit_callbacks
    ):
        settings.EXPORT_SYNC_MAX_ROWS = 0
        exports.export_columns_remember(user=member, kind="items", columns=["number", "closed_on"])
        client = login(member)
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            response = client.get(URL, {"status": "closed"})
        job = ExportJob.objects.get()
        assert response["Location"] == f"/items/exports/{job.pk}/"
        # chosen otherwise while the job waits: the job keeps what was asked for
        exports.export_columns_remember(user=member, kind="items", columns=["title"])
        page = client.get(response["Location"]).content.decode()
        assert 'href="/items/?status=closed"' in page  # back to the list, without the columns
        callbacks[0]()
        job.refresh_from_db()
        assert job.status == ExportStatus.READY
        assert rows_of(job.file.read()) == [
            ("编号", "办结日"),
            ("萧山1号", midnight(known["closed_on"])),
        ]
        # the next export follows the new choice
        with django_capture_on_commit_callbacks(execute=True):
            client.get(URL, {"status": "closed"})
        newest = ExportJob.objects.order_by("-pk").first()
        assert rows_of(newest.file.read()) == [("标题",), ("关于完善社区养老服务的建议",)]


@pytest.mark.django_db
def test_names_that_look_like_formulas_are_neutralised(
    login, member, npc_meeting, npc_category, npc_supervisor
):
    schemer = UserFactory(username="schemer", full_name='=HYPERLINK("http://evil.example")')
    from .factories import MemberProfileFactory

    MemberProfileFactory(user=schemer)
    submitted_with_cosigner(member, schemer, npc_meeting, npc_category, "@SUM(A1:A2)")
    response = login(npc_supervisor).get(URL)
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    header = [cell.value for cell in sheet[1]]
    title = sheet.cell(row=2, column=header.index("标题") + 1)
    cosigners = sheet.cell(row=2, column=header.index("联名人") + 1)
    assert (title.value, title.data_type) == ("'@SUM(A1:A2)", "s")
    assert (cosigners.value, cosigners.data_type) == ('\'=HYPERLINK("http://evil.example")', "s")
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)


@pytest.mark.django_db
def test_queries_grow_with_chunks_not_rows(
    monkeypatch,
    member,
    other_member,
    npc_meeting,
    npc_category,
    npc_supervisor,
    unit,
    unit_staff,
    unit_leader,
):
    """Every column: the items (one cursor), then one query each for units, co-signers,
    replies and ratings per chunk of rows."""
    npc_meeting.supervisor_review_required = False
    npc_meeting.contact_requirement = "none"
    npc_meeting.save()

    def grow(count: int) -> None:
        for n in range(count):
            item = submitted_with_cosigner(
                member, other_member, npc_meeting, npc_category, f"关于第{n}件事的建议"
            )
            services.proposal_register(proposal=item, actor=npc_supervisor)
            services.proposal_assign(proposal=item, actor=npc_supervisor, lead_unit=unit)
            if n % 2 == 0:
                now = timezone.now()
                reply = send_reply(item.assignments.get(), unit_staff, unit_leader, "A", at=now)
                rate(reply, member, "satisfied", "basically", at=now)

    keys = export_items.ITEM_COLUMN_KEYS

    def queries() -> tuple[int, int]:
        queryset = exports.export_queryset("items", npc_supervisor, "")
        with CaptureQueriesContext(connection) as captured:
            rows = list(exports.export_rows("items", npc_supervisor, queryset, keys))
        return len(rows), len(captured)

    grow(2)
    assert queries() == (2, 5)
    grow(8)
    assert queries() == (10, 5)
    monkeypatch.setattr(export_items, "CHUNK_SIZE", 4)
    # the items are read through one cursor; three chunks of at most four items each
    assert queries() == (10, 1 + 4 * 3)
    # fewer columns, fewer queries: the items only
    queryset = exports.export_queryset("items", npc_supervisor, "")
    with CaptureQueriesContext(connection) as captured:
        list(exports.export_rows("items", npc_supervisor, queryset, ["number", "title"]))
    assert len(captured) == 1


def test_the_query_string_of_a_job_round_trips():
    query = urlencode({"q": "养老", "status": "closed"})
    stored = exports.job_query("items", query, ("number", "title"))
    assert exports.split_job_query("items", stored) == (query, ("number", "title"))
    # a job queued before columns were chosen: the defaults
    assert exports.split_job_query("items", query) == (query, export_items.DEFAULT_ITEM_COLUMNS)
    # unknown names are dropped
    assert exports.split_job_query("items", "export_columns=title%2Cphone") == ("", ("title",))
    # lists with fixed columns keep their query as it was
    assert exports.job_query("workspace", query, ("0",)) == query


@pytest.mark.django_db
def test_a_choice_someone_saved_keeps_working_when_columns_change(member):
    User.objects.filter(pk=member.pk).update(
        preferences={"export_columns": {"items": ["retired_column", "title"]}}
    )
    member.refresh_from_db()
    assert exports.chosen_columns(member, "items") == ("title",)
    User.objects.filter(pk=member.pk).update(
        preferences={"export_columns": {"items": ["retired_column"]}}
    )
    member.refresh_from_db()
    assert exports.chosen_columns(member, "items") == export_items.DEFAULT_ITEM_COLUMNS

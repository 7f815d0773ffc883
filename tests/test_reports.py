"""办理工作报告 (reports/): every figure equals a count computed here, independently, with plain
ORM reads and Python, for a generated meeting and for the demo; no figure missing; the .docx
opens with python-docx and has the 公文 heading levels in order; the PDF's text has the figures;
only supervisors, for their own bodies, and each their own jobs."""

from __future__ import annotations

import io
import re
import subprocess
from datetime import date

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from proposals import services
from proposals.models import Assignment, ContactRecord, Meeting, Proposal
from replies.models import Evaluation, FollowUp, Reply
from reports import documents
from reports.figures import FIGURE_KEYS, Scope, compute, figure_keys
from reports.models import ReportJob, ReportStatus

from .test_dashboards import make_item, send_reply, world  # noqa: F401  (the fixture)

FACE_TO_FACE = {"face_to_face", "meeting", "visit"}
PUBLISHED = {"sent", "superseded"}


def independent_counts(items: list[Proposal], classes: list[str], today: date) -> dict[str, int]:
    """Every figure of the report, counted one row at a time from the database."""
    ids = {item.pk for item in items}
    received = [p for p in items if p.status != "draft"]
    parts = [a for a in Assignment.objects.filter(proposal_id__in=ids) if a.status != "returned"]
    first = [a for a in parts if a.round == 1]
    replying = [a for a in parts if a.role in ("lead", "separate")]
    replied = [a for a in replying if a.status == "replied"]
    replies = list(Reply.objects.filter(proposal_id__in=ids))
    sent = [r for r in replies if r.status == "sent"]
    published = [r for r in replies if r.status in PUBLISHED]
    on_time = [
        a
        for a in replied
        if any(
            r.assignment_id == a.pk
            and r.corrects_id is None
            and r.sent_at is not None
            and timezone.localdate(r.sent_at) <= a.due_on
            for r in replies
        )
    ]
    met = [
        a
        for a in replied
        if any(
            c.method in FACE_TO_FACE and c.response != "disputed"
            for c in ContactRecord.objects.filter(assignment=a)
        )
    ]
    evaluations = [e for e in Evaluation.objects.all() if e.reply_id in {r.pk for r in published}]
    rehandled = {a.proposal_id for a in parts if a.round > 1}
    follow_ups = [f for f in FollowUp.objects.all() if f.reply_id in {r.pk for r in replies}]
    by_pk = {p.pk: p for p in items}
    counts = {
        "received": len(received),
        "registered": sum(1 for p in items if p.number is not None),
        "rejected": sum(1 for p in items if p.status == "rejected"),
        "merged": sum(1 for p in items if p.status == "merged"),
        "converted": sum(1 for p in items if p.status == "converted"),
        "withdrawn": sum(1 for p in items if p.status == "withdrawn"),
        "pending_review": sum(1 for p in items if p.status == "submitted"),
        "closed": sum(1 for p in items if p.status == "closed"),
        "key_items": sum(1 for p in items if p.is_key and p.number is not None),
        "key_closed": sum(1 for p in items if p.is_key and p.status == "closed"),
        "assigned_items": len({a.proposal_id for a in first}),
        "units": len({a.unit_id for a in parts}),
        "lead_assignments": sum(1 for a in first if a.role == "lead"),
        "co_assignments": sum(1 for a in first if a.role == "co"),
        "separate_assignments": sum(1 for a in first if a.role == "separate"),
        "replying": len(replying),
        "replied": len(replied),
        "on_time": len(on_time),
        "overdue": sum(
            1
            for a in replying
            if a.status in ("assigned", "accepted") and a.ended_at is None and a.due_on < today
        ),
        "replied_items": len({r.proposal_id for r in published}),
        "sent_replies": len(sent),
        "public_replies": sum(1 for r in sent if r.disclosure == "public"),
        "evaluations": len(evaluations),
        "satisfied_evaluations": sum(
            1
            for e in evaluations
            if e.work_rating != "unsatisfied" and e.result_rating != "unsatisfied"
        ),
        "face_to_face": len(met),
        "rehandled_items": len(rehandled),
        "rehandled_replied": len({r.proposal_id for r in published if r.assignment.round > 1}),
        "rehandled_closed": sum(1 for pk in rehandled if by_pk[pk].status == "closed"),
        "follow_ups": len(follow_ups),
    }
    for rating in ("satisfied", "basically", "unsatisfied"):
        counts[f"work_{rating}"] = sum(1 for e in evaluations if e.work_rating == rating)
        counts[f"result_{rating}"] = sum(1 for e in evaluations if e.result_rating == rating)
    for status in ("fulfilled", "not_fulfilled", "open", "ended"):
        counts[f"follow_ups_{status}"] = sum(1 for f in follow_ups if f.status == status)
    for code in classes:
        counts[f"class_{code}"] = sum(1 for r in sent if r.result_class == code)
    return counts


def class_codes(meetings: list[Meeting]) -> list[str]:
    return list(
        dict.fromkeys(str(entry["code"]) for m in meetings for entry in m.result_classes or [])
    )


def assert_figures(user: User, scope: Scope, items: list[Proposal], meetings: list[Meeting]):
    today = timezone.localdate()
    figures = compute(user, scope, today=today)
    codes = class_codes(meetings)
    expected = independent_counts(items, codes, today)
    assert figures.keys() == set(expected) == figure_keys(figures)
    assert set(FIGURE_KEYS) <= figures.keys()
    for key in sorted(expected):
        assert figures.counts[key] == expected[key], key
    # the tables add up to the figures
    assert sum(n for _name, n in figures.by_category) == expected["registered"]
    assert sum(row.lead for row in figures.by_unit) == sum(
        1
        for a in Assignment.objects.filter(proposal__in=items, role="lead")
        if a.status != "returned"
    )
    assert len(figures.key_rows) == expected["key_items"]
    return figures


@pytest.fixture
def full_world(world, member, other_member, npc_supervisor, npc_meeting, npc_category, unit):  # noqa: F811
    """The dashboard's world, and items 不予立案, 并案, 转为意见, 撤案, one with a 会办 unit
    and one handled by two separate units."""
    args = (member, npc_meeting, npc_category, npc_supervisor)
    rejected = make_item(*args, "关于个人纠纷的建议")
    services.proposal_reject(
        proposal=rejected, actor=npc_supervisor, ground="personal_matter", note="属个人事项"
    )
    merged = make_item(*args, "关于养老服务的又一建议")
    services.proposal_merge(proposal=merged, actor=npc_supervisor, into=world["items"][5])
    converted = make_item(*args, "关于来信的建议")
    services.proposal_convert(proposal=converted, actor=npc_supervisor, note="转来信处理")
    withdrawn = make_item(*args, "关于撤回事项的建议")
    services.proposal_withdraw(proposal=withdrawn, actor=member, reason="情况已解决")
    _unit, unit_b, unit_c = world["units"]
    shared = make_item(*args, "关于交通与教育的建议")
    services.proposal_register(
        proposal=shared, actor=npc_supervisor, is_key=True, leading_official="王副市长"
    )
    services.proposal_assign(
        proposal=shared, actor=npc_supervisor, lead_unit=unit, co_units=[unit_c]
    )
    split = make_item(*args, "关于两个部门分别办理的建议")
    services.proposal_register(proposal=split, actor=npc_supervisor)
    services.proposal_assign(proposal=split, actor=npc_supervisor, separate_units=[unit_b, unit_c])
    return world


@pytest.mark.django_db
def test_every_figure_of_a_generated_meeting_equals_an_independent_count(
    full_world, npc_supervisor, npc_meeting
):
    items = list(Proposal.objects.filter(meeting=npc_meeting))
    figures = assert_figures(npc_supervisor, Scope(meeting=npc_meeting), items, [npc_meeting])
    counts = figures.counts
    # the world as written: nothing is zero by accident
    assert counts["rejected"] == counts["merged"] == counts["converted"] == 1
    assert counts["withdrawn"] == 1 and counts["co_assignments"] == 1
    assert counts["separate_assignments"] == 2 and counts["rehandled_items"] == 1
    assert counts["overdue"] >= 1 and counts["on_time"] >= 1 and counts["face_to_face"] == 1
    # the year and body give the same figures when the meeting is the only one
    by_year = compute(npc_supervisor, Scope(year=npc_meeting.year, body="npc"))
    assert by_year.counts == figures.counts


@pytest.mark.django_db
def test_every_figure_of_the_demo_equals_an_independent_count():
    call_command("seed_demo", stdout=io.StringIO())
    supervisors = {
        u.supervised_bodies()[0]: u
        for u in User.objects.filter(role="supervisor")
        if len(u.supervised_bodies()) == 1
    }
    checked = 0
    for meeting in Meeting.objects.all():
        user = supervisors[meeting.body]
        items = list(Proposal.objects.filter(meeting=meeting))
        assert_figures(user, Scope(meeting=meeting), items, [meeting])
        checked += 1
    for year, body in set(Meeting.objects.values_list("year", "body")):
        meetings = list(Meeting.objects.filter(year=year, body=body))
        items = list(Proposal.objects.filter(meeting__in=meetings))
        assert_figures(supervisors[body], Scope(year=year, body=body), items, meetings)
    assert checked and Proposal.objects.exclude(status="draft").exists()


HEADING_PATTERNS = {
    1: re.compile(r"^[一二三四五六七八九十]+、"),
    2: re.compile(r"^（[一二三四五六七八九十]+）"),
    3: re.compile(r"^\d+\. "),
    4: re.compile(r"^（\d+）"),
}


@pytest.mark.django_db
def test_the_documents_have_the_official_heading_levels_and_the_figures(
    full_world, npc_supervisor, npc_meeting, tmp_path
):
    from docx import Document

    figures = compute(npc_supervisor, Scope(meeting=npc_meeting))
    html = documents.body_html(figures, documents.chart_images(figures))
    document = Document(io.BytesIO(documents.docx_bytes(html)))
    headings = []
    for paragraph in document.paragraphs:
        name = paragraph.style.name
        if name.startswith("Heading "):
            level = int(name.split()[1])
            assert HEADING_PATTERNS[level].match(paragraph.text), (level, paragraph.text)
            headings.append(level)
    assert document.paragraphs[0].style.name == "Title"
    assert "办理工作情况的报告" in document.paragraphs[0].text
    assert set(headings) == {1, 2, 3, 4}
    # in order: a level never skips one on the way down
    previous = 0
    for level in headings:
        assert level <= previous + 1
        previous = level
    assert [p.text for p in document.paragraphs if p.style.name == "Heading 1"][:2] == [
        "一、基本情况",
        "二、办理情况",
    ]
    assert len(document.inline_shapes) == 4  # the charts
    text = "\n".join(p.text for p in document.paragraphs)
    counts = figures.counts
    assert f"共收到代表建议{counts['received']}件" in text
    assert f"立案{counts['registered']}件" in text
    assert f"按期答复率为{figures.on_time_rate}" in text

    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(documents.pdf_bytes(html))
    pdf_text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    flat = re.sub(r"\s+", "", pdf_text)
    assert f"共收到代表建议{counts['received']}件" in flat
    assert f"不予立案{counts['rejected']}件" in flat
    assert f"按期答复率为{figures.on_time_rate}" in flat
    assert f"满意率（含基本满意）为{figures.satisfaction_rate}" in flat
    assert "王副市长" in flat


@pytest.mark.django_db
def test_the_supervisor_generates_and_downloads_both_files(
    full_world, npc_supervisor, npc_meeting, login, django_capture_on_commit_callbacks
):
    from docx import Document

    client = login(npc_supervisor)
    page = client.get(reverse("proposals:dashboard"))
    assert reverse("reports:index") in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("reports:index"), {"meeting": npc_meeting.pk})
    job = ReportJob.objects.get(owner=npc_supervisor)
    assert response.status_code == 302 and response["Location"] == reverse(
        "reports:status", args=[job.pk]
    )
    job.refresh_from_db()
    assert job.status == ReportStatus.READY, job.error  # eager in tests
    assert job.done == job.total == 5
    status = client.get(response["Location"])
    assert "report.docx" in status.content.decode() and "Refresh" not in status
    docx = client.get(reverse("reports:download", args=[job.pk, "docx"]))
    assert docx.status_code == 200
    Document(io.BytesIO(b"".join(docx.streaming_content)))
    pdf = client.get(reverse("reports:download", args=[job.pk, "pdf"]))
    assert b"".join(pdf.streaming_content).startswith(b"%PDF")
    assert (
        job.figures["counts"]["received"]
        == compute(npc_supervisor, Scope(meeting=npc_meeting)).counts["received"]
    )


@pytest.mark.django_db
def test_a_year_needs_a_body_only_for_a_supervisor_of_both(npc_supervisor, npc_meeting, login):
    client = login(npc_supervisor)
    response = client.post(reverse("reports:index"), {"year": npc_meeting.year})
    job = ReportJob.objects.get(owner=npc_supervisor)
    assert (job.year, job.body, job.meeting) == (npc_meeting.year, "npc", None)
    assert response.status_code == 302
    nothing = client.post(reverse("reports:index"), {})
    assert nothing.status_code == 200
    assert "请选择一次会议，或者选择年度和所属" in nothing.content.decode()


@pytest.mark.django_db
def test_only_supervisors_for_their_own_bodies_and_their_own_jobs(
    npc_supervisor,
    cppcc_supervisor,
    npc_meeting,
    cppcc_meeting,
    member,
    unit_staff,
    login,
    django_capture_on_commit_callbacks,
):
    client = login(npc_supervisor)
    # a meeting of another body is not offered, and posting it does not start a report
    response = client.post(reverse("reports:index"), {"meeting": cppcc_meeting.pk})
    assert response.status_code == 200 and not ReportJob.objects.exists()
    response = client.post(reverse("reports:index"), {"year": cppcc_meeting.year, "body": "cppcc"})
    assert response.status_code == 200 and not ReportJob.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("reports:index"), {"meeting": npc_meeting.pk})
    job = ReportJob.objects.get()
    for url in (
        reverse("reports:status", args=[job.pk]),
        reverse("reports:download", args=[job.pk, "docx"]),
        reverse("reports:download", args=[job.pk, "pdf"]),
    ):
        assert client.get(url).status_code == 200
        client.logout()
        assert login(cppcc_supervisor).get(url).status_code == 404  # another supervisor's job
        client.logout()
        for other in (member, unit_staff):
            assert login(other).get(url).status_code == 403
            client.logout()
        client = login(npc_supervisor)
    client.logout()
    for other in (member, unit_staff):
        assert login(other).get(reverse("reports:index")).status_code == 403
        client.logout()
    assert client.get(reverse("reports:index")).status_code == 302  # to the login page


@pytest.mark.django_db
def test_a_stalled_job_is_queued_again(
    npc_supervisor, npc_meeting, login, django_capture_on_commit_callbacks
):
    from datetime import timedelta

    job = ReportJob.objects.create(
        owner=npc_supervisor,
        meeting=npc_meeting,
        total=5,
        status=ReportStatus.RUNNING,
        heartbeat_at=timezone.now() - timedelta(hours=1),
    )
    with django_capture_on_commit_callbacks(execute=True):
        login(npc_supervisor).get(reverse("reports:status", args=[job.pk]))
    job.refresh_from_db()
    assert job.status == ReportStatus.READY  # requeued, and run at once (eager)
    assert job.attempts == 1

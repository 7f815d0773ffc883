"""The embedded run (`make run`): no broker, so the embedded server runs the beat schedule's jobs
itself (config/embedded_jobs.py); the demo's mails land in files; and the set-up prints no
warning."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.core import mail
from django.utils import timezone

from accounts.models import EmailStatus, Notification
from config import embedded_jobs
from config.celery import app
from proposals import services
from proposals.models import ProposalStatus
from replies import services as reply_services
from replies.models import Reply

FIVE_MINUTE_JOBS = [
    name
    for name, entry in settings.CELERY_BEAT_SCHEDULE.items()
    if float(entry["schedule"]) <= 300  # type: ignore[arg-type]
]


def sent_item(member, npc_supervisor, npc_meeting, npc_category, unit, unit_staff, unit_leader):  # type: ignore[no-untyped-def]
    """An item whose reply was sent, and no one rated it."""
    npc_meeting.supervisor_review_required = False
    npc_meeting.save()
    proposal = services.proposal_create(
        author=member, meeting=npc_meeting, title="关于扩大普惠托育服务供给的建议", body="x"
    )
    services.proposal_submit(proposal=proposal, actor=member)
    services.proposal_register(proposal=proposal, actor=npc_supervisor, category=npc_category)
    services.proposal_assign(proposal=proposal, actor=npc_supervisor, lead_unit=unit)
    assignment = proposal.assignments.get()
    services.assignment_accept(assignment=assignment, actor=unit_staff)
    reply = reply_services.reply_start(assignment=assignment, actor=unit_staff)
    reply = reply_services.reply_save(
        reply=reply, actor=unit_staff, version=reply.version, body_html="答复正文", result_class="A"
    )
    reply_services.reply_submit(reply=reply, actor=unit_staff)
    reply_services.reply_sign(reply=reply, actor=unit_leader)
    return proposal


@pytest.fixture
def due_work(member, npc_supervisor, npc_meeting, npc_category, unit, unit_staff, unit_leader):  # type: ignore[no-untyped-def]
    """Work the daily and five-minute jobs find: an item whose evaluation window passed two
    months ago, and a notice whose e-mail was never queued (Redis was down, say)."""
    proposal = sent_item(
        member, npc_supervisor, npc_meeting, npc_category, unit, unit_staff, unit_leader
    )
    # the reply went out two months ago (moved back by hand: the window is counted from it)
    Reply.objects.filter(proposal=proposal).update(sent_at=timezone.now() - timedelta(days=60))
    member.email = "hehong@example.org"
    member.save(update_fields=["email"])
    notice = Notification.objects.create(recipient=member, message="您的建议已答复。")
    Notification.objects.filter(pk=notice.pk).update(
        created_at=timezone.now() - timedelta(minutes=10)
    )
    mail.outbox.clear()
    return proposal, notice


@pytest.mark.django_db
class TestEmbeddedJobs:
    def test_the_first_round_runs_every_job_of_the_beat_schedule(self, tmp_path, due_work):
        proposal, notice = due_work
        jobs = embedded_jobs.EmbeddedJobs(
            app, settings.CELERY_BEAT_SCHEDULE, tmp_path / "jobs.lock"
        )
        assert jobs.run_due() == list(settings.CELERY_BEAT_SCHEDULE)
        proposal.refresh_from_db()
        assert proposal.status == ProposalStatus.CLOSED  # close-items-after-window
        notice.refresh_from_db()
        assert notice.email_status == EmailStatus.SENT  # queue-pending-emails
        assert [message.to for message in mail.outbox] == [["hehong@example.org"]]

    def test_then_each_job_runs_again_after_its_own_interval(self, tmp_path, db):
        jobs = embedded_jobs.EmbeddedJobs(
            app, settings.CELERY_BEAT_SCHEDULE, tmp_path / "jobs.lock"
        )
        jobs.run_due()
        assert jobs.run_due() == []  # nothing is due right after
        assert 0 < jobs.seconds_until_next() <= 300
        for job in jobs.jobs:  # five minutes and a second later
            assert job.last_run_at is not None
            job.last_run_at -= timedelta(seconds=301)
        assert jobs.run_due() == FIVE_MINUTE_JOBS
        assert FIVE_MINUTE_JOBS == ["queue-pending-emails", "queue-pending-letters"]

    def test_a_failing_job_is_logged_and_the_others_still_run(self, tmp_path, due_work, caplog):
        proposal, _notice = due_work
        schedule = {
            "broken": {"task": "proposals.tasks.no_such_task", "schedule": 60.0},
            "close-items-after-window": settings.CELERY_BEAT_SCHEDULE["close-items-after-window"],
        }
        jobs = embedded_jobs.EmbeddedJobs(app, schedule, tmp_path / "jobs.lock")
        assert jobs.run_due() == ["broken", "close-items-after-window"]
        assert "embedded job broken (proposals.tasks.no_such_task) failed" in caplog.text
        proposal.refresh_from_db()
        assert proposal.status == ProposalStatus.CLOSED


def test_nothing_is_started_when_a_broker_is_configured(settings):
    """With a broker (production, and the test settings) Celery beat runs the schedule."""
    settings.EMBEDDED_JOBS = False
    assert embedded_jobs.start() is None


@pytest.mark.django_db(transaction=True)
def test_the_embedded_server_thread_runs_the_schedule_at_start_up(
    settings, member, npc_supervisor, npc_meeting, npc_category, unit, unit_staff, unit_leader
):
    settings.EMBEDDED_JOBS = True
    proposal = sent_item(
        member, npc_supervisor, npc_meeting, npc_category, unit, unit_staff, unit_leader
    )
    Reply.objects.filter(proposal=proposal).update(sent_at=timezone.now() - timedelta(days=60))
    thread = embedded_jobs.start()
    assert thread is not None
    try:
        assert embedded_jobs.start() is thread  # one per process
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            proposal.refresh_from_db()
            if proposal.status == ProposalStatus.CLOSED:
                break
            time.sleep(0.2)
        assert proposal.status == ProposalStatus.CLOSED
    finally:
        thread.stop(timeout=60)
    assert not thread.is_alive()


def embedded_environment(tmp_path: Path) -> dict[str, str]:
    """`make run`'s environment: no database server, no broker, files in a scratch folder."""
    environment = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("POSTGRES_", "CELERY_", "DJANGO_", "REDIS_", "SQLITE_"))
    }
    environment.update(
        DJANGO_SETTINGS_MODULE="config.settings.base",
        SQLITE_PATH=str(tmp_path / "db.sqlite3"),
        DJANGO_MEDIA_ROOT=str(tmp_path / "media"),
        DJANGO_STATIC_ROOT=str(tmp_path / "static"),
        DJANGO_EMAIL_FILE_PATH=str(tmp_path / "mail"),
        PYTHONUNBUFFERED="1",
    )
    return environment


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_make_run_prints_no_warning_writes_the_demo_mails_and_runs_the_jobs(tmp_path: Path):
    """The steps of `make run` (migrate, seed_demo, runserver) as a newcomer runs them."""
    environment = embedded_environment(tmp_path)
    manage = [sys.executable, str(Path(settings.BASE_DIR) / "manage.py")]
    output = ""
    for step in (["migrate", "--noinput"], ["seed_demo"]):
        done = subprocess.run(
            [*manage, *step],
            env=environment,
            cwd=settings.BASE_DIR,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stderr
        output += done.stdout + done.stderr
    server = subprocess.Popen(
        [*manage, "runserver", "--noreload", f"127.0.0.1:{free_port()}"],
        env=environment,
        cwd=settings.BASE_DIR,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert server.stdout is not None
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            line = server.stdout.readline()
            output += line
            if "embedded jobs run:" in line or server.poll() is not None:
                break
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert "Traceback" not in output, output  # no step and no job failed
    assert "No hostname was supplied" not in output
    assert "System check identified some issues" not in output
    assert re.search(r"\(\w+\.W\d{3}\)", output) is None, output  # no system-check warning
    assert "System check identified no issues (0 silenced)." in output  # runserver's check
    assert "后台任务：没有配置 CELERY_BROKER_URL" in output
    assert f"邮件：不真正发出，写成文件，在 {tmp_path / 'mail'}/ 下。" in output
    assert "embedded jobs run: " + ", ".join(settings.CELERY_BEAT_SCHEDULE) in output
    # the demo's notices went out as e-mails to example addresses, readable in the files
    recipients = {
        line.removeprefix("收件人：")
        for path in (tmp_path / "mail").iterdir()
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.startswith("收件人：")
    }
    assert "ctmz_staff@example.gov.cn" in recipients
    assert all(re.fullmatch(r"\w+@example\.(org|gov\.cn)", r) for r in recipients), recipients

"""Background jobs for real: a Celery worker consuming from Redis, writing to PostgreSQL.

The module starts its own redis-server on a spare loopback port, so that one test can stop it
and start it again (Redis "down" while work goes on). The worker runs in a thread of this
process, so it sees the test database and Django's test mail outbox.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from celery.contrib.testing.worker import start_worker
from django.core import mail
from django.db import transaction

from accounts.models import EmailStatus, Notification
from accounts.notifications import notify
from accounts.tasks import queue_pending_emails
from config.celery import app

from .factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


class RedisServer:
    """A redis-server of our own that a test may stop and start again on the same port."""

    def __init__(self) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        binary = shutil.which("redis-server")
        assert binary, "redis-server is installed by .ci/system-deps.sh"
        self.process = subprocess.Popen(
            [
                binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None


@pytest.fixture(scope="module")
def redis_server() -> Iterator[RedisServer]:
    server = RedisServer()
    server.start()
    yield server
    server.stop()


def use_broker(url: str) -> None:
    """Point the app's publishers and consumers at `url`. Celery reads CELERY_BROKER_URL from the
    environment before its own configuration, and caches its connection and producer pools on
    first use, so set both and drop the cached pools (private attributes, test-only)."""
    if url:
        os.environ["CELERY_BROKER_URL"] = url
    else:
        os.environ.pop("CELERY_BROKER_URL", None)
    app.conf.broker_url = url
    app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture
def worker(redis_server: RedisServer) -> Iterator[RedisServer]:
    previous = (
        os.environ.get("CELERY_BROKER_URL", ""),
        app.conf.task_always_eager,
        app.conf.task_publish_retry_policy,
    )
    use_broker(redis_server.url)
    app.conf.task_always_eager = False
    # fail fast while Redis is down: the notice stays pending and the sweep catches up
    app.conf.task_publish_retry_policy = {
        "max_retries": 1,
        "interval_start": 0,
        "interval_step": 0.1,
    }
    with start_worker(app, perform_ping_check=False, pool="solo", loglevel="WARNING"):
        yield redis_server
    use_broker(previous[0])
    app.conf.task_always_eager, app.conf.task_publish_retry_policy = previous[1:]


def wait_for(predicate, timeout: float = 20.0) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def test_a_notice_is_mailed_by_the_worker(worker: RedisServer) -> None:
    user = UserFactory(username="he", full_name="何红", email="hehong@example.gov.cn")
    with transaction.atomic():
        [notice] = notify([user], "《关于引导社会组织参与未成年人保护的建议》已交办。", "/items/1/")
    assert wait_for(lambda: Notification.objects.get(pk=notice.pk).email_status == EmailStatus.SENT)
    assert [m.to for m in mail.outbox] == [["hehong@example.gov.cn"]]


def test_notices_saved_while_redis_is_down_are_sent_by_the_sweep(worker: RedisServer) -> None:
    user = UserFactory(username="he", full_name="何红", email="hehong@example.gov.cn")
    worker.stop()
    try:
        with transaction.atomic():
            [notice] = notify([user], "已立案。", "/items/1/")  # the step itself must succeed
    finally:
        worker.start()
    notice.refresh_from_db()
    assert notice.email_status == EmailStatus.PENDING
    assert mail.outbox == []
    # Redis is back: the periodic sweep queues what could not be queued
    Notification.objects.filter(pk=notice.pk).update(
        created_at=notice.created_at.replace(year=2000)
    )
    assert queue_pending_emails() == 1
    assert wait_for(lambda: Notification.objects.get(pk=notice.pk).email_status == EmailStatus.SENT)
    assert len(mail.outbox) == 1


def test_a_notice_queued_twice_is_mailed_once(worker: RedisServer) -> None:
    from accounts.tasks import send_notification_email

    user = UserFactory(username="he", full_name="何红", email="hehong@example.gov.cn")
    notice = Notification.objects.create(recipient=user, message="重复排队", url="/")
    send_notification_email.delay(notice.pk)
    send_notification_email.delay(notice.pk)
    assert wait_for(lambda: Notification.objects.get(pk=notice.pk).email_status == EmailStatus.SENT)
    time.sleep(0.5)  # let the second job run too
    assert len(mail.outbox) == 1


def test_beat_triggers_the_reminder_sweep_and_reminders_arrive_once(
    worker: RedisServer, tmp_path: Path
) -> None:
    """celery beat (a real process, its sweep shortened to 1 s) publishes the reminder sweep to
    Redis; the worker runs it against PostgreSQL. Reminders arrive once: the following sweeps,
    and two more at once, add none."""
    from datetime import timedelta

    from django.utils import timezone

    from proposals import services
    from proposals.models import Reminder, ReminderStatus
    from proposals.tasks import send_reminders_task

    from .factories import CategoryFactory, MeetingFactory, MemberFactory, UnitFactory

    meeting = MeetingFactory(body="npc", term=14, sitting=3)
    member = MemberFactory(username="hehong")
    supervisor = UserFactory(username="npc_office", role="supervisor", supervisor_scope="npc")
    unit = UnitFactory(name="杭州市民政局")
    staff = UserFactory(
        username="staff", role="unit_staff", unit=unit, email="staff@example.gov.cn"
    )
    proposal = services.proposal_create(
        author=member,
        meeting=meeting,
        title="关于扩大普惠托育服务供给的建议",
        body="x",
        category=CategoryFactory(),
    )
    services.proposal_submit(proposal=proposal, actor=member)
    services.proposal_register(proposal=proposal, actor=supervisor)
    # assigned long enough ago that the reply is due in three days
    due_in_three = timezone.now() - timedelta(days=89)
    services.proposal_assign(proposal=proposal, actor=supervisor, lead_unit=unit, now=due_in_three)
    proposal.assignments.update(due_on=timezone.localdate() + timedelta(days=3))
    mail.outbox.clear()

    env = {
        **os.environ,
        "CELERY_BROKER_URL": worker.url,
        "REMINDER_SWEEP_SECONDS": "1",
        "CELERY_TASK_ALWAYS_EAGER": "false",  # beat must publish, not run the sweep itself
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
    }
    beat = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "beat",
            "-l",
            "warning",
            "-s",
            str(tmp_path / "beat-schedule"),
            "--pidfile",
            str(tmp_path / "beat.pid"),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        assert wait_for(
            lambda: Reminder.objects.filter(recipient=staff, status=ReminderStatus.SENT).exists(),
            timeout=40,
        ), "no reminder arrived"
        time.sleep(3)  # beat keeps publishing the sweep every second
    finally:
        beat.terminate()
        _, errors = beat.communicate(timeout=20)
        if errors:
            print(errors.decode(errors="replace")[-3000:])
    sent = Reminder.objects.count()
    notices = Notification.objects.filter(recipient=staff).count()
    assert Reminder.objects.filter(recipient=staff, period="3").count() == 1
    send_reminders_task.delay()
    send_reminders_task.delay()
    time.sleep(2)
    assert Reminder.objects.count() == sent
    assert Notification.objects.filter(recipient=staff).count() == notices
    assert wait_for(lambda: any("还有3天" in m.subject for m in mail.outbox))
    assert sum("还有3天" in m.subject for m in mail.outbox) == 1

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
import time
from collections.abc import Iterator

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

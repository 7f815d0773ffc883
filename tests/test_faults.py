"""Faults, each printing what was lost (it must be nothing).

1. Redis stops while members submit items and units send replies: every request succeeds
   quickly, every row is saved, and the letters and e-mails that could not be queued are queued
   by the sweeps once Redis is back.
2. A worker is killed in the middle of rendering a letter (its pool process alone, then the
   whole worker): the letter is rendered once, after the redelivery or the sweep.
3. PostgreSQL restarts under load: the running app answers again without being restarted, and
   every item it reported saved is there.

Each test runs its own servers (tests/faults_support.py), never stopping the suite's shared
PostgreSQL and Redis. Run with `pytest -s tests/test_faults.py` to see the summaries.
"""

from __future__ import annotations

import http.client
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlencode

import psycopg
import pytest
from celery.contrib.testing.worker import start_worker
from django.core import mail
from django.db import connection
from django.db.models import Max
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from kombu import Connection
from pypdf import PdfReader

from accounts.models import EmailStatus, Notification, User
from accounts.tasks import queue_pending_emails
from config.celery import app
from proposals import services
from proposals.models import Category, Meeting, Proposal, ProposalStatus
from replies import services as reply_services
from replies.models import Letter, LetterStatus, Reply, ReplyStatus
from replies.tasks import queue_pending_letters, render_letter_task

from .factories import CategoryFactory, MeetingFactory, MemberFactory, UnitFactory, UserFactory
from .faults_support import (
    ROOT,
    CeleryWorker,
    PrivatePostgres,
    RedisServer,
    need_binary,
    spare_port,
    use_broker,
    wait_for,
)

pytestmark = pytest.mark.django_db(transaction=True)

SLOW_REQUEST = 2.0  # seconds; a request slower than this during an outage is a failure


@dataclass
class Handling:
    """Items assigned to 杭州市民政局, with replies drafted and waiting for the leader's 签发."""

    meeting: Meeting
    leader: User
    members: list[User]
    replies: list[Reply]


def make_handling(count: int) -> Handling:
    """Set up through the services, with jobs run at once: the set-up's own notices are mailed
    and off the broker before the fault begins."""
    previous, app.conf.task_always_eager = app.conf.task_always_eager, True
    try:
        return _make_handling(count)
    finally:
        app.conf.task_always_eager = previous


def _make_handling(count: int) -> Handling:
    meeting = MeetingFactory(body="npc", supervisor_review_required=False)
    category = CategoryFactory(body="npc", name="民政")
    supervisor = UserFactory(
        username="npc_office", role="supervisor", supervisor_scope="npc", email="o@example.cn"
    )
    unit = UnitFactory(
        name="杭州市民政局",
        short_name="市民政局",
        document_prefix="杭民函",
        contact_person="孙华锋",
        contact_phone="89586327",
    )
    staff = UserFactory(username="staff", role="unit_staff", unit=unit, email="s@example.cn")
    leader = UserFactory(
        username="leader", full_name="周建华", role="unit_leader", unit=unit, email="l@example.cn"
    )
    members, replies = [], []
    for number in range(count):
        member = MemberFactory(username=f"member{number}", email=f"m{number}@example.cn")
        proposal = services.proposal_create(
            author=member,
            meeting=meeting,
            title=f"关于完善社区养老服务网络的建议（{number + 1}）",
            body="建议加快社区养老服务设施建设。",
            category=category,
        )
        services.proposal_submit(proposal=proposal, actor=member)
        services.proposal_register(proposal=proposal, actor=supervisor)
        services.proposal_assign(proposal=proposal, actor=supervisor, lead_unit=unit)
        assignment = proposal.assignments.get(role="lead")
        services.assignment_accept(assignment=assignment, actor=staff)
        reply = reply_services.reply_start(assignment=assignment, actor=staff)
        reply = reply_services.reply_save(
            reply=reply,
            actor=staff,
            version=reply.version,
            body_html="一、工作开展情况\n我们认真研究，积极推进社区养老服务设施建设。",
            result_class="B",
        )
        reply_services.reply_submit(reply=reply, actor=staff)
        members.append(member)
        replies.append(reply)
    return Handling(meeting=meeting, leader=leader, members=members, replies=replies)


def is_pdf(letter: Letter) -> bool:
    with letter.file.open("rb") as handle:
        return len(PdfReader(handle).pages) >= 1


@pytest.fixture
def private_redis() -> Iterator[RedisServer]:
    """A redis-server of this test's own, used by the app (publishing) and its workers."""
    need_binary("redis-server")
    server = RedisServer()
    server.start()
    previous = (os.environ.get("CELERY_BROKER_URL", ""), app.conf.task_always_eager)
    use_broker(server.url)
    app.conf.task_always_eager = False
    try:
        yield server
    finally:
        server.stop()
        use_broker(previous[0])
        app.conf.task_always_eager = previous[1]


def test_redis_outage_loses_no_submission_reply_letter_or_email(
    private_redis: RedisServer,
) -> None:
    handling = make_handling(6)
    mail.outbox.clear()
    before = Notification.objects.aggregate(last=Max("pk"))["last"] or 0
    queue_pending_emails.delay()  # the app was publishing: its pooled connection is open
    private_redis.stop()  # and the queue's contents are gone (no persistence)

    timings: list[float] = []

    def post(client: Client, url: str, data: dict[str, object] | None = None) -> str:
        began = time.monotonic()
        response = client.post(url, data or {}, follow=True)
        timings.append(time.monotonic() - began)
        assert response.status_code == 200, response
        return response.content.decode()

    titles = []
    for number, member in enumerate(handling.members):
        client = Client()
        client.force_login(member)
        title = f"关于增设老旧小区电梯的建议（{number + 1}）"
        data = {
            "meeting": handling.meeting.pk,
            "kind": "suggestion",
            "title": title,
            "category": handling.replies[0].proposal.category_id,
            "body": "建议简化加装电梯审批流程。",
        }
        post(client, reverse("proposals:create"), data)
        proposal = Proposal.objects.get(title=title)
        # the title's （N） makes the pre-check warn (not 关于……的建议): seen, 「仍然提交」
        seen = {"acknowledged": "identity,personal,phone,punctuation,similar,title"}
        assert "已提交" in post(client, reverse("proposals:submit", args=[proposal.pk]), seen)
        titles.append(title)
    leader = Client()
    leader.force_login(handling.leader)
    for reply in handling.replies:
        assert "已签发" in post(leader, reverse("replies:sign", args=[reply.pk]))

    # everything is saved; nothing could be queued
    submitted = Proposal.objects.filter(title__in=titles, status=ProposalStatus.SUBMITTED).count()
    sent = Reply.objects.filter(
        pk__in=[r.pk for r in handling.replies], status=ReplyStatus.SENT
    ).count()
    letters = Letter.objects.filter(reply__in=handling.replies)
    notices = Notification.objects.filter(pk__gt=before)
    assert (submitted, sent) == (6, 6)
    assert sorted(letters.values_list("status", flat=True)) == [LetterStatus.PENDING] * 6
    assert notices.count() >= 6
    assert set(notices.values_list("email_status", flat=True)) == {EmailStatus.PENDING}
    assert mail.outbox == []
    assert max(timings) < SLOW_REQUEST, timings

    # Redis is back; a worker runs the sweeps (as beat would, five minutes later)
    private_redis.start()
    letters.update(queued_at=timezone.now() - timedelta(minutes=5))
    notices.update(created_at=timezone.now() - timedelta(minutes=10))
    began = time.monotonic()
    with start_worker(app, perform_ping_check=False, pool="solo", loglevel="WARNING"):
        queue_pending_letters.delay()
        queue_pending_emails.delay()
        wait_for(
            lambda: (
                not letters.exclude(status=LetterStatus.READY).exists()
                and not notices.exclude(email_status=EmailStatus.SENT).exists()
            ),
            timeout=90,
        )
        caught_up = time.monotonic() - began
    ready = [letter for letter in letters if letter.status == LetterStatus.READY and is_pdf(letter)]
    mailed = sorted(m.to[0] for m in mail.outbox)
    wanted = sorted(notices.values_list("recipient__email", flat=True))
    lost = (6 - submitted) + (6 - sent) + (6 - len(ready)) + len(set(wanted) - set(mailed))
    print(
        f"\nredis outage: {len(titles)} items written and submitted, {sent} replies sent "
        f"(slowest request {max(timings):.2f} s); lost {lost}; after Redis returned "
        f"letters {len(ready)}/6 ready, e-mails {len(mailed)}/{len(wanted)} sent "
        f"in {caught_up:.1f} s"
    )
    assert lost == 0
    assert mailed == wanted  # each exactly once


def worker_env(redis: RedisServer, media: Path, **extra: str) -> dict[str, str]:
    """A worker process on the test database and the test's media folder. Base settings: the
    test settings pin MEDIA_ROOT, and base reads everything from the environment."""
    database = connection.settings_dict
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.base",
        "POSTGRES_DB": str(database["NAME"]),
        "POSTGRES_HOST": str(database["HOST"]),
        "POSTGRES_PORT": str(database["PORT"]),
        "POSTGRES_USER": str(database["USER"]),
        "POSTGRES_PASSWORD": str(database["PASSWORD"] or ""),
        "DJANGO_MEDIA_ROOT": str(media),
        "CELERY_BROKER_URL": redis.url,
        "DJANGO_LOG_LEVEL": "WARNING",
        **extra,
    }


def send(reply: Reply, leader: User) -> Letter:
    reply_services.reply_sign(reply=reply, actor=leader)  # commits, then queues the letter
    return Letter.objects.get(reply=reply)


def test_a_letter_whose_worker_is_killed_mid_render_is_rendered_once(
    private_redis: RedisServer, settings, tmp_path: Path
) -> None:
    handling = make_handling(2)
    media = Path(settings.MEDIA_ROOT)
    log = tmp_path / "worker.log"
    # the first attempt at each letter pauses 60 s between rendering and saving
    worker = CeleryWorker(worker_env(private_redis, media, FAULT_RENDER_PAUSE="60"), log)
    second: CeleryWorker | None = None
    try:
        # (a) the pool process dies (OOM killer): the message is handed out again at once
        first = send(handling.replies[0], handling.leader)
        assert wait_for(
            lambda: Letter.objects.get(pk=first.pk).status == LetterStatus.RENDERING, 60
        ), worker.tail()
        [child] = worker.pool_children()
        os.kill(child, signal.SIGKILL)
        began = time.monotonic()
        assert wait_for(lambda: Letter.objects.get(pk=first.pk).status == LetterStatus.READY, 60), (
            worker.tail()
        )
        child_recovery = time.monotonic() - began

        # (b) the whole worker dies: its message stays unacknowledged in Redis
        letter = send(handling.replies[1], handling.leader)
        assert wait_for(
            lambda: Letter.objects.get(pk=letter.pk).status == LetterStatus.RENDERING, 60
        ), worker.tail()
        worker.kill_all()
        time.sleep(0.5)
        assert Letter.objects.get(pk=letter.pk).status == LetterStatus.RENDERING
        second = CeleryWorker(worker_env(private_redis, media, LETTER_STUCK_AFTER_SECONDS="1"), log)
        began = time.monotonic()
        queue_pending_letters.delay()  # beat's sweep; the new worker runs it
        assert wait_for(
            lambda: Letter.objects.get(pk=letter.pk).status == LetterStatus.READY, 60
        ), second.tail()
        sweep_recovery = time.monotonic() - began
        done = Letter.objects.get(pk=letter.pk)

        # an hour later Redis hands the killed worker's message out again: nothing happens
        with Connection(private_redis.url, transport_options={"visibility_timeout": 0}) as conn:
            conn.default_channel.qos.restore_visible(num=100)
        assert wait_for(lambda: not unacked_or_queued(private_redis), 20), second.tail()
    finally:
        worker.stop()
        if second is not None:
            second.stop()
    again = Letter.objects.get(pk=letter.pk)
    first = Letter.objects.get(pk=first.pk)
    files = sorted(p.name for p in (media / "letters").rglob("*.pdf"))
    rendered = [x for x in (first, again) if x.status == LetterStatus.READY and is_pdf(x)]
    print(
        f"\nworker killed mid-render: pool process killed → letter ready {child_recovery:.1f} s "
        f"later (redelivered, taken over); whole worker killed → ready {sweep_recovery:.1f} s "
        f"after the sweep; late redelivery changed nothing; lost {2 - len(rendered)}; "
        f"files {len(files)} for 2 letters"
    )
    assert len(rendered) == 2
    assert (first.attempts, again.attempts) == (2, 2)  # the killed attempt and the one that wrote
    assert (again.sha256, again.rendered_at, again.file.name) == (
        done.sha256,
        done.rendered_at,
        done.file.name,
    )
    assert files == sorted(Path(x.file.name).name for x in (first, again))  # no strays


def unacked_or_queued(redis: RedisServer) -> int:
    import redis as redis_client

    client = redis_client.Redis.from_url(redis.url)
    return int(client.hlen("unacked")) + int(client.llen("celery"))


def test_a_second_run_of_a_letter_job_is_harmless(monkeypatch, settings) -> None:  # type: ignore[no-untyped-def]
    """The claim behind the recoveries above, step by step: a second copy of the job while the
    first runs does nothing unless the broker says the first one's worker died; a run that was
    overtaken throws its PDF away; a letter whose worker dies every time ends up failed."""
    from replies import tasks

    handling = make_handling(1)
    letter = send(handling.replies[0], handling.leader)  # eager: rendered at once
    assert Letter.objects.get(pk=letter.pk).status == LetterStatus.READY
    Letter.objects.filter(pk=letter.pk).update(status=LetterStatus.PENDING)
    assert tasks._claim(letter.pk, redelivered=False) is not None  # run A starts
    assert tasks._claim(letter.pk, redelivered=False) is None  # a duplicate message: nothing
    assert tasks._claim(letter.pk, redelivered=True) is not None  # A's worker died: taken over

    # a run overtaken while it renders (the sweep took it for dead) keeps nothing
    Letter.objects.filter(pk=letter.pk).update(status=LetterStatus.PENDING)
    original = tasks.render_letter

    def overtaken(reply):  # type: ignore[no-untyped-def]
        rendered = original(reply)
        tasks._claim(letter.pk, redelivered=True)
        return rendered

    monkeypatch.setattr(tasks, "render_letter", overtaken)
    before = Letter.objects.get(pk=letter.pk)
    assert render_letter_task.apply(args=[letter.pk]).get() == "overtaken"
    after = Letter.objects.get(pk=letter.pk)
    assert (after.status, after.sha256, after.file.name) == (
        LetterStatus.RENDERING,
        before.sha256,
        before.file.name,
    )
    files = list((Path(settings.MEDIA_ROOT) / "letters").rglob("*.pdf"))
    assert [f.name for f in files] == [Path(before.file.name).name]

    # a letter that never finishes however often it is retried fails instead of looping
    Letter.objects.filter(pk=letter.pk).update(
        status=LetterStatus.RENDERING,
        attempts=tasks.MAX_ATTEMPTS,
        queued_at=timezone.now() - timedelta(hours=1),
    )
    assert tasks._claim(letter.pk, redelivered=True) is None
    assert queue_pending_letters() == 0
    assert Letter.objects.get(pk=letter.pk).status == LetterStatus.FAILED


@dataclass
class Outcome:
    began: float
    ended: float
    status: int  # 0: no HTTP answer at all
    title: str = ""
    page: str = ""  # the body of an error page


class AppServer:
    """gunicorn serving the app from its own process, as in production (two sync workers)."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.port = spare_port()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "config.wsgi:application", "--bind",
             f"127.0.0.1:{self.port}", "--workers", "2", "--timeout", "30"],
            cwd=ROOT, env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT,
        )  # fmt: skip
        self.log = log

    def request(
        self, method: str, path: str, cookies: dict[str, str], **form: str
    ) -> tuple[int, str]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=15)
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())}
        body = None
        if method == "POST":
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["X-CSRFToken"] = cookies["csrftoken"]
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            page = response.read().decode(errors="replace") if response.status >= 400 else ""
            if response.status == 503:
                page += f"\nRetry-After: {response.getheader('Retry-After')}"
            return response.status, page
        except OSError as error:
            return 0, repr(error)
        finally:
            conn.close()

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=20)


def open_meeting() -> tuple[Meeting, Category]:
    return MeetingFactory(body="npc"), CategoryFactory(body="npc", name="民政")


def test_the_app_recovers_from_a_postgresql_restart_without_a_restart_of_its_own(
    tmp_path: Path,
) -> None:
    """The app runs against a PostgreSQL cluster of the test's own holding a copy of the test
    database; two clients list and create items while the cluster restarts (-m fast)."""
    member = MemberFactory(username="hehong", full_name="何红")
    meeting, category = open_meeting()
    client = Client()
    client.force_login(member)  # the session row travels with the copy
    cookies = {"sessionid": client.cookies["sessionid"].value, "csrftoken": "f" * 32}

    cluster = PrivatePostgres()
    cluster.start()
    server: AppServer | None = None
    try:
        cluster.copy_database(connection.settings_dict, "app")
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings.test",
            "POSTGRES_DB": "app",
            "POSTGRES_HOST": "127.0.0.1",
            "POSTGRES_PORT": str(cluster.port),
            "POSTGRES_USER": "postgres",
            "POSTGRES_PASSWORD": "",
            "CELERY_TASK_ALWAYS_EAGER": "true",
            "DJANGO_LOG_LEVEL": "CRITICAL",  # the failed requests' tracebacks are expected
        }
        server = AppServer(env, tmp_path / "gunicorn.log")
        app_server = server
        assert wait_for(lambda: app_server.request("GET", "/items/", cookies)[0] == 200, 60), (
            server.log.read_text()[-3000:]
        )

        outcomes: list[Outcome] = []
        stop = threading.Event()

        def load(name: str) -> None:
            number = 0
            while not stop.is_set():
                number += 1
                title = f"关于加强{name}社区应急能力建设的建议（{number}）"
                began = time.monotonic()
                if number % 2:
                    status, page = app_server.request("GET", "/items/", cookies)
                    title = ""
                else:
                    status, page = app_server.request(
                        "POST", "/items/new/", cookies, meeting=str(meeting.pk),
                        kind="suggestion", title=title, category=str(category.pk),
                        body="建议完善应急物资储备。",
                    )  # fmt: skip
                outcomes.append(Outcome(began, time.monotonic(), status, title, page))

        clients = [threading.Thread(target=load, args=(name,)) for name in ("上城", "萧山")]
        for thread in clients:
            thread.start()
        time.sleep(1.5)
        restart_began = time.monotonic()
        took = cluster.restart()
        restart_ended = time.monotonic()
        time.sleep(2.5)
        stop.set()
        for thread in clients:
            thread.join(timeout=30)
        assert server.process.poll() is None  # the same app processes throughout

        ok = {200, 302}
        during = [o for o in outcomes if o.ended >= restart_began and o.began <= restart_ended]
        after = [o for o in outcomes if o.began > restart_ended]
        before = [o for o in outcomes if o.ended < restart_began]
        failed_during = [o.status for o in during if o.status not in ok]
        saved = {o.title for o in outcomes if o.title and o.status == 302}
        with psycopg.connect(
            host="127.0.0.1", port=cluster.port, user="postgres", dbname="app"
        ) as db:
            stored = {
                row[0]
                for row in db.execute(
                    "SELECT title FROM proposals_proposal WHERE title LIKE %s",
                    ["关于加强%社区应急能力建设的建议%"],
                )
            }
    finally:
        if server is not None:
            server.stop()
        cluster.stop()
    lost = len(saved - stored)
    print(
        f"\npostgresql restart: {len(outcomes)} requests ({len(before)} before, {len(during)} "
        f"during the {took:.1f} s restart, {len(after)} after); failed during "
        f"{len(failed_during)} (statuses {sorted(set(failed_during))}), after "
        f"{sum(o.status not in ok for o in after)}; {len(saved)} items answered saved, "
        f"lost {lost}"
    )
    assert before and after
    assert all(o.status in ok for o in before)
    assert all(o.status in ok for o in after), [o.status for o in after]
    # a clean error page that says what is going on, never a dropped connection
    assert set(failed_during) <= {503}, [o.page[-500:] for o in during if o.status != 503]
    assert all(
        "系统暂时无法访问" in o.page and "Retry-After: 10" in o.page
        for o in during
        if o.status == 503
    )
    assert lost == 0


def test_the_error_page_is_chinese_and_a_lost_database_is_a_503() -> None:
    from django.db import OperationalError
    from django.test import RequestFactory

    from config.errors import server_error

    request = RequestFactory().get("/items/")
    try:
        raise OperationalError("connection refused")
    except OperationalError:
        unavailable = server_error(request)
    try:
        raise ValueError("a bug")
    except ValueError:
        broken = server_error(request)
    assert (unavailable.status_code, unavailable["Retry-After"]) == (503, "10")
    assert "系统暂时无法访问" in unavailable.content.decode()
    assert broken.status_code == 500 and not broken.has_header("Retry-After")
    assert "系统出错了" in broken.content.decode()


def test_the_drivers_own_connection_error_is_a_503_too() -> None:
    """Closing a server-side cursor (QuerySet.iterator: a filter form's choices) on a connection
    the restarting server closed raises psycopg's OperationalError, not Django's: seen as a 500
    in the restart test before. An error raised while handling one counts by its cause."""
    import psycopg
    from django.test import RequestFactory

    from config.errors import server_error

    request = RequestFactory().get("/items/")
    try:
        raise psycopg.OperationalError("consuming input failed: server closed the connection")
    except psycopg.OperationalError:
        direct = server_error(request)
    try:
        try:
            raise psycopg.OperationalError("server closed the connection")
        except psycopg.OperationalError as error:
            raise RuntimeError("template rendering failed") from error
    except RuntimeError:
        caused = server_error(request)
    assert (direct.status_code, direct["Retry-After"]) == (503, "10")
    assert caused.status_code == 503

"""Page benchmark: item lists, the dashboard, a scorecard, the unit workspace, every role's
workbench and the reminder sweep over 100 000 items (at least 300 000 assignments).

Not a test: it prints figures. Run it against throw-away services (see bench/README.md):

    bash tests/services.sh .venv/bin/python bench/pages.py [--repeat 30] [--items 100000]

It migrates the database it is given, runs `seed_demo --items N` unless the database already holds
N items, checks that there are at least --min-assignments assignments, runs VACUUM (ANALYZE), and
then, with Django's test Client (force_login, in process), times --repeat requests of each page
after two warm-up requests: the item list as the supervisor of both bodies, unfiltered and
filtered (status, meeting and a search term), the supervisor's dashboard, the unit scorecards of a
meeting, the unit workspace as a 承办员 of the busiest unit, and the workbench (`/`) of every
role: the busiest member (most invitations, replies to rate and contacts to confirm), the 承办员
and the 负责人 of the busiest unit, the supervisor of one body and the one of both. The item list
is timed once more with the navigation's count switched off, which shows what that count (one
query on every page) adds. It prints p50/p95 server time, SQL time, queries and the time of the
count statement per request, the slowest statements of each page, each workbench's queues (rows,
count and first-rows time), and EXPLAIN ANALYZE of the slowest statements (for a workbench, of
its slowest queues' counts) of a page that misses its target. Then it times proposals.reminders.send_reminders over
all assignments: the first run of the day (everything due is new), the same day again (nothing
new), the next day and the next Monday (steady state: that day's reminders are new).

Targets (2 cores): item list p95 <= 150 ms (both), dashboard p95 <= 300 ms, each workbench p95
<= 150 ms, the sweep <= 2 s in
the steady-state daily runs (the first run also catches up with every reminder already due and
is reported against the same figure).

It refuses the machine's default PostgreSQL (5432) and Redis (6379) unless given
--allow-default-ports. Files written by seed_demo (sample letters) go to a temporary media folder
unless DJANGO_MEDIA_ROOT is set.

Exit status: 0 ran and met the targets, 1 failed, 2 refused (usage or configuration), 3 ran but
missed a target.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import io
import os
import pstats
import re
import resource
import shutil
import signal
import socket
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from common import (
    BenchError,
    Refused,
    check_broker,
    check_database,
    check_django_settings,
    limit_statements,
    percentile,
    shorten,
)

ROOT = Path(__file__).resolve().parent.parent
SUPERVISOR = "gov_office"  # seed_demo's supervisor of both bodies (scope "all")
ONE_BODY_SUPERVISOR = "npc_office"  # and of the people's congress only
SEARCH_TERM = "养老"
LIST_TARGET_MS = 150.0
DASHBOARD_TARGET_MS = 300.0
WORKBENCH_TARGET_MS = 150.0
SWEEP_TARGET_S = 2.0
WARM_UP = 2
SLOWEST = 3  # statements per page shown (and explained when the page misses its target)
SLOWEST_QUEUES = 2  # queues of a workbench explained when it misses its target
COUNT_PREFIX = "SELECT (SELECT COUNT(*) FROM ("  # workbench.queues.count_many's statement


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Page benchmark (item lists, dashboard, scorecards, workspace, sweep)."
    )
    parser.add_argument("--repeat", type=int, default=30, help="timed requests per page (30)")
    parser.add_argument(
        "--items",
        type=int,
        default=100_000,
        help="items the database should hold; seed_demo --items makes up the difference (100000)",
    )
    parser.add_argument(
        "--min-assignments",
        type=int,
        default=300_000,
        help="fail unless the database holds at least this many assignments (300000)",
    )
    parser.add_argument(
        "--explain",
        action="store_true",
        help="EXPLAIN ANALYZE the slowest statements of every page, not only of missed ones",
    )
    parser.add_argument("--no-sweep", action="store_true", help="skip the reminder sweep")
    parser.add_argument(
        "--profile",
        action="store_true",
        help="cProfile one more steady-state sweep even when the target is met",
    )
    parser.add_argument(
        "--statement-timeout",
        type=int,
        default=60,
        help="seconds any one benchmark SQL statement may run (60)",
    )
    parser.add_argument(
        "--allow-default-ports",
        action="store_true",
        help="allow PostgreSQL on 5432 and Redis on 6379 (refused by default)",
    )
    args = parser.parse_args(argv)
    if args.repeat < 1 or args.items < 1 or args.statement_timeout < 1:
        parser.error("--repeat, --items and --statement-timeout must be at least 1")
    return args


# --- configuration checks, before Django is set up ------------------------------------------


def check_environment(args: argparse.Namespace) -> None:
    """Refuse anything that would write to a database or broker the user did not point us at."""
    check_database(
        args.allow_default_ports,
        "the settings would use the project's SQLite file (var/db.sqlite3)",
    )
    broker = os.environ.get("CELERY_BROKER_URL", "")
    if broker:
        check_broker(broker, args.allow_default_ports)


def setup_django(media_root: Path, args: argparse.Namespace) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
    os.environ["DJANGO_MEDIA_ROOT"] = str(media_root)
    # without a broker, jobs run in process: keep the sweep's e-mails and SMS log lines quiet
    os.environ.setdefault("DJANGO_EMAIL_BACKEND", "django.core.mail.backends.locmem.EmailBackend")
    os.environ.setdefault("DJANGO_LOG_LEVEL", "WARNING")
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    os.chdir(ROOT)
    import django

    django.setup()
    from django.conf import settings

    from config.celery import app

    if not app.conf.task_always_eager:  # the sweep's e-mail and SMS jobs are queued there
        check_broker(str(app.conf.broker_url), args.allow_default_ports)
    check_django_settings(media_root)
    # the test Client asks for host "testserver"
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    limit_statements(args.statement_timeout)


def prepare_database(args: argparse.Namespace) -> None:
    """Migrate, seed up to --items items (skipped when they are there), VACUUM (ANALYZE), and
    print what the database holds."""
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from accounts.models import Unit, User
    from proposals.models import Assignment, Proposal
    from replies.models import Reply

    call_command("migrate", interactive=False, verbosity=0)
    existing = Proposal.objects.count()
    seeded = "skipped, already seeded"
    if existing < args.items or not User.objects.filter(username=SUPERVISOR).exists():
        missing = max(args.items - existing, 0)
        print(f"seeding: seed_demo --items {missing} ({existing} items in the database) ...")
        sys.stdout.flush()
        start = time.perf_counter()
        with connection.cursor() as cursor:  # bulk inserts may take long
            cursor.execute("SET statement_timeout = 0")
        try:
            call_command("seed_demo", items=missing, stdout=io.StringIO())
        finally:
            connection.close()  # the next connection gets the benchmark's timeout again
        seeded = f"{time.perf_counter() - start:.1f} s"
    start = time.perf_counter()
    with connection.cursor() as cursor:  # statistics and visibility maps, as after autovacuum
        cursor.execute("SET statement_timeout = 0")
        cursor.execute("VACUUM (ANALYZE)")
    connection.close()
    analyze = time.perf_counter() - start
    items = Proposal.objects.count()
    assignments = Assignment.objects.count()
    today = timezone.localdate()
    running = Assignment.objects.open()
    print(
        f"items {items}, assignments {assignments} (open {running.count()}: overdue "
        f"{running.filter(due_on__lt=today).count()}, due within 15 days "
        f"{running.filter(due_on__gte=today, due_on__lte=today + timedelta(days=15)).count()}), "
        f"sent replies {Reply.objects.filter(status='sent').count()}, units "
        f"{Unit.objects.count()}; seeding {seeded}; VACUUM (ANALYZE) {analyze:.1f} s; peak RSS "
        f"of this process {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024} MB"
    )
    if items < args.items:
        raise BenchError(f"only {items} items after seeding, wanted {args.items}")
    if assignments < args.min_assignments:
        raise BenchError(
            f"only {assignments} assignments, wanted at least {args.min_assignments}: raise the "
            "share of assigned items or the units per item in proposals/demo/generate.py"
        )


# --- the pages --------------------------------------------------------------------------------


@dataclass
class Page:
    name: str
    url: str
    user: Any
    target_ms: float | None
    workbench: bool = False  # `/`: its queues are listed and, when it misses, explained
    without_nav: bool = False  # the navigation's count switched off (to compare)
    ms: list[float] = field(default_factory=list)
    sql_ms: list[float] = field(default_factory=list)
    count_ms: list[float] = field(default_factory=list)  # the count_many statement(s)
    # CPU time of this process and of its PostgreSQL backend: less bent by a busy machine
    cpu_ms: list[float] = field(default_factory=list)
    db_cpu_ms: list[float] = field(default_factory=list)
    queries: list[int] = field(default_factory=list)
    statements: list[tuple[float, str]] = field(default_factory=list)  # of the last request

    @property
    def p50(self) -> float:
        return statistics.median(self.ms)

    @property
    def p95(self) -> float:
        return percentile(self.ms, 0.95)

    @property
    def met(self) -> bool:
        return self.target_ms is None or self.p95 <= self.target_ms


def busiest_member() -> Any:
    """The member with the most work on their workbench (what its navigation counts:
    invitations, replies to rate, contacts to confirm), among the ten who sign the most replies
    still open for rating."""
    from collections import Counter

    from django.db.models import Count
    from django.utils import timezone

    from accounts.models import Role, User
    from proposals.models import CoSigner, CoSignerStatus
    from replies.models import Reply, ReplyStatus
    from workbench import queues

    in_window = Reply.objects.filter(
        status=ReplyStatus.SENT,
        evaluation_until__gte=timezone.localdate(),
        proposal__status__in=queues.EVALUABLE,
    )
    score: Counter[int] = Counter()
    for member_id, n in in_window.values_list("proposal__lead").annotate(n=Count("pk")).order_by():
        score[member_id] += n
    for member_id, n in (
        CoSigner.objects.filter(
            status=CoSignerStatus.CONFIRMED, proposal__replies__in=in_window.values("pk")
        )
        .values_list("member")
        .annotate(n=Count("pk"))
        .order_by()
    ):
        score[member_id] += n
    candidates = list(
        User.objects.filter(pk__in=[pk for pk, _n in score.most_common(10)], role=Role.MEMBER)
    )
    if not candidates:
        raise BenchError("no member has a reply to rate: the generator made no evaluations")

    def work(member: Any) -> int:
        counted = queues.count_many(
            {q.key: q.queryset for q in queues.queues_for(member, navigation=True)}
        )
        return sum(counted.values())

    return max(candidates, key=lambda member: (work(member), -member.pk))


def pages() -> list[Page]:
    """The requests, with the meeting, the unit and the member that make them representative:
    the meeting with the most items in handling, the unit with the most assignments, the member
    with the most work waiting."""
    from django.db.models import Count

    from accounts.models import Role, User
    from proposals.models import Assignment, Proposal, ProposalStatus

    supervisor = User.objects.get(username=SUPERVISOR)
    if set(supervisor.supervised_bodies()) != {"npc", "cppcc"}:
        raise BenchError(f"{SUPERVISOR} does not supervise both bodies")
    one_body = User.objects.get(username=ONE_BODY_SUPERVISOR)
    if len(one_body.supervised_bodies()) != 1:
        raise BenchError(f"{ONE_BODY_SUPERVISOR} does not supervise exactly one body")
    meeting_id = (
        Proposal.objects.filter(status=ProposalStatus.ASSIGNED)
        .values_list("meeting")
        .annotate(n=Count("pk"))
        .order_by("-n")
        .values_list("meeting", flat=True)
        .first()
    )
    if meeting_id is None:
        raise BenchError("no item is in handling (status assigned): the generator made none")
    busiest = (
        Assignment.objects.active()
        .filter(unit__staff__role=Role.UNIT_STAFF)
        .values("unit")
        .annotate(n=Count("pk", distinct=True))
        .order_by("-n")
        .first()
    )
    if busiest is None:
        raise BenchError("no unit with a 承办员 has assignments")
    staff = User.objects.filter(unit_id=busiest["unit"], role=Role.UNIT_STAFF).order_by("pk")[0]
    leader = (
        User.objects.filter(unit_id=busiest["unit"], role=Role.UNIT_LEADER).order_by("pk").first()
    )
    if leader is None:
        raise BenchError(f"the busiest unit ({staff.unit}) has no 负责人")
    member = busiest_member()
    filtered = urlencode({"status": "assigned", "meeting": meeting_id, "q": SEARCH_TERM})
    return [
        Page("item list (supervisor, all)", "/items/", supervisor, LIST_TARGET_MS),
        Page(
            "  the same, no navigation count",
            "/items/",
            supervisor,
            None,
            without_nav=True,
        ),
        Page("item list (filtered)", f"/items/?{filtered}", supervisor, LIST_TARGET_MS),
        Page("dashboard", "/items/dashboard/", supervisor, DASHBOARD_TARGET_MS),
        Page(
            "scorecards (one meeting)", f"/items/scorecards/?meeting={meeting_id}", supervisor, None
        ),
        Page(f"unit workspace ({staff.username})", "/items/work/", staff, None),
        Page(
            f"workbench: member ({member.username})",
            "/",
            member,
            WORKBENCH_TARGET_MS,
            workbench=True,
        ),
        Page(
            f"workbench: 承办员 ({staff.username})", "/", staff, WORKBENCH_TARGET_MS, workbench=True
        ),
        Page(
            f"workbench: 负责人 ({leader.username})",
            "/",
            leader,
            WORKBENCH_TARGET_MS,
            workbench=True,
        ),
        Page(
            f"workbench: supervisor ({one_body.username})",
            "/",
            one_body,
            WORKBENCH_TARGET_MS,
            workbench=True,
        ),
        Page(
            f"workbench: supervisor ({supervisor.username})",
            "/",
            supervisor,
            WORKBENCH_TARGET_MS,
            workbench=True,
        ),
    ]


def groups(rows: list[Page]) -> list[list[Page]]:
    """Each page alone, except that a page timed without the navigation's count goes with the
    page before it (the same page with the count)."""
    found: list[list[Page]] = []
    for row in rows:
        if row.without_nav and found:
            found[-1].append(row)
        else:
            found.append([row])
    return found


def no_nav_counts(user: Any, queues: Any = None) -> dict[str, int]:
    """Stands in for workbench.queues.nav_counts: no query, no badge."""
    return {"total": 0}


def measure(group: list[Page], repeat: int) -> None:
    """Time `repeat` requests of each page of the group after WARM_UP, taking turns (so that
    the pages of a group, compared with each other, see the same moments of a noisy machine)."""
    from django.test import Client

    clients = []
    for page in group:
        client = Client()
        client.force_login(page.user)
        clients.append(client)
    for run in range(WARM_UP + repeat):
        for page, client in zip(group, clients, strict=True):
            request_once(page, client, timed=run >= WARM_UP)


def backend_cpu_ns() -> int | None:
    """CPU time the database backend of this process's connection has used so far, from
    /proc/<pid>/schedstat (nanoseconds); None when PostgreSQL runs elsewhere or /proc does not
    tell."""
    from django.db import connection

    global BACKEND_PID
    if BACKEND_PID is None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            BACKEND_PID = int(cursor.fetchone()[0])
    try:
        return int(Path(f"/proc/{BACKEND_PID}/schedstat").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


BACKEND_PID: int | None = None


def request_once(page: Page, client: Any, *, timed: bool) -> None:
    from unittest import mock

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    patch = (
        mock.patch("workbench.queues.nav_counts", no_nav_counts)
        if page.without_nav
        else contextlib.nullcontext()
    )
    db_before = backend_cpu_ns()
    with patch, CaptureQueriesContext(connection) as captured:
        cpu_start = time.process_time()
        start = time.perf_counter()
        response = client.get(page.url)
        _ = response.content
        elapsed = (time.perf_counter() - start) * 1000
        cpu = (time.process_time() - cpu_start) * 1000
    db_after = backend_cpu_ns()
    if response.status_code != 200:
        raise BenchError(f"{page.url} as {page.user.username}: HTTP {response.status_code}")
    if not timed:
        return
    page.ms.append(elapsed)
    page.cpu_ms.append(cpu)
    if db_before is not None and db_after is not None:
        page.db_cpu_ms.append((db_after - db_before) / 1e6)
    times = [(float(query["time"]) * 1000, str(query["sql"])) for query in captured]
    page.sql_ms.append(sum(ms for ms, _sql in times))
    page.count_ms.append(sum(ms for ms, sql in times if sql.startswith(COUNT_PREFIX)))
    page.queries.append(len(times))
    page.statements = times


def report_pages(rows: list[Page], repeat: int) -> None:
    print(
        f"\n1. Server time per request (Django test Client in process, force_login; SQL = time in "
        f"cursor.execute; counts = the statement that counts the workbench's queues, or on "
        f"other pages the navigation's; CPU = this process's and its PostgreSQL backend's CPU "
        f"time, p50); {repeat} timed requests after {WARM_UP} warm-up requests"
    )
    print(
        f"   {'page':42} {'p50':>8} {'p95':>8} {'max':>8} {'SQL p50':>8} {'counts':>7} "
        f"{'CPU':>5} {'db CPU':>6} {'queries':>8}  target"
    )
    for row in rows:
        counts = "/".join(str(n) for n in sorted(set(row.queries)))
        db_cpu = f"{statistics.median(row.db_cpu_ms):.0f}" if row.db_cpu_ms else "-"
        target = (
            f"p95 <= {row.target_ms:.0f} ms {'MET' if row.met else 'MISSED'}"
            if row.target_ms is not None
            else "(none)"
        )
        print(
            f"   {row.name:42} {row.p50:8.1f} {row.p95:8.1f} {max(row.ms):8.1f} "
            f"{statistics.median(row.sql_ms):8.1f} {statistics.median(row.count_ms):7.1f} "
            f"{statistics.median(row.cpu_ms):5.0f} {db_cpu:>6} {counts:>8}  {target}"
        )
    with_nav = next((row for row in rows if row.url == "/items/" and not row.without_nav), None)
    without = next((row for row in rows if row.without_nav), None)
    if with_nav and without:
        print(
            f"   the navigation's count on the item list: p50 {with_nav.p50 - without.p50:+.1f} "
            f"ms, p95 {with_nav.p95 - without.p95:+.1f} ms, its statement "
            f"{statistics.median(with_nav.count_ms):.1f} ms (p50), "
            f"{statistics.median(with_nav.queries) - statistics.median(without.queries):+.0f} "
            "query"
        )
    for row in rows:
        if not row.without_nav:
            print(f"   {row.name}: {row.url} as {row.user.username}")
    print(f"\n2. The {SLOWEST} slowest statements of each page (last timed request), ms")
    for row in rows:
        print(f"   {row.name}:")
        for ms, sql in sorted(row.statements, reverse=True)[:SLOWEST]:
            print(f"   {ms:8.1f}  {shorten(sql, 300)}")


@dataclass
class QueueTiming:
    key: str
    count: int
    count_ms: float
    rows_ms: float
    sql: str
    params: list[Any]


def queue_timings(page: Page, repeat: int = 5) -> list[QueueTiming]:
    """Each queue of the page's workbench counted and read on its own (median of `repeat`):
    which queue costs what."""
    from django.db import connection
    from django.db.models import Count
    from django.test.utils import CaptureQueriesContext

    from workbench import queues

    timings = []
    for queue in queues.queues_for(page.user):
        count_ms: list[float] = []
        rows_ms: list[float] = []
        for _run in range(repeat):
            queue.rows = []
            with CaptureQueriesContext(connection) as captured:
                queues.fill([queue])
            times = [float(query["time"]) * 1000 for query in captured]
            by_unit = queue.template == "overdue_units"  # counted from its rows, one query
            count_ms.append(0.0 if by_unit else times[0])
            rows_ms.append(sum(times if by_unit else times[1:]))
        if queue.template == "overdue_units":
            grouped = queue.queryset.values("unit_id").annotate(n=Count("pk")).order_by("-n")
            sql, params = grouped.query.sql_with_params()
        else:
            sql, params = queue.queryset.order_by().values("pk").query.sql_with_params()
            sql = f"SELECT COUNT(*) FROM ({sql}) AS counted"
        timings.append(
            QueueTiming(
                queue.key,
                queue.count,
                statistics.median(count_ms),
                statistics.median(rows_ms),
                sql,
                list(params),
            )
        )
    return timings


def report_queues(rows: list[Page]) -> dict[str, list[QueueTiming]]:
    print(
        "\n3. Each workbench's queues, counted and read alone: rows waiting (ms to count + ms to "
        "read the first rows, median of 5; a queue by unit is counted from its rows)"
    )
    found = {}
    for row in rows:
        if not row.workbench:
            continue
        timings = queue_timings(row)
        found[row.name] = timings
        print(f"   {row.name}:")
        print(
            "   "
            + "; ".join(f"{t.key} {t.count} ({t.count_ms:.1f} + {t.rows_ms:.1f})" for t in timings)
        )
    return found


def explain_sql(label: str, sql: str, params: list[Any] | None = None) -> None:
    from django.db import OperationalError, connection

    print(f"\n   -- {label}")
    print("   SQL: " + shorten(sql, 1200))
    # a queryset iterated with .iterator() runs through a server-side cursor
    sql = re.sub(r'^DECLARE "[^"]+" NO SCROLL CURSOR WITH(OUT)? HOLD FOR ', "", sql)
    with connection.cursor() as cursor:
        try:
            if params is None:
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql.replace("%", "%%"))
            else:
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
        except OperationalError as error:
            print(f"   (EXPLAIN failed: {error})")
            return
        for (line,) in cursor.fetchall():
            print("   | " + str(line))


def explain(rows: list[Page], every: bool, queue_times: dict[str, list[QueueTiming]]) -> None:
    chosen = [row for row in rows if every or not row.met]
    if not chosen:
        return
    print(
        "\n4. EXPLAIN (ANALYZE, BUFFERS) of the slowest statements of "
        + ", ".join(row.name for row in chosen)
        + " (of a workbench: its slowest queues' counts)"
    )
    for row in chosen:
        if row.workbench:
            slowest = sorted(
                queue_times.get(row.name, []), key=lambda t: t.count_ms + t.rows_ms, reverse=True
            )
            for timing in slowest[:SLOWEST_QUEUES]:
                explain_sql(
                    f"{row.name}, queue {timing.key}: {timing.count_ms:.1f} ms to count, "
                    f"{timing.rows_ms:.1f} ms to read",
                    timing.sql,
                    timing.params,
                )
            continue
        for ms, sql in sorted(row.statements, reverse=True)[:SLOWEST]:
            explain_sql(f"{row.name}: {ms:.1f} ms in the request", sql)


# --- the reminder sweep -----------------------------------------------------------------------


@dataclass
class Sweep:
    label: str
    day: date
    seconds: float
    collect_seconds: float
    due: int
    recorded: int
    delivered: int
    queries: int
    reminders: int
    steady: bool


def sweep_once(label: str, day: date, steady: bool) -> Sweep:
    from django.db import connection

    from proposals import reminders
    from proposals.models import Reminder

    # collect() only reads: timed apart, it splits the run into finding and recording/sending
    start = time.perf_counter()
    due = sum(len(d.recipients) for d in reminders.collect(day))
    collect_seconds = time.perf_counter() - start
    queries = 0

    def count(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        nonlocal queries
        queries += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):  # a counter: the sweep may send very many
        start = time.perf_counter()
        result = reminders.send_reminders(today=day)
        seconds = time.perf_counter() - start
    return Sweep(
        label,
        day,
        seconds,
        collect_seconds,
        due,
        result["recorded"],
        result["delivered"],
        queries,
        Reminder.objects.count(),
        steady,
    )


def sweeps(profile: bool) -> bool:
    """The first run of today, today again, the next day and the next Monday (the weekly
    escalation to the supervisors). Returns whether the steady-state runs met the target."""
    from django.db.models import Count
    from django.utils import timezone

    from proposals import reminders
    from proposals.models import Assignment, Reminder

    today = timezone.localdate()
    monday = today + timedelta(days=7 - today.weekday())
    plan = [
        ("first run today (all due reminders new)", today, False),
        ("today again (nothing new)", today, False),
        ("next day (that day's reminders new)", today + timedelta(days=1), True),
    ]
    if monday != today + timedelta(days=1):
        plan.append(("next Monday (+ weekly escalation)", monday, True))
    before = Reminder.objects.count()
    print(
        f"\n5. Reminder sweep: proposals.reminders.send_reminders(today=...) over "
        f"{Assignment.objects.count()} assignments ({before} reminders in the database before)"
    )
    print(
        f"   {'run':42} {'day':>10} {'seconds':>8} {'collect':>8} {'due':>7} {'recorded':>8} "
        f"{'sent':>7} {'queries':>8} {'reminders':>9}"
    )
    runs = []
    for label, day, is_steady in plan:
        run = sweep_once(label, day, is_steady)
        runs.append(run)
        print(
            f"   {run.label:42} {run.day.isoformat():>10} {run.seconds:8.2f} "
            f"{run.collect_seconds:8.2f} {run.due:7d} {run.recorded:8d} {run.delivered:7d} "
            f"{run.queries:8d} {run.reminders:9d}"
        )
    by_kind = dict(Reminder.objects.values_list("kind").annotate(n=Count("pk")).order_by())
    print(f"   reminders by kind: {by_kind}")
    print(
        "   seconds = the whole send_reminders call; collect = collect(day) alone (a read, timed "
        "just before); due = reminders × recipients found; sent = delivered by this run"
    )
    steady = [run for run in runs if run.steady]
    met = all(run.seconds <= SWEEP_TARGET_S for run in steady)
    print(
        f"\n   target <= {SWEEP_TARGET_S:.0f} s for the steady-state daily runs (the day's "
        f"reminders new): {'MET' if met else 'MISSED'} (worst "
        f"{max(run.seconds for run in steady):.2f} s); the first run, which also catches up with "
        f"every reminder already due, took {runs[0].seconds:.2f} s "
        f"({'within' if runs[0].seconds <= SWEEP_TARGET_S else 'over'} the same figure)"
    )
    per = [run for run in runs if run.delivered]
    if per:
        print(
            "   record + deliver (seconds - collect) per new reminder: "
            + ", ".join(
                f"{run.label.split(' (')[0]} {1000 * (run.seconds - run.collect_seconds) / run.delivered:.2f} ms"
                for run in per
            )
        )
    if profile or not met:
        day = max(run.day for run in runs) + timedelta(days=1)  # a day not swept yet
        print(
            f"\n6. cProfile of one more steady-state sweep ({day.isoformat()}), top 25 cumulative"
        )
        profiler = cProfile.Profile()
        start = time.perf_counter()
        profiler.runcall(reminders.send_reminders, today=day)
        print(f"   ({time.perf_counter() - start:.2f} s under the profiler)")
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(25)
        for line in out.getvalue().splitlines():
            if line.strip():
                print("   " + line.rstrip())
    return met


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        check_environment(args)
    except Refused as error:
        print(f"pages.py: refused: {error}", file=sys.stderr)
        return 2
    scratch = Path(tempfile.mkdtemp(prefix="bench-pages-"))
    media = Path(os.environ["DJANGO_MEDIA_ROOT"]) if os.environ.get("DJANGO_MEDIA_ROOT") else None
    started = time.perf_counter()
    try:
        setup_django(media or scratch / "media", args)
        print(
            f"Page benchmark on {socket.gethostname()} ({os.cpu_count()} CPUs), "
            f"settings {os.environ['DJANGO_SETTINGS_MODULE']}, "
            f"PostgreSQL port {os.environ.get('POSTGRES_PORT')}, "
            f"load average {os.getloadavg()[0]:.2f}"
        )
        prepare_database(args)
        rows = pages()
        # the item list with and without the navigation's count take turns
        for group in groups(rows):
            measure(group, args.repeat)
        report_pages(rows, args.repeat)
        queue_times = report_queues(rows)
        explain(rows, args.explain, queue_times)
        met = all(row.met for row in rows)
        if not args.no_sweep:
            met = sweeps(args.profile) and met
        print(
            f"\nload average at the end {os.getloadavg()[0]:.2f}; "
            f"total {time.perf_counter() - started:.0f} s"
        )
    except Refused as error:
        print(f"pages.py: refused: {error}", file=sys.stderr)
        return 2
    except BenchError as error:
        print(f"pages.py: FAILED: {error}", file=sys.stderr)
        return 1
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return 0 if met else 3


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""Page benchmark: item lists, the dashboard, a scorecard, the unit workspace and the reminder
sweep over 100 000 items (at least 300 000 assignments).

Not a test: it prints figures. Run it against throw-away services (see bench/README.md):

    bash tests/services.sh .venv/bin/python bench/pages.py [--repeat 30] [--items 100000]

It migrates the database it is given, runs `seed_demo --items N` unless the database already holds
N items, checks that there are at least --min-assignments assignments, runs VACUUM (ANALYZE), and
then, with Django's test Client (force_login, in process), times --repeat requests of each page
after two warm-up requests: the item list as the supervisor of both bodies, unfiltered and
filtered (status, meeting and a search term), the supervisor's dashboard, the unit scorecards of a
meeting, and the unit workspace as a 承办员 of the busiest unit. It prints p50/p95 server time,
SQL time and queries per request, the slowest statements of each page, and EXPLAIN ANALYZE of
those of a page that misses its target. Then it times proposals.reminders.send_reminders over
all assignments: the first run of the day (everything due is new), the same day again (nothing
new), the next day and the next Monday (steady state: that day's reminders are new).

Targets (2 cores): item list p95 <= 150 ms (both), dashboard p95 <= 300 ms, the sweep <= 2 s in
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
SEARCH_TERM = "养老"
LIST_TARGET_MS = 150.0
DASHBOARD_TARGET_MS = 300.0
SWEEP_TARGET_S = 2.0
WARM_UP = 2
SLOWEST = 3  # statements per page shown (and explained when the page misses its target)


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
    ms: list[float] = field(default_factory=list)
    sql_ms: list[float] = field(default_factory=list)
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


def pages() -> list[Page]:
    """The five requests, with the meeting and the unit that make them representative: the
    meeting with the most items in handling, the unit with the most assignments."""
    from django.db.models import Count

    from accounts.models import Role, User
    from proposals.models import Assignment, Proposal, ProposalStatus

    supervisor = User.objects.get(username=SUPERVISOR)
    if set(supervisor.supervised_bodies()) != {"npc", "cppcc"}:
        raise BenchError(f"{SUPERVISOR} does not supervise both bodies")
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
    filtered = urlencode({"status": "assigned", "meeting": meeting_id, "q": SEARCH_TERM})
    return [
        Page("item list (supervisor, all)", "/items/", supervisor, LIST_TARGET_MS),
        Page("item list (filtered)", f"/items/?{filtered}", supervisor, LIST_TARGET_MS),
        Page("dashboard", "/items/dashboard/", supervisor, DASHBOARD_TARGET_MS),
        Page(
            "scorecards (one meeting)", f"/items/scorecards/?meeting={meeting_id}", supervisor, None
        ),
        Page(f"unit workspace ({staff.username})", "/items/work/", staff, None),
    ]


def measure(page: Page, repeat: int) -> None:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    client.force_login(page.user)
    for run in range(WARM_UP + repeat):
        with CaptureQueriesContext(connection) as captured:
            start = time.perf_counter()
            response = client.get(page.url)
            _ = response.content
            elapsed = (time.perf_counter() - start) * 1000
        if response.status_code != 200:
            raise BenchError(f"{page.url} as {page.user.username}: HTTP {response.status_code}")
        if run < WARM_UP:
            continue
        page.ms.append(elapsed)
        times = [(float(query["time"]) * 1000, str(query["sql"])) for query in captured]
        page.sql_ms.append(sum(ms for ms, _sql in times))
        page.queries.append(len(times))
        page.statements = times


def report_pages(rows: list[Page], repeat: int) -> None:
    print(
        f"\n1. Server time per request (Django test Client in process, force_login; SQL = time in "
        f"cursor.execute); {repeat} timed requests after {WARM_UP} warm-up requests"
    )
    print(f"   {'page':34} {'p50':>8} {'p95':>8} {'max':>8} {'SQL p50':>8} {'queries':>8}  target")
    for row in rows:
        counts = "/".join(str(n) for n in sorted(set(row.queries)))
        target = (
            f"p95 <= {row.target_ms:.0f} ms {'MET' if row.met else 'MISSED'}"
            if row.target_ms is not None
            else "(none)"
        )
        print(
            f"   {row.name:34} {row.p50:8.1f} {row.p95:8.1f} {max(row.ms):8.1f} "
            f"{statistics.median(row.sql_ms):8.1f} {counts:>8}  {target}"
        )
    for row in rows:
        print(f"   {row.name}: {row.url}")
    print(f"\n2. The {SLOWEST} slowest statements of each page (last timed request), ms")
    for row in rows:
        print(f"   {row.name}:")
        for ms, sql in sorted(row.statements, reverse=True)[:SLOWEST]:
            print(f"   {ms:8.1f}  {shorten(sql, 300)}")


def explain(rows: list[Page], every: bool) -> None:
    from django.db import OperationalError, connection

    chosen = [row for row in rows if every or not row.met]
    if not chosen:
        return
    print(
        "\n3. EXPLAIN (ANALYZE, BUFFERS) of the slowest statements of "
        + ", ".join(row.name for row in chosen)
    )
    for row in chosen:
        for ms, sql in sorted(row.statements, reverse=True)[:SLOWEST]:
            print(f"\n   -- {row.name}: {ms:.1f} ms in the request")
            print("   SQL: " + shorten(sql, 1200))
            # a queryset iterated with .iterator() runs through a server-side cursor
            sql = re.sub(r'^DECLARE "[^"]+" NO SCROLL CURSOR WITH(OUT)? HOLD FOR ', "", sql)
            with connection.cursor() as cursor:
                try:
                    cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql.replace("%", "%%"))
                except OperationalError as error:
                    print(f"   (EXPLAIN failed: {error})")
                    continue
                for (line,) in cursor.fetchall():
                    print("   | " + str(line))


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
        f"\n4. Reminder sweep: proposals.reminders.send_reminders(today=...) over "
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
            f"\n5. cProfile of one more steady-state sweep ({day.isoformat()}), top 25 cumulative"
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
        for row in rows:
            measure(row, args.repeat)
        report_pages(rows, args.repeat)
        explain(rows, args.explain)
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

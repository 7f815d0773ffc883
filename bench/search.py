"""Search benchmark: the logged-in item list search and search.search() over 100 000 items.

Not a test: it prints figures. Run it against throw-away services (see bench/README.md):

    bash tests/services.sh .venv/bin/python bench/search.py [--repeat 20] [--items 100000]

It migrates the database it is given, runs `seed_demo --items N` unless the database already holds
N items, runs VACUUM (ANALYZE), and times searches through the app's code:

(a) the item list as a supervisor who sees every item: ProposalFilter({"q": ...}) over
    Proposal.objects.for_user(user), first page of 20 through the list view's paginator (the
    page's rows and the count), with the view's highlighted snippets;
(b) search.search(Proposal.objects.all(), q, ("title", "body"))[:20].

One-character queries, two-character words and longer phrases are reported apart (p50/p95 ms,
SQL ms, queries per search), followed by EXPLAIN ANALYZE of the slowest query of each kind and,
when the target is missed or --profile is given, a breakdown of where the time goes (variants of
the app's statements).

It refuses the machine's default PostgreSQL (5432) and Redis (6379) unless given
--allow-default-ports. Files written by seed_demo (sample letters) go to a temporary media folder
unless DJANGO_MEDIA_ROOT is set.

Exit status: 0 ran and met the target, 1 failed, 2 refused (usage or configuration), 3 ran but
missed the target.
"""

from __future__ import annotations

import argparse
import io
import os
import re
import shutil
import signal
import socket
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

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
TARGET_MS = 100.0
SUPERVISOR = "gov_office"  # seed_demo's supervisor of both bodies (scope "all")
ONE_CHAR = ("养", "托", "管")
TWO_CHAR = ("养老", "托育", "未保", "社区", "教育", "医疗")
PHRASES = ("普惠托育服务", "未成年人关爱保护", "社区嵌入式养老服务", "垃圾分类长效机制")
GIN_INDEX = "proposal_search_vector_gin"
SLOW_MS = 2000.0  # a query whose first run takes longer is timed only SLOW_RUNS times
SLOW_RUNS = 3


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Search benchmark (item list search and search.search over many items)."
    )
    parser.add_argument(
        "--repeat", type=int, default=20, help="timed runs of each query and path (20)"
    )
    parser.add_argument(
        "--items",
        type=int,
        default=100_000,
        help="items the database should hold; seed_demo --items makes up the difference (100000)",
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="print the breakdown of where the time goes even when the target is met",
    )
    parser.add_argument("--no-explain", action="store_true", help="skip the EXPLAIN ANALYZE plans")
    parser.add_argument(
        "--statement-timeout",
        type=int,
        default=60,
        help="seconds any one benchmark SQL statement may run (60)",
    )
    parser.add_argument(
        "--budget",
        type=float,
        default=600.0,
        help="seconds for the timed rounds; later rounds are dropped once it is spent (600)",
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
        "the settings would use the project's SQLite file (var/db.sqlite3), where search falls back to substring matching",
    )
    broker = os.environ.get("CELERY_BROKER_URL", "")
    if broker:
        check_broker(broker, args.allow_default_ports)


def setup_django(media_root: Path, args: argparse.Namespace) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
    os.environ["DJANGO_MEDIA_ROOT"] = str(media_root)
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    os.chdir(ROOT)
    import django

    django.setup()

    from config.celery import app

    if not app.conf.task_always_eager:  # seed_demo's letters and e-mails are queued there
        check_broker(str(app.conf.broker_url), args.allow_default_ports)
    check_django_settings(media_root)
    limit_statements(args.statement_timeout)


def prepare_database(wanted: int) -> tuple[int, float | None]:
    """Migrate, seed up to `wanted` items (skipped when they are there), VACUUM (ANALYZE).
    Returns the item count and the seconds seeding took (None when skipped)."""
    from django.core.management import call_command
    from django.db import connection

    from accounts.models import User
    from proposals.models import Proposal

    call_command("migrate", interactive=False, verbosity=0)
    existing = Proposal.objects.count()
    seeded: float | None = None
    if existing < wanted or not User.objects.filter(username=SUPERVISOR).exists():
        missing = max(wanted - existing, 0)
        print(f"seeding: seed_demo --items {missing} ({existing} items in the database) ...")
        sys.stdout.flush()
        start = time.perf_counter()
        with connection.cursor() as cursor:  # bulk inserts and vector updates may take long
            cursor.execute("SET statement_timeout = 0")
        try:
            call_command("seed_demo", items=missing, stdout=io.StringIO())
        finally:
            connection.close()  # the next connection gets the benchmark's timeout again
        seeded = time.perf_counter() - start
    start = time.perf_counter()
    with connection.cursor() as cursor:  # statistics, and a settled table (see the README)
        cursor.execute("SET statement_timeout = 0")
        cursor.execute("VACUUM (ANALYZE)")
    connection.close()
    analyze = time.perf_counter() - start
    count = Proposal.objects.count()
    if count < wanted:
        raise BenchError(f"only {count} items after seeding, wanted {wanted}")
    with_vector = Proposal.objects.filter(search_vector__isnull=False).count()
    if with_vector < wanted:
        raise BenchError(f"only {with_vector} of {count} items have a search vector")
    took = f"{seeded:.1f} s" if seeded is not None else "skipped, already seeded"
    print(
        f"items {count}, with search vector {with_vector}; seeding {took}; VACUUM (ANALYZE) {analyze:.1f} s"
    )
    return count, seeded


# --- the two code paths ---------------------------------------------------------------------


def supervisor() -> Any:
    from accounts.models import User

    user = User.objects.get(username=SUPERVISOR)
    if set(user.supervised_bodies()) != {"npc", "cppcc"}:
        raise BenchError(f"{SUPERVISOR} does not supervise both bodies")
    return user


def list_search(user: Any, query: str) -> int:
    """The item list view's work for ?q=query: the filter, the first page of 20 (its rows and
    the count), the highlighted snippets. Returns the match count."""
    from django.test import RequestFactory

    from proposals import search
    from proposals.filters import ProposalFilter
    from proposals.views.common import paginate
    from proposals.views.items import _list_queryset

    request = RequestFactory().get("/proposals/", {"q": query})
    request.user = user
    item_filter = ProposalFilter(request.GET, queryset=_list_queryset(user))
    page = paginate(request, item_filter.qs)
    rows = list(page.object_list)
    for item in rows:  # as the view does for a query
        search.highlight(item.body, query)
    return int(page.paginator.count)


def true_matches(user: Any, query: str) -> int:
    """Every item the user may see that contains the text (the index match, checked with LIKE
    for a phrase): what the list's count would be without any cap."""
    from django.db.models import Q

    from proposals import search
    from proposals.models import Proposal

    table = Proposal._meta.db_table
    found = Proposal.objects.for_user(user).extra(
        where=[f"{table}.search_vector @@ %s::tsquery"], params=[search.tsquery(query)]
    )
    if len(search.terms(query)) > 1:
        found = found.filter(Q(title__icontains=query) | Q(body__icontains=query))
    return int(found.count())


def direct_search(query: str) -> int:
    """search.search over every item, first 20. Returns the rows fetched."""
    from proposals import search
    from proposals.models import Proposal

    return len(list(search.search(Proposal.objects.all(), query, ("title", "body"))[:20]))


@dataclass
class Run:
    ms: float
    sql_ms: float
    queries: int
    timed_out: bool = False


@dataclass
class Series:
    """Timed runs of one path for one query."""

    path: str
    query: str
    result: int = 0
    matches: int = 0  # true_matches: what the result would be without a cap
    first: Run | None = None
    runs: list[Run] = field(default_factory=list)
    wanted: int = 0  # runs to take (fewer for a very slow query)

    @property
    def timed_out(self) -> bool:
        return any(run.timed_out for run in [*self.runs, *([self.first] if self.first else [])])


def timed(call: Callable[[], int]) -> tuple[Run, int, list[str]]:
    """Run the call capturing its queries; a statement timeout gives a run marked timed_out
    (result -1) instead of an error."""
    from django.db import OperationalError, connection
    from django.test.utils import CaptureQueriesContext

    timed_out = False
    result = -1
    with CaptureQueriesContext(connection) as captured:
        start = time.perf_counter()
        try:
            result = call()
        except OperationalError as error:
            if "statement timeout" not in str(error):
                raise
            timed_out = True
        elapsed = time.perf_counter() - start
    sql_ms = sum(float(q["time"]) for q in captured.captured_queries) * 1000
    run = Run(elapsed * 1000, sql_ms, len(captured.captured_queries), timed_out)
    return run, result, [q["sql"] for q in captured.captured_queries]


def measure(user: Any, repeat: int, budget: float) -> list[Series]:
    paths: dict[str, Callable[[str], Callable[[], int]]] = {
        "a": lambda q: lambda: list_search(user, q),
        "b": lambda q: lambda: direct_search(q),
    }
    series = {
        (path, query): Series(path, query)
        for query in ONE_CHAR + TWO_CHAR + PHRASES
        for path in paths
    }
    for (path, query), row in series.items():  # first (colder) run, kept apart
        row.first, row.result, _ = timed(paths[path](query))
        if row.first.timed_out:
            row.wanted = 0
        elif row.first.ms > SLOW_MS:
            row.wanted = min(repeat, SLOW_RUNS)
        else:
            row.wanted = repeat
    for query in ONE_CHAR + TWO_CHAR + PHRASES:
        found = true_matches(user, query)
        for path in paths:
            series[(path, query)].matches = found
    deadline = time.monotonic() + budget
    for round_number in range(repeat):
        if time.monotonic() > deadline:
            print(f"   time budget ({budget:.0f} s) spent after {round_number} rounds")
            break
        order = list(series.items())
        if round_number % 2:  # alternate so that no query always follows the same one
            order.reverse()
        for (path, query), row in order:
            if len(row.runs) >= row.wanted:
                continue
            run, result, _ = timed(paths[path](query))
            if run.timed_out:
                row.wanted = 0
            elif result != row.result:
                raise BenchError(f"({path}) {query}: {result} results, first run gave {row.result}")
            row.runs.append(run)
    for row in series.values():
        if not row.runs and row.first is not None:  # timed out at once: report that run
            row.runs.append(row.first)
    return list(series.values())


PATH_NAMES = {
    "a": "(a) item list, supervisor, page 1 + count",
    "b": "(b) search.search(...)[:20]",
}


def report(rows: list[Series], repeat: int) -> float:
    """Print the tables; return the worst p95 over the four (path, class) cells."""
    print(
        f"\n1. Server-side ms per search (in-process wall time of the code path; SQL = time "
        f"in cursor.execute); up to {repeat} timed runs per query after one first run"
    )
    print(
        f"   {'':30} {'runs':>5} {'p50':>8} {'p95':>8} {'max':>8} {'SQL p50':>8} "
        f"{'1st max':>8} {'queries':>8}"
    )
    worst = 0.0
    for path in ("a", "b"):
        for label, queries in (("1-char", ONE_CHAR), ("2-char", TWO_CHAR), ("phrases", PHRASES)):
            cell = [row for row in rows if row.path == path and row.query in queries]
            runs = [run for row in cell for run in row.runs]
            ms = [run.ms for run in runs]
            p95 = percentile(ms, 0.95)
            worst = max(worst, p95)
            counts = sorted({run.queries for run in runs})
            first = max(row.first.ms for row in cell if row.first is not None)
            mark = " (timeouts)" if any(row.timed_out for row in cell) else ""
            name = f"{path_label(path)} {label} ({len(cell)} queries)"
            print(
                f"   {name:30} {len(runs):5d} {statistics.median(ms):8.1f} {p95:8.1f} "
                f"{max(ms):8.1f} {statistics.median([r.sql_ms for r in runs]):8.1f} "
                f"{first:8.1f} {'/'.join(map(str, counts)):>8}{mark}"
            )
    for path in ("a", "b"):
        print(f"   {PATH_NAMES[path]}")
    print(
        "\n   per query: items containing it, the list's count when that differs (a cap), runs, "
        "p50 / p95 ms of (a) and of (b)"
    )
    for query in ONE_CHAR + TWO_CHAR + PHRASES:
        a = next(row for row in rows if row.path == "a" and row.query == query)
        b = next(row for row in rows if row.path == "b" and row.query == query)
        listed = f"(list {a.result})" if a.result != a.matches else ""
        print(
            f"   {query}{' ' * (18 - 2 * len(query))} {a.matches:6d} {listed:12} "
            f"(a) {series_text(a)}   (b) {series_text(b)}"
        )
    return worst


def path_label(path: str) -> str:
    return PATH_NAMES[path].split(" ", 1)[0]


def series_text(row: Series) -> str:
    ms = [run.ms for run in row.runs]
    text = f"{len(ms):2d}x {statistics.median(ms):7.1f} / {percentile(ms, 0.95):7.1f}"
    return text + (" TIMEOUT" if row.timed_out else "")


# --- EXPLAIN ANALYZE ------------------------------------------------------------------------


def explain_sql(sql: str) -> list[str]:
    """EXPLAIN (ANALYZE, BUFFERS); the estimated plan alone when that hits the timeout."""
    from django.db import OperationalError, connection

    with connection.cursor() as cursor:
        try:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
        except OperationalError as error:
            if "statement timeout" not in str(error):
                raise
            cursor.execute("EXPLAIN " + sql)
            return [
                "(EXPLAIN ANALYZE hit the statement timeout: estimated plan only)",
                *(str(line[0]) for line in cursor.fetchall()),
            ]
        return [str(line[0]) for line in cursor.fetchall()]


def explain(user: Any, rows: list[Series]) -> None:
    """Plans of the slowest two-character query and the slowest phrase of the list search."""
    slowest = [
        max(
            (row for row in rows if row.path == "a" and row.query in queries),
            key=lambda row: statistics.median(run.ms for run in row.runs),
        ).query
        for queries in (TWO_CHAR, PHRASES)
    ]
    print(
        "\n2. EXPLAIN (ANALYZE, BUFFERS) of every statement of one search as the app sends it, "
        f"for the slowest 2-char query ({slowest[0]}) and phrase ({slowest[1]}) of (a)"
    )
    for query in slowest:
        for path, call in (
            ("a", lambda query=query: list_search(user, query)),
            ("b", lambda query=query: direct_search(query)),
        ):
            _, _, statements = timed(call)
            for number, sql in enumerate(statements, 1):
                plan = explain_sql(sql)
                text = "\n".join(plan)
                uses = GIN_INDEX in text
                what = statement_kind(sql)
                print(
                    f"\n   -- {query} ({path}) statement {number}/{len(statements)} [{what}]: "
                    f"GIN index {GIN_INDEX} {'USED' if uses else 'not used'}"
                )
                print("   SQL: " + shorten(sql, 600))
                for line in plan:
                    print("   | " + line)


def statement_kind(sql: str) -> str:
    head = sql.upper()[:200]
    if head.startswith("SELECT 1 AS"):
        return "exists"
    if head.startswith("SELECT COUNT("):
        return "count"
    if ' AS "PK" FROM ' in head:
        return "ids"
    return "rows"


# --- where the time goes --------------------------------------------------------------------


def sql_ms(sql: str, params: list[Any], repeat: int, setup: str = "") -> tuple[float, Any]:
    """p50 wall ms of a raw statement (after one unmeasured run) and its single value or row
    count. `setup` (e.g. a SET LOCAL) runs first in the same transaction."""
    from django.db import connection, transaction

    times = []
    value: Any = None
    with transaction.atomic(), connection.cursor() as cursor:
        if setup:
            cursor.execute(setup)
        cursor.execute(sql, params)
        value = cursor.fetchall()
        for _ in range(repeat):
            start = time.perf_counter()
            cursor.execute(sql, params)
            cursor.fetchall()
            times.append((time.perf_counter() - start) * 1000)
    single = value[0][0] if value and len(value) == 1 and len(value[0]) == 1 else len(value)
    return statistics.median(times), single


def estimated_rows(sql: str, params: list[Any]) -> int:
    import json

    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (FORMAT JSON) " + sql, params)
        plan = cursor.fetchone()[0]
    plan = json.loads(plan) if isinstance(plan, str) else plan
    return int(plan[0]["Plan"]["Plan Rows"])


def orm_times(call: Callable[[], Any], repeat: int) -> list[float]:
    """Wall ms of `repeat` calls after one unmeasured call."""
    call()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        times.append((time.perf_counter() - start) * 1000)
    return times


def orm_ms(call: Callable[[], Any], repeat: int) -> float:
    return statistics.median(orm_times(call, repeat))


def exact_check(base: Any, query: str) -> bool:
    from django.db.models import Q

    return bool(base.filter(Q(number_label=query) | Q(lead__full_name=query)).exists())


def exact_check_split(base: Any, query: str) -> bool:
    """The same check without the OR across the join and without a scan of every item: the
    few users of that name first, the number only for a query with a digit in it (萧山39号)."""
    from django.db.models import Q

    from accounts.models import User

    leads = list(User.objects.filter(full_name=query).values_list("pk", flat=True))
    has_digit = re.search(r"\d", query) is not None
    if not leads and not has_digit:
        return False
    wanted = Q(lead_id__in=leads)
    if has_digit:
        wanted |= Q(number_label=query)
    return bool(base.filter(wanted).exists())


def wall_ms(call: Callable[[], Any]) -> float:
    start = time.perf_counter()
    call()
    return (time.perf_counter() - start) * 1000


def profile(user: Any, rows: list[Series], repeat: int) -> None:
    """Variants of the statements the app sends, to split their time into parts and to try
    the fixes: for the 2-char query and the phrase with the most matches, and the slowest."""
    from django.db import connection

    from proposals import search
    from proposals.models import Proposal

    table = connection.ops.quote_name(Proposal._meta.db_table)
    base = Proposal.objects.for_user(user)  # for the exact check variants
    picked: list[Series] = []
    for queries in (TWO_CHAR, PHRASES):  # the most matches and the slowest list of each class
        cell = [row for row in rows if row.path == "a" and row.query in queries]
        for row in (
            max(cell, key=lambda r: r.matches),
            max(cell, key=lambda r: statistics.median(run.ms for run in r.runs)),
        ):
            if row not in picked:
                picked.append(row)
    print(
        f"\n3. Where the time goes: p50 ms of {repeat} runs of variants of the app's statements "
        f"(T = {table}, V @@ q = the GIN match, G = the icontains guard on title and body as "
        "Django writes it: UPPER(col::text) LIKE UPPER('%q%'))"
    )
    for row in picked:
        query = row.query
        tsq = search.tsquery(query)
        app = search.search(Proposal.objects.all(), query, ("title", "body"))
        rank_sql, rank_params = app.query.extra["search_rank"]
        rank_params = list(rank_params)
        like = f"%{query}%"
        match = "search_vector @@ %s::tsquery"
        guard = 'AND (UPPER("title"::text) LIKE UPPER(%s) OR UPPER("body"::text) LIKE UPPER(%s))'
        plain = 'AND ("title" LIKE %s OR "body" LIKE %s)'
        g = [like, like]
        estimate_match = estimated_rows(f"SELECT 1 FROM {table} WHERE {match}", [tsq])
        estimate_guard = estimated_rows(f"SELECT 1 FROM {table} WHERE {match} {guard}", [tsq, *g])
        print(
            f"\n   {query}  (tsquery {tsq}; {row.matches} matches, list count {row.result}; "
            "planner's row estimate: "
            f"V @@ q {estimate_match}, V @@ q + G {estimate_guard})"
        )
        variants: list[tuple[str, str, list[Any], str]] = [
            ("count(*)  V @@ q", f"SELECT count(*) FROM {table} WHERE {match}", [tsq], ""),
            (
                "count(*)  V @@ q + G",
                f"SELECT count(*) FROM {table} WHERE {match} {guard}",
                [tsq, *g],
                "",
            ),
            (
                "count(*)  V @@ q + G without UPPER (LIKE)",
                f"SELECT count(*) FROM {table} WHERE {match} {plain}",
                [tsq, *g],
                "",
            ),
            (
                "count(*)  V @@ q, SET LOCAL enable_seqscan = off",
                f"SELECT count(*) FROM {table} WHERE {match}",
                [tsq],
                "SET LOCAL enable_seqscan = off",
            ),
            (
                "count(*)  capped at 1000, V @@ q + G",
                f"SELECT count(*) FROM (SELECT 1 FROM {table} WHERE {match} {guard} LIMIT 1000) s",
                [tsq, *g],
                "",
            ),
            (
                "top 20   by rank over every match, V @@ q + G",
                f"SELECT id FROM {table} WHERE {match} {guard} "
                f"ORDER BY {rank_sql} DESC, id DESC LIMIT 20",
                [tsq, *g, *rank_params],
                "",
            ),
            (
                "top 20   by rank over every match, V @@ q (no G)",
                f"SELECT id FROM {table} WHERE {match} ORDER BY {rank_sql} DESC, id DESC LIMIT 20",
                [tsq, *rank_params],
                "",
            ),
            (
                "top 20   by -id, V @@ q + G (no rank)",
                f"SELECT id FROM {table} WHERE {match} {guard} ORDER BY id DESC LIMIT 20",
                [tsq, *g],
                "",
            ),
            (
                "top 20   by -id, V @@ q + G without UPPER (LIKE)",
                f"SELECT id FROM {table} WHERE {match} {plain} ORDER BY id DESC LIMIT 20",
                [tsq, *g],
                "",
            ),
            (
                "top 20   by -id, V @@ q (no rank, no G)",
                f"SELECT id FROM {table} WHERE {match} ORDER BY id DESC LIMIT 20",
                [tsq],
                "",
            ),
            (
                "newest 500, V @@ q + G without UPPER (LIKE)",
                f"SELECT id FROM {table} WHERE {match} {plain} ORDER BY id DESC LIMIT 500",
                [tsq, *g],
                "",
            ),
            (
                "newest 500, V @@ q (no G)",
                f"SELECT id FROM {table} WHERE {match} ORDER BY id DESC LIMIT 500",
                [tsq],
                "",
            ),
            (
                "top 20   by rank among the newest 500 V @@ q, G after",
                f"SELECT id FROM (SELECT id, title, body, search_vector FROM {table} "
                f"WHERE {match} ORDER BY id DESC LIMIT 500) c WHERE true {guard} "
                f"ORDER BY {rank_sql.replace(Proposal._meta.db_table + '.', 'c.')} DESC, "
                "id DESC LIMIT 20",
                [tsq, *g, *rank_params],
                "",
            ),
        ]
        for name, sql, params, setup in variants:
            ms, value = sql_ms(sql, params, repeat, setup)
            print(f"   {name:58} {ms:8.1f} ms  -> {value}")
        # the list's own statements, as the app sends them, with and without nested loops
        _, _, statements = timed(partial(list_search, user, query))
        page_sql = statements[-1]
        for name, setup in (
            ("(a) page statement as sent", ""),
            (
                "(a) page statement, SET LOCAL enable_nestloop = off",
                "SET LOCAL enable_nestloop = off",
            ),
        ):
            ms, value = sql_ms(page_sql.replace("%", "%%"), [], repeat, setup)
            print(f"   {name:58} {ms:8.1f} ms  -> {value} rows")
        ms = orm_ms(partial(exact_check, base, query), repeat)
        print(f"   {'exact check, OR across the join (number_label | name)':58} {ms:8.1f} ms")
        ms = orm_ms(partial(exact_check_split, base, query), repeat)
        print(f"   {'exact check, names first, number only if a digit':58} {ms:8.1f} ms")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_size_pretty(pg_relation_size(%s)), pg_size_pretty(pg_table_size(%s)), "
            "pg_size_pretty(pg_relation_size(%s)), "
            f"(SELECT avg(pg_column_size(search_vector))::int FROM {table}), "
            f"(SELECT avg(pg_column_size(body))::int FROM {table}), "
            "current_setting('shared_buffers'), current_setting('work_mem')",
            [Proposal._meta.db_table, Proposal._meta.db_table, GIN_INDEX],
        )
        heap, with_toast, gin, vector, body, buffers, work_mem = cursor.fetchone()
    print(
        f"\n   table heap {heap}, with TOAST {with_toast}; GIN index {gin}; average stored "
        f"search_vector {vector} B, body {body} B; shared_buffers {buffers}, work_mem {work_mem}"
    )


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        check_environment(args)
    except Refused as error:
        print(f"search.py: refused: {error}", file=sys.stderr)
        return 2
    scratch = Path(tempfile.mkdtemp(prefix="bench-search-"))
    media = Path(os.environ["DJANGO_MEDIA_ROOT"]) if os.environ.get("DJANGO_MEDIA_ROOT") else None
    started = time.perf_counter()
    try:
        setup_django(media or scratch / "media", args)
        print(
            f"Search benchmark on {socket.gethostname()} ({os.cpu_count()} CPUs), "
            f"settings {os.environ['DJANGO_SETTINGS_MODULE']}, "
            f"PostgreSQL port {os.environ.get('POSTGRES_PORT')}, "
            f"load average {os.getloadavg()[0]:.2f}"
        )
        prepare_database(args.items)
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("SELECT version()")
            print(f"server: {cursor.fetchone()[0].split(' on ')[0]}")
        user = supervisor()
        rows = measure(user, args.repeat, args.budget)
        worst = report(rows, args.repeat)
        met = worst <= TARGET_MS
        print(
            f"\n   target p95 <= {TARGET_MS:.0f} ms in every cell: "
            f"{'MET' if met else 'MISSED'} (worst p95 {worst:.1f} ms)"
        )
        if not args.no_explain:
            explain(user, rows)
        if args.profile or not met:
            profile(user, rows, min(args.repeat, 5))
        print(
            f"\nload average at the end {os.getloadavg()[0]:.2f}; "
            f"total {time.perf_counter() - started:.0f} s"
        )
    except Refused as error:
        print(f"search.py: refused: {error}", file=sys.stderr)
        return 2
    except BenchError as error:
        print(f"search.py: FAILED: {error}", file=sys.stderr)
        return 1
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return 0 if met else 3


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""Load benchmark: the submission week on the production shape, on loopback.

Not a test: it prints figures. Run it against throw-away services (see bench/README.md, "Load"):

    bash tests/services.sh .venv/bin/python bench/load.py            # 200 users, 2 minutes
    bash tests/services.sh .venv/bin/python bench/load.py --quick    # 30 users, 20 s

It migrates the database it is given, runs `seed_demo --items N` unless the database already
holds N items, gives every simulated person a login of their own (the generated members, unit
staff and supervisors, plus `load_…` logins with the demo password where more are needed),
VACUUM (ANALYZE)s, and runs `collectstatic`. Then it starts, all with config.settings.prod:
gunicorn on a spare loopback port (--workers sync workers, or gthread with --threads > 1) and
one Celery worker (the e-mail copies of notices), and runs locust headless with
bench/locustfile.py: members drafting, inviting co-signers and submitting, co-signers
confirming, unit staff drafting replies, supervisors filtering lists and reading the dashboard
(weights 50/20/20/10; a few seconds of thinking between actions).

It prints, per request group and overall: requests, failures, p50/p95/p99/max (client side,
locust) and requests/s; per view the server side time, SQL time and queries (measured in the
gunicorn workers by a WSGI wrapper, unless --bare); the failures; the CPU seconds used by
gunicorn, Celery, PostgreSQL, locust and everything else on the machine during the run; and
MET/MISSED against the target. Every process it started is stopped, also when something fails.

Target (2 cores): --users concurrent users for --duration seconds, 0 failures, p95 <= 500 ms
over all requests.

It refuses the machine's default PostgreSQL (5432) and Redis (6379) unless given
--allow-default-ports. Files (letters, static files, logs) go to a temporary folder that is
deleted at the end, unless --keep DIR is given.

Exit status: 0 ran and met the target, 1 failed, 2 refused (usage or configuration), 3 ran but
missed the target.
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import csv
import io
import json
import math
import os
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
TARGET_P95_MS = 500.0
# the share of each kind of person, as the weights in bench/locustfile.py (50+20 / 20 / 10)
SHARES = {"members": 0.7, "staff": 0.2, "supervisors": 0.1}
SEARCH_TERMS = ["养老", "托育", "未成年人关爱保护", "社区", "教育", "医疗"]
READY_TIMEOUT = 90.0


class BenchError(Exception):
    """The benchmark could not produce a trustworthy figure."""


class Refused(Exception):
    """The configuration would touch services the benchmark must not use."""


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Load benchmark of the submission week (gunicorn, PostgreSQL, Redis, "
        "Celery, locust)."
    )
    parser.add_argument("--users", type=int, help="concurrent users (200; --quick 30)")
    parser.add_argument("--duration", type=int, help="seconds of load (120; --quick 20)")
    parser.add_argument("--spawn-rate", type=float, help="users started per second (20)")
    parser.add_argument(
        "--items", type=int, help="items the database should hold (10000; --quick 1000)"
    )
    parser.add_argument(
        "--quick", action="store_true", help="smoke run: 30 users, 20 s, 1000 items"
    )
    parser.add_argument("--workers", type=int, default=4, help="gunicorn worker processes (4)")
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="threads per gunicorn worker; more than 1 uses the gthread worker (1: sync)",
    )
    parser.add_argument(
        "--think",
        default="3,8",
        help="seconds of thinking between a person's actions, min,max (3,8)",
    )
    parser.add_argument(
        "--target-p95", type=float, default=TARGET_P95_MS, help="p95 target in ms (500)"
    )
    parser.add_argument(
        "--bare",
        action="store_true",
        help="serve config.wsgi:application as is, without the server-side timing wrapper",
    )
    parser.add_argument("--keep", metavar="DIR", help="keep the logs and locust's CSV files in DIR")
    parser.add_argument(
        "--allow-default-ports",
        action="store_true",
        help="allow PostgreSQL on 5432 and Redis on 6379 (refused by default)",
    )
    args = parser.parse_args(argv)
    quick = args.quick
    args.users = args.users or (30 if quick else 200)
    args.duration = args.duration or (20 if quick else 120)
    args.spawn_rate = args.spawn_rate or 20.0
    args.items = args.items if args.items is not None else (1000 if quick else 10_000)
    try:
        low, high = (float(x) for x in args.think.split(","))
    except ValueError:
        parser.error("--think takes two numbers, min,max")
    if not 0 <= low <= high:
        parser.error("--think: 0 <= min <= max")
    if min(args.users, args.duration, args.workers, args.threads) < 1 or args.spawn_rate <= 0:
        parser.error("--users, --duration, --workers, --threads and --spawn-rate must be positive")
    if args.items < 0:
        parser.error("--items must not be negative")
    return args


# --- configuration checks, before Django is set up ------------------------------------------


def check_environment(args: argparse.Namespace) -> None:
    """Refuse anything that would write to a database or broker the user did not point us at."""
    if not os.environ.get("POSTGRES_DB"):
        raise Refused(
            "POSTGRES_DB is not set: production settings need PostgreSQL. Run through "
            "tests/services.sh, which starts throw-away services."
        )
    pg_port = os.environ.get("POSTGRES_PORT", "")
    if not args.allow_default_ports and pg_port in ("", "5432"):
        raise Refused(
            "POSTGRES_PORT is unset or 5432 (the machine's own PostgreSQL). Use tests/services.sh, "
            "or pass --allow-default-ports to use it anyway."
        )
    broker = os.environ.get("CELERY_BROKER_URL", "")
    if not broker:
        raise Refused(
            "CELERY_BROKER_URL is not set: the production shape has a Redis broker and a worker "
            "(tests/services.sh provides one)."
        )
    if not args.allow_default_ports and (urlparse(broker).port or 6379) == 6379:
        raise Refused(
            f"the Celery broker {broker} is the machine's default Redis port (6379). Use "
            "tests/services.sh, or pass --allow-default-ports to use it anyway."
        )


def production_environment(scratch: Path) -> None:
    """config.settings.prod for this process and every process it starts: a long secret key,
    plain HTTP on loopback, files in the scratch folder, e-mails kept in memory."""
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings.prod",
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
            "DJANGO_SECURE_SSL_REDIRECT": "0",
            "DJANGO_SECURE_COOKIES": "0",
            "DJANGO_HSTS_SECONDS": "0",
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
            "DJANGO_PROXY_COUNT": "0",  # no reverse proxy in front of gunicorn here
            "DJANGO_STORAGE": "local",
            "DJANGO_MEDIA_ROOT": str(scratch / "media"),
            "DJANGO_STATIC_ROOT": str(scratch / "static"),
            "DJANGO_EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
            "DJANGO_LOG_LEVEL": "WARNING",
        }
    )


def setup_django() -> None:
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    os.chdir(ROOT)
    import django

    django.setup()
    from django.conf import settings

    database = settings.DATABASES["default"]
    if "postgresql" not in str(database["ENGINE"]):
        raise Refused("config.settings.prod does not use PostgreSQL")
    if str(database["PORT"]) != os.environ.get("POSTGRES_PORT", "5432"):
        raise Refused("the settings' PostgreSQL port is not the one in POSTGRES_PORT")
    from config.celery import app

    if app.conf.task_always_eager or str(app.conf.broker_url) != os.environ["CELERY_BROKER_URL"]:
        raise Refused("the settings do not use the broker in CELERY_BROKER_URL")


# --- the database and the plan for locust ---------------------------------------------------


def prepare_database(items: int) -> str:
    """Migrate, seed up to `items` items, VACUUM (ANALYZE); what the database holds."""
    from django.core.management import call_command
    from django.db import connection

    from proposals.models import Proposal

    call_command("migrate", interactive=False, verbosity=0)
    existing = Proposal.objects.count()
    missing = max(items - existing, 0) if existing else items
    start = time.perf_counter()
    if missing or not existing:
        print(f"seeding: seed_demo --items {missing} ({existing} items in the database) ...")
        sys.stdout.flush()
        call_command("seed_demo", items=missing, stdout=io.StringIO())
    seeded = time.perf_counter() - start
    with connection.cursor() as cursor:  # statistics and visibility maps, as after autovacuum
        cursor.execute("VACUUM (ANALYZE)")
    connection.close()
    return f"{Proposal.objects.count()} items, seeding {seeded:.0f} s"


def needed(users: int, kind: str) -> int:
    """Logins of a kind for `users` people: the share rounded up, plus one for rounding."""
    return math.ceil(users * SHARES[kind]) + 1


def plan(users: int, think: str) -> dict[str, Any]:
    """Logins for every simulated person and what they work on (bench/locustfile.py)."""
    from django.contrib.auth.hashers import make_password

    from proposals.demo.data import DEMO_PASSWORD
    from proposals.models import Meeting

    password = make_password(DEMO_PASSWORD)  # hashed once for every login made here
    return {
        "password": DEMO_PASSWORD,
        "think": think,
        "members": member_logins(needed(users, "members"), password),
        "staff": staff_logins(needed(users, "staff"), password),
        "supervisors": supervisor_logins(needed(users, "supervisors"), password),
        "meetings": list(Meeting.objects.order_by("pk").values_list("pk", flat=True)),
        "terms": SEARCH_TERMS,
    }


def member_logins(count: int, password: str) -> list[dict[str, Any]]:
    """Members of both bodies, alternating, so that leads and co-signers meet in each."""
    from accounts.models import MemberProfile, Role, User

    def of(body: str) -> list[User]:
        return list(
            User.objects.filter(role=Role.MEMBER, is_active=True, member_profile__body=body)
            .select_related("member_profile")
            .order_by("pk")
        )

    for body in ("npc", "cppcc"):
        short = math.ceil(count / 2) - len(of(body))
        if short > 0:
            made = User.objects.bulk_create(
                User(
                    username=f"load_{body}_{n:04d}",
                    full_name=f"负载{'代表' if body == 'npc' else '委员'}{n:04d}",
                    role=Role.MEMBER,
                    password=password,
                )
                for n in range(short)
            )
            MemberProfile.objects.bulk_create(
                MemberProfile(
                    user=user,
                    body=body,
                    submitter_type="deputy" if body == "npc" else "cppcc_member",
                    delegation="萧山代表团" if body == "npc" else "",
                    number_prefix="萧山" if body == "npc" else "",
                    sector="" if body == "npc" else "经济界",
                )
                for user in made
            )
    rows = []
    for pair in zip(of("npc"), of("cppcc"), strict=False):
        for user in pair:
            rows.append(
                {
                    "username": user.username,
                    "pk": user.pk,
                    "name": user.full_name,
                    "body": user.member_profile.body,
                }
            )
    return rows[:count]


def staff_logins(count: int, password: str) -> list[dict[str, Any]]:
    """承办员 logins, spread over the units with assignments to reply to; where a unit gets
    several, they share its assignments without overlap (no edit conflicts between them)."""
    from accounts.models import Role, User
    from proposals.models import Assignment, AssignmentRole, AssignmentStatus
    from replies.models import Reply, ReplyStatus

    busy = Reply.objects.filter(status__in=[ReplyStatus.SUBMITTED, ReplyStatus.IN_REVIEW]).values(
        "assignment_id"
    )
    work: dict[int, list[list[int]]] = {}
    for pk, item, unit in (
        Assignment.objects.filter(
            status=AssignmentStatus.ACCEPTED,
            role__in=[AssignmentRole.LEAD, AssignmentRole.SEPARATE],
        )
        .exclude(pk__in=busy)
        .order_by("unit_id", "due_on", "pk")
        .values_list("pk", "proposal_id", "unit_id")
    ):
        work.setdefault(unit, []).append([pk, item])
    if not work:
        raise BenchError("no accepted assignment to reply to: seed_demo --items made none")
    units = sorted(work, key=lambda unit: -len(work[unit]))
    slots = [(units[i % len(units)], i // len(units)) for i in range(count)]
    per_unit = {unit: sum(1 for u, _ in slots if u == unit) for unit in units}
    rows = []
    for unit, slot in slots:
        existing = list(
            User.objects.filter(unit_id=unit, role=Role.UNIT_STAFF, is_active=True).order_by("pk")
        )
        if slot < len(existing):
            user = existing[slot]
        else:
            user, _ = User.objects.get_or_create(
                username=f"load_staff_{unit}_{slot}",
                defaults={
                    "full_name": f"负载承办员{unit}-{slot}",
                    "role": Role.UNIT_STAFF,
                    "unit_id": unit,
                    "password": password,
                },
            )
        rows.append(
            {"username": user.username, "unit": unit, "work": work[unit][slot :: per_unit[unit]]}
        )
    return rows


def supervisor_logins(count: int, password: str) -> list[dict[str, Any]]:
    from accounts.models import Role, User

    scopes = ["all", "npc", "cppcc"]
    existing = list(User.objects.filter(role=Role.SUPERVISOR, is_active=True).order_by("pk"))
    for n in range(len(existing), count):
        existing.append(
            User.objects.get_or_create(
                username=f"load_supervisor_{n:03d}",
                defaults={
                    "full_name": f"负载督办{n:03d}",
                    "role": Role.SUPERVISOR,
                    "supervisor_scope": scopes[n % len(scopes)],
                    "password": password,
                },
            )[0]
        )
    return [{"username": u.username, "scope": u.supervisor_scope} for u in existing[:count]]


def collect_static() -> None:
    from django.core.management import call_command

    call_command("collectstatic", interactive=False, verbosity=0)


# --- the server-side timing wrapper (runs inside the gunicorn workers) ----------------------


def server_app() -> Callable[..., Any]:
    """config.wsgi's application, timing every request per view: wall time in the worker, time
    in cursor.execute and the number of queries. Each worker writes its figures to
    LOAD_STATS_DIR/<pid>.json every few seconds and when it exits. gunicorn loads this as
    `load:server_app()` (bench/ on its Python path)."""
    from django.core.wsgi import get_wsgi_application
    from django.db import connection
    from django.urls import Resolver404, resolve

    application = get_wsgi_application()
    folder = Path(os.environ["LOAD_STATS_DIR"])
    rows: dict[str, list[tuple[float, float, int]]] = {}
    lock = threading.Lock()
    last = [time.monotonic()]

    def dump() -> None:
        with lock:
            data = {name: list(values) for name, values in rows.items()}
        path = folder / f"{os.getpid()}.json"
        path.with_suffix(".tmp").write_text(json.dumps(data))
        path.with_suffix(".tmp").replace(path)

    atexit.register(dump)

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        queries = 0
        sql = 0.0

        def count(execute: Any, statement: str, params: Any, many: bool, context: Any) -> Any:
            nonlocal queries, sql
            queries += 1
            began = time.perf_counter()
            try:
                return execute(statement, params, many, context)
            finally:
                sql += time.perf_counter() - began

        start = time.perf_counter()
        with connection.execute_wrapper(count):
            result = application(environ, start_response)
        elapsed = time.perf_counter() - start
        try:
            view = resolve(environ.get("PATH_INFO", "")).view_name
        except Resolver404:
            view = "(no view)"
        name = f"{environ.get('REQUEST_METHOD', '')} {view}"
        with lock:
            rows.setdefault(name, []).append((elapsed * 1000, sql * 1000, queries))
        if time.monotonic() - last[0] > 5:
            last[0] = time.monotonic()
            dump()
        return result

    return app


# --- processes ------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Processes:
    """Everything started here, each in a session of its own; stopped in reverse order."""

    def __init__(self, logs: Path) -> None:
        self.logs = logs
        self.started: list[tuple[str, subprocess.Popen[bytes]]] = []

    def start(self, name: str, command: list[str], env: dict[str, str] | None = None) -> Any:
        with open(self.logs / f"{name}.log", "wb") as log:
            process = subprocess.Popen(
                command,
                cwd=ROOT,
                env={**os.environ, **(env or {})},
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.started.append((name, process))
        return process

    def check(self, name: str) -> None:
        for label, process in self.started:
            if label == name and process.poll() is not None:
                raise BenchError(f"{name} exited with status {process.returncode}")

    def stop(self) -> None:
        """SIGTERM to each (gunicorn and Celery shut down warmly), SIGKILL to what is left of
        each one's process group after 30 s."""
        for _name, process in reversed(self.started):
            if process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    process.terminate()
        deadline = time.monotonic() + 30
        for _name, process in reversed(self.started):
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, signal.SIGKILL)
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=10)

    def tail(self, name: str, lines: int = 25) -> str:
        path = self.logs / f"{name}.log"
        text = path.read_text(errors="replace").splitlines()[-lines:] if path.exists() else []
        return f"--- {name}.log (last {len(text)} lines)\n" + "\n".join(text)


def start_worker(processes: Processes) -> None:
    from config.celery import app

    tag = f"load{os.getpid()}"
    processes.start(
        "celery",
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--concurrency",
            "1",
            "-l",
            "warning",
            "-n",
            f"{tag}@%h",
        ],
    )
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline:
        processes.check("celery")
        replies = app.control.ping(timeout=1.0) or []
        if any(name.startswith(tag) for reply in replies for name in reply):
            return
    raise BenchError(f"the Celery worker did not answer a ping within {READY_TIMEOUT:.0f} s")


def start_gunicorn(processes: Processes, args: argparse.Namespace, stats: Path) -> str:
    port = free_port()
    app = "config.wsgi:application" if args.bare else "load:server_app()"
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        app,
        "--pythonpath",
        f"{ROOT},{ROOT / 'bench'}",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(args.workers),
        "--timeout",
        "60",
        "--graceful-timeout",
        "10",
        "--backlog",
        "2048",
        "--log-level",
        "warning",
    ]
    if args.threads > 1:
        command += ["--worker-class", "gthread", "--threads", str(args.threads)]
    processes.start("gunicorn", command, {"LOAD_STATS_DIR": str(stats)})
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline:
        processes.check("gunicorn")
        try:
            with urllib.request.urlopen(url + "/login/", timeout=5) as response:
                if response.status == 200:
                    return url
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.5)
    raise BenchError(f"gunicorn did not answer /login/ within {READY_TIMEOUT:.0f} s")


# --- CPU accounting -------------------------------------------------------------------------


def our_processes(processes: Processes) -> dict[str, list[Any]]:
    """psutil processes by part: gunicorn and Celery (with their children), and the
    benchmark's PostgreSQL (the server on POSTGRES_PORT and its backends)."""
    import psutil

    groups: dict[str, list[Any]] = {}
    for name, process in processes.started:
        try:
            parent = psutil.Process(process.pid)
            groups[name] = [parent, *parent.children(recursive=True)]
        except psutil.NoSuchProcess:
            groups[name] = []
    port = os.environ.get("POSTGRES_PORT", "")
    postgres: list[Any] = []
    for candidate in psutil.process_iter(["name", "cmdline"]):
        cmdline = candidate.info.get("cmdline") or []
        if candidate.info.get("name") == "postgres" and f"-p {port}" in " ".join(cmdline):
            postgres = [candidate, *candidate.children(recursive=True)]
            break
    groups["postgres"] = postgres
    return groups


def cpu_seconds(groups: dict[str, list[Any]]) -> dict[str, float]:
    """CPU seconds so far of each group, of the children this process has reaped (locust,
    once it has exited) and of the whole machine."""
    import resource

    import psutil

    reaped = resource.getrusage(resource.RUSAGE_CHILDREN)
    result: dict[str, float] = {"locust": reaped.ru_utime + reaped.ru_stime}
    for name, members in groups.items():
        total = 0.0
        for member in members:
            with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied):
                times = member.cpu_times()
                total += times.user + times.system
        result[name] = total
    busy = psutil.cpu_times()
    result["machine"] = sum(
        getattr(busy, field, 0.0) for field in ("user", "nice", "system", "irq", "softirq", "steal")
    )
    return result


# --- locust ---------------------------------------------------------------------------------


@dataclass
class Row:
    kind: str
    name: str
    requests: int
    failures: int
    p50: float
    p95: float
    p99: float
    maximum: float
    rps: float


def run_locust(
    processes: Processes, args: argparse.Namespace, url: str, plan_path: Path, out: Path
) -> tuple[list[Row], list[tuple[str, str, int]], float]:
    """Run locust headless; its rows, failures and wall time."""
    prefix = out / "locust"
    command = [
        sys.executable,
        "-m",
        "locust",
        "-f",
        str(ROOT / "bench" / "locustfile.py"),
        "--headless",
        "--users",
        str(args.users),
        "--spawn-rate",
        str(args.spawn_rate),
        "--run-time",
        f"{args.duration}s",
        "--host",
        url,
        "--csv",
        str(prefix),
        "--only-summary",
        "--loglevel",
        "WARNING",
    ]
    start = time.monotonic()
    process = processes.start(
        "locust", command, {"LOAD_PLAN": str(plan_path), "LOAD_THINK": args.think}
    )
    try:
        process.wait(timeout=args.duration + 180)
    except subprocess.TimeoutExpired as error:
        raise BenchError("locust did not stop within 3 minutes of its run time") from error
    elapsed = time.monotonic() - start
    stats = Path(f"{prefix}_stats.csv")
    if not stats.exists():
        raise BenchError(f"locust wrote no statistics (exit status {process.returncode})")
    rows = []
    with stats.open(newline="", encoding="utf-8") as handle:
        for line in csv.DictReader(handle):
            rows.append(
                Row(
                    kind=line["Type"],
                    name=line["Name"],
                    requests=int(line["Request Count"]),
                    failures=int(line["Failure Count"]),
                    p50=number(line["50%"]),
                    p95=number(line["95%"]),
                    p99=number(line["99%"]),
                    maximum=number(line["Max Response Time"]),
                    rps=number(line["Requests/s"]),
                )
            )
    failures = []
    failures_csv = Path(f"{prefix}_failures.csv")
    if failures_csv.exists():
        with failures_csv.open(newline="", encoding="utf-8") as handle:
            for line in csv.DictReader(handle):
                failures.append((line["Name"], line["Error"], int(line["Occurrences"])))
    return rows, failures, elapsed


def number(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        return float("nan")


# --- report ---------------------------------------------------------------------------------


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def report_client(rows: list[Row], args: argparse.Namespace) -> Row:
    overall = next((row for row in rows if row.name == "Aggregated"), None)
    if overall is None or overall.requests == 0:
        raise BenchError("locust made no requests")
    print(
        "\n1. Per request group, client side (locust; ms, percentiles as locust rounds them; "
        "a POST and the page it redirects to are two requests)"
    )
    print(
        f"   {'request':30} {'requests':>8} {'failed':>6} {'p50':>6} {'p95':>6} {'p99':>6} "
        f"{'max':>6} {'req/s':>6}"
    )
    for row in sorted(
        (r for r in rows if r.name != "Aggregated"), key=lambda r: (-r.requests, r.name)
    ):
        print(format_row(f"{row.kind} {row.name}", row))
    print(format_row("all requests", overall))
    return overall


def format_row(label: str, row: Row) -> str:
    return (
        f"   {label[:30]:30} {row.requests:8d} {row.failures:6d} {row.p50:6.0f} {row.p95:6.0f} "
        f"{row.p99:6.0f} {row.maximum:6.0f} {row.rps:6.1f}"
    )


def report_server(stats: Path) -> None:
    merged: dict[str, list[list[float]]] = {}
    for path in stats.glob("*.json"):
        with contextlib.suppress(ValueError):
            for name, values in json.loads(path.read_text()).items():
                merged.setdefault(name, []).extend(values)
    if not merged:
        print("\n2. Server side: no figures (the workers wrote none)")
        return
    print(
        "\n2. Per view, server side (in the gunicorn worker around the WSGI app; ms; SQL = time "
        "in cursor.execute)"
    )
    print(
        f"   {'view':40} {'requests':>8} {'p50':>6} {'p95':>6} {'max':>6} {'SQL p50':>7} "
        f"{'SQL p95':>7} {'queries':>9}"
    )
    every: list[float] = []
    for name, values in sorted(merged.items(), key=lambda item: -len(item[1])):
        ms = [v[0] for v in values]
        sql = [v[1] for v in values]
        queries = [int(v[2]) for v in values]
        every.extend(ms)
        spread = (
            f"{min(queries)}–{max(queries)}" if min(queries) != max(queries) else str(queries[0])
        )
        print(
            f"   {name[:40]:40} {len(values):8d} {statistics.median(ms):6.0f} "
            f"{percentile(ms, 0.95):6.0f} {max(ms):6.0f} {statistics.median(sql):7.1f} "
            f"{percentile(sql, 0.95):7.1f} {spread:>9}"
        )
    print(
        f"   {'all views':40} {len(every):8d} {statistics.median(every):6.0f} "
        f"{percentile(every, 0.95):6.0f} {max(every):6.0f}"
    )


def report_failures(failures: list[tuple[str, str, int]]) -> None:
    if not failures:
        return
    print("\n3. Failures (most frequent first)")
    for name, error, count in sorted(failures, key=lambda f: -f[2])[:15]:
        print(f"   {count:5d}  {name}: {' '.join(error.split())[:160]}")


def report_cpu(before: dict[str, float], after: dict[str, float], seconds: float) -> None:
    used = {name: after.get(name, 0.0) - before.get(name, 0.0) for name in after}
    ours = sum(v for name, v in used.items() if name != "machine")
    others = max(used["machine"] - ours, 0.0)
    cores = os.cpu_count() or 1
    parts = ", ".join(
        f"{name} {used[name]:.0f}"
        for name in ("gunicorn", "postgres", "celery", "locust")
        if name in used
    )
    print(
        f"\n4. CPU seconds during the run ({seconds:.0f} s × {cores} cores = "
        f"{seconds * cores:.0f} available): {parts}, everything else on the machine {others:.0f} "
        f"(busy {used['machine']:.0f}, {100 * used['machine'] / (seconds * cores):.0f} %)"
    )


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    # SIGTERM (e.g. from tests/services.sh) unwinds like Ctrl-C, so every process is stopped
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        check_environment(args)
    except Refused as error:
        print(f"load.py: refused: {error}", file=sys.stderr)
        return 2
    scratch = Path(tempfile.mkdtemp(prefix="bench-load-"))
    out = Path(args.keep) if args.keep else scratch / "out"
    stats = scratch / "stats"
    for folder in (out, stats, scratch / "media"):
        folder.mkdir(parents=True, exist_ok=True)
    processes = Processes(out)
    started = time.perf_counter()
    met = False
    try:
        production_environment(scratch)
        setup_django()
        load_before = os.getloadavg()
        print(
            f"Load benchmark on {socket.gethostname()} ({os.cpu_count()} CPUs), "
            f"config.settings.prod, PostgreSQL port {os.environ.get('POSTGRES_PORT')}, "
            f"load average {load_before[0]:.2f} {load_before[1]:.2f} {load_before[2]:.2f}"
        )
        holds = prepare_database(args.items)
        people = plan(args.users, args.think)
        plan_path = out / "plan.json"
        plan_path.write_text(json.dumps(people, ensure_ascii=False), encoding="utf-8")
        collect_static()
        from django.db import connections

        connections.close_all()
        start_worker(processes)
        url = start_gunicorn(processes, args, stats)
        kind = (
            f"{args.workers} gthread workers × {args.threads} threads"
            if args.threads > 1
            else f"{args.workers} sync workers"
        )
        print(
            f"database: {holds}; logins: {len(people['members'])} members, "
            f"{len(people['staff'])} unit staff "
            f"({sum(len(s['work']) for s in people['staff'])} assignments to reply to), "
            f"{len(people['supervisors'])} supervisors"
        )
        print(
            f"gunicorn ({kind}{', bare' if args.bare else ''}) on {url}, 1 Celery worker; "
            f"locust: {args.users} users, spawn {args.spawn_rate:g}/s, {args.duration} s, "
            f"think {args.think} s"
        )
        sys.stdout.flush()
        groups = our_processes(processes)
        before = cpu_seconds(groups)
        rows, failures, seconds = run_locust(processes, args, url, plan_path, out)
        after = cpu_seconds(groups)
        load_after = os.getloadavg()
        overall = report_client(rows, args)
        processes.stop()  # the workers write their last figures as they exit
        if not args.bare:
            report_server(stats)
        report_failures(failures)
        report_cpu(before, after, seconds)
        met = overall.failures == 0 and overall.p95 <= args.target_p95
        print(
            f"\nload average after {load_after[0]:.2f} {load_after[1]:.2f} {load_after[2]:.2f}; "
            f"total {time.perf_counter() - started:.0f} s"
        )
        print(
            f"target: {args.users} users for {args.duration} s, 0 failures, p95 <= "
            f"{args.target_p95:.0f} ms: {'MET' if met else 'MISSED'} "
            f"({overall.requests} requests, {overall.failures} failures, p50 {overall.p50:.0f} ms, "
            f"p95 {overall.p95:.0f} ms, p99 {overall.p99:.0f} ms, {overall.rps:.1f} req/s)"
        )
    except Refused as error:
        print(f"load.py: refused: {error}", file=sys.stderr)
        return 2
    except BenchError as error:
        print(f"load.py: FAILED: {error}", file=sys.stderr)
        for name, _process in processes.started:
            print(processes.tail(name), file=sys.stderr)
        return 1
    finally:
        processes.stop()
        shutil.rmtree(scratch, ignore_errors=True)
    return 0 if met else 3


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

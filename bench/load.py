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

The run has two phases. Arrival: the --users people are started at --spawn-rate per second and
each logs in (login form, login, home page). When the last one has, the working period starts:
locust's statistics are reset and everyone works for --duration seconds, so that it is measured
with all the people in. Logging in is CPU-bound (Argon2) and would otherwise sit in the queue in
front of everything else for the first minute.

It prints, for the arrival and, per request group, for the working period: requests, failures,
p50/p95/p99/max (client side, locust) and requests/s; per view the server side time, SQL time,
queries and CPU time (measured in the gunicorn workers by a WSGI wrapper, unless --bare); the
failures; the CPU seconds used by gunicorn, PostgreSQL, Celery, locust and everything else on
the machine in each phase; and MET/MISSED against the target. Every process it started is
stopped, also when something fails.

Target (2 cores): --users people working for --duration seconds, p95 <= 500 ms over all requests
of the working period, and no failure in either phase (an error in the locustfile counts too).
The arrival's latencies are printed but have no target.

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

from common import (
    BenchError,
    Refused,
    check_broker,
    check_database,
    check_django_settings,
    percentile,
)

ROOT = Path(__file__).resolve().parent.parent
TARGET_P95_MS = 500.0
# the share of each kind of person, as the weights in bench/locustfile.py (50+20 / 20 / 10)
SHARES = {"members": 0.7, "staff": 0.2, "supervisors": 0.1}
SEARCH_TERMS = ["养老", "托育", "未成年人关爱保护", "社区", "教育", "医疗"]
READY_TIMEOUT = 90.0
EXCEPTION = "(exception in the locustfile)"


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
    check_database(args.allow_default_ports, "production settings need PostgreSQL")
    broker = os.environ.get("CELERY_BROKER_URL", "")
    if not broker:
        raise Refused(
            "CELERY_BROKER_URL is not set: the production shape has a Redis broker and a worker "
            "(tests/services.sh provides one)."
        )
    check_broker(broker, args.allow_default_ports)


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

    check_django_settings()
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
    in cursor.execute, the number of queries and the CPU time of the worker (of the process
    with sync workers, which includes Argon2's hashing threads; of the request's thread with
    gthread, which does not). Each worker writes its figures to
    LOAD_STATS_DIR/<pid>.json every few seconds and when it exits. gunicorn loads this as
    `load:server_app()` (bench/ on its Python path)."""
    from django.core.wsgi import get_wsgi_application
    from django.db import connection
    from django.urls import Resolver404, resolve

    application = get_wsgi_application()
    folder = Path(os.environ["LOAD_STATS_DIR"])
    rows: dict[str, list[tuple[float, float, int, float]]] = {}
    clock = time.thread_time if os.environ.get("LOAD_CPU_CLOCK") == "thread" else time.process_time
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

        start, cpu = time.perf_counter(), clock()
        with connection.execute_wrapper(count):
            result = application(environ, start_response)
        elapsed, cpu = time.perf_counter() - start, clock() - cpu
        try:
            view = resolve(environ.get("PATH_INFO", "")).view_name
        except Resolver404:
            view = "(no view)"
        name = f"{environ.get('REQUEST_METHOD', '')} {view}"
        with lock:
            rows.setdefault(name, []).append((elapsed * 1000, sql * 1000, queries, cpu * 1000))
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
        # gthread keeps connections open (2 s by default): a POST sent just as gunicorn closes
        # an idle one fails without a response, which a browser behind the proxy never sees
        command += ["--worker-class", "gthread", "--threads", str(args.threads)]
        command += ["--keep-alive", "60"]
    clock = "thread" if args.threads > 1 else "process"
    processes.start("gunicorn", command, {"LOAD_STATS_DIR": str(stats), "LOAD_CPU_CLOCK": clock})
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


def our_roots(processes: Processes) -> dict[str, int]:
    """The main process of each part: gunicorn and Celery as started here, and the
    benchmark's PostgreSQL (the server listening on POSTGRES_PORT)."""
    import psutil

    roots = {name: process.pid for name, process in processes.started if name != "locust"}
    port = os.environ.get("POSTGRES_PORT", "")
    for candidate in psutil.process_iter(["name", "cmdline"]):
        cmdline = " ".join(candidate.info.get("cmdline") or [])
        if candidate.info.get("name") == "postgres" and f"-p {port}" in cmdline:
            roots["postgres"] = candidate.pid
            break
    return roots


@dataclass
class CpuSample:
    by_pid: dict[str, dict[int, float]]  # part -> pid -> CPU seconds so far
    reaped: float  # children waited for (locust, once it has exited)
    machine: float  # busy CPU seconds of the whole machine


def cpu_sample(roots: dict[str, int]) -> CpuSample:
    """CPU seconds so far of each part's processes (its main process and every descendant now
    alive: PostgreSQL backends and gunicorn workers come and go)."""
    import resource

    import psutil

    by_pid: dict[str, dict[int, float]] = {}
    for name, pid in roots.items():
        by_pid[name] = {}
        try:
            root = psutil.Process(pid)
            members = [root, *root.children(recursive=True)]
        except psutil.NoSuchProcess:
            continue
        for member in members:
            with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied):
                times = member.cpu_times()
                by_pid[name][member.pid] = times.user + times.system
    reaped = resource.getrusage(resource.RUSAGE_CHILDREN)
    busy = psutil.cpu_times()
    return CpuSample(
        by_pid,
        reaped.ru_utime + reaped.ru_stime,
        sum(
            getattr(busy, field, 0.0)
            for field in ("user", "nice", "system", "irq", "softirq", "steal")
        ),
    )


def cpu_used(before: CpuSample, after: CpuSample) -> dict[str, float]:
    """CPU seconds of each part between two samples; a process that ended in between is
    missed (PostgreSQL backends live as long as a worker's connection, CONN_MAX_AGE)."""
    used = {
        name: sum(cpu - before.by_pid.get(name, {}).get(pid, 0.0) for pid, cpu in pids.items())
        for name, pids in after.by_pid.items()
    }
    used["locust"] = after.reaped - before.reaped
    used["machine"] = after.machine - before.machine
    return used


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


@dataclass
class Run:
    rows: list[Row]  # the working period, from locust's CSV
    failures: list[tuple[str, str, int]]  # both phases, and exceptions in the locustfile
    arrival: dict[str, Any]  # the locustfile's figures of the arrival (logins)
    arrival_cpu: dict[str, float]
    work_cpu: dict[str, float]
    work_seconds: float


def run_locust(
    processes: Processes,
    args: argparse.Namespace,
    url: str,
    plan_path: Path,
    out: Path,
    roots: dict[str, int],
) -> Run:
    """Run locust headless: the arrival (everyone logs in), then --duration seconds of work
    (the locustfile quits then). CPU is sampled when each phase starts and at the end."""
    prefix = out / "locust"
    arrival_path = out / "arrival.json"
    arrival_path.unlink(missing_ok=True)
    # locust's own time limit is only a safety net: the locustfile ends the working period
    limit = args.duration + args.users / args.spawn_rate + 600
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
        f"{limit:.0f}s",
        "--host",
        url,
        "--csv",
        str(prefix),
        "--only-summary",
        "--loglevel",
        "WARNING",
    ]
    env = {
        "LOAD_PLAN": str(plan_path),
        "LOAD_THINK": args.think,
        "LOAD_USERS": str(args.users),
        "LOAD_DURATION": str(args.duration),
        "LOAD_ARRIVAL": str(arrival_path),
    }
    first = cpu_sample(roots)
    process = processes.start("locust", command, env)
    start = time.monotonic()
    middle: CpuSample | None = None
    at_work = 0.0
    while process.poll() is None:
        if middle is None and arrival_path.exists():
            middle, at_work = cpu_sample(roots), time.monotonic()
        if time.monotonic() - start > limit + 60:
            raise BenchError(f"locust did not stop within {limit + 60:.0f} s")
        time.sleep(0.2)
    last = cpu_sample(roots)
    if middle is None:
        raise BenchError(
            f"the working period never started: not all {args.users} people finished logging "
            f"in (locust exit status {process.returncode})"
        )
    arrival = json.loads(arrival_path.read_text(encoding="utf-8"))
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
    failures = [(f"arrival: {e['name']}", e["error"], int(e["count"])) for e in arrival["errors"]]
    failures_csv = Path(f"{prefix}_failures.csv")
    if failures_csv.exists():
        with failures_csv.open(newline="", encoding="utf-8") as handle:
            for line in csv.DictReader(handle):
                failures.append((line["Name"], line["Error"], int(line["Occurrences"])))
    exceptions_csv = Path(f"{prefix}_exceptions.csv")
    if exceptions_csv.exists():  # an error in the locustfile: the person stopped acting
        with exceptions_csv.open(newline="", encoding="utf-8") as handle:
            for line in csv.DictReader(handle):
                where = line["Traceback"].strip().splitlines()[-2:]
                failures.append(
                    (EXCEPTION, f"{line['Message']} at {' '.join(where)}", int(line["Count"]))
                )
    arrival_cpu = cpu_used(first, middle)
    arrival_cpu.pop("locust")  # known only once locust has exited: counted in the work
    return Run(
        rows,
        failures,
        arrival,
        arrival_cpu,
        cpu_used(middle, last),
        time.monotonic() - at_work,
    )


def number(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        return float("nan")


# --- report ---------------------------------------------------------------------------------


def report_arrival(arrival: dict[str, Any], args: argparse.Namespace) -> None:
    seconds = float(arrival["seconds"])
    print(
        f"\n1. Arrival: {args.users} people log in, started at {args.spawn_rate:g}/s; the last "
        f"was in after {seconds:.0f} s ({args.users / seconds:.1f} logins/s). Client side, ms"
    )
    print(TABLE_HEAD)
    for row in arrival["rows"]:
        label = "all requests" if row["name"] == "Aggregated" else f"{row['method']} {row['name']}"
        print(
            f"   {label[:30]:30} {row['requests']:8d} {row['failures']:6d} {row['p50']:6.0f} "
            f"{row['p95']:6.0f} {row['p99']:6.0f} {row['max']:6.0f}"
        )


def report_work(rows: list[Row], run: Run, args: argparse.Namespace) -> Row:
    overall = next((row for row in rows if row.name == "Aggregated"), None)
    if overall is None or overall.requests == 0:
        raise BenchError("locust made no requests in the working period")
    print(
        f"\n2. Working period: {args.users} people for {run.work_seconds:.0f} s, per request "
        "group. Client side (locust), ms as locust rounds them; a POST and the page it "
        "redirects to are two requests"
    )
    print(TABLE_HEAD + f" {'req/s':>6}")
    for row in sorted(
        (r for r in rows if r.name != "Aggregated" and r.requests),
        key=lambda r: (-r.requests, r.name),
    ):
        print(format_row(f"{row.kind} {row.name}", row))
    print(format_row("all requests", overall))
    return overall


TABLE_HEAD = (
    f"   {'request':30} {'requests':>8} {'failed':>6} {'p50':>6} {'p95':>6} {'p99':>6} {'max':>6}"
)


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
        print("\n3. Server side: no figures (the workers wrote none)")
        return
    print(
        "\n3. Per view, server side (in the gunicorn worker around the WSGI app; ms; SQL = time "
        "in cursor.execute; CPU = the worker's CPU time, CPU s = its sum over the run)"
    )
    print(
        f"   {'view':34} {'requests':>8} {'p50':>6} {'p95':>6} {'max':>6} {'SQL p50':>7} "
        f"{'queries':>7} {'CPU p50':>7} {'CPU s':>6}"
    )
    every: list[float] = []
    cpu_total = 0.0
    for name, values in sorted(merged.items(), key=lambda item: -sum(v[3] for v in item[1])):
        ms = [v[0] for v in values]
        sql = [v[1] for v in values]
        queries = [int(v[2]) for v in values]
        cpu = [v[3] for v in values]
        every.extend(ms)
        cpu_total += sum(cpu) / 1000
        spread = (
            f"{min(queries)}–{max(queries)}" if min(queries) != max(queries) else str(queries[0])
        )
        print(
            f"   {name[:34]:34} {len(values):8d} {statistics.median(ms):6.0f} "
            f"{percentile(ms, 0.95):6.0f} {max(ms):6.0f} {statistics.median(sql):7.1f} "
            f"{spread:>7} {statistics.median(cpu):7.1f} {sum(cpu) / 1000:6.1f}"
        )
    print(
        f"   {'all views':34} {len(every):8d} {statistics.median(every):6.0f} "
        f"{percentile(every, 0.95):6.0f} {max(every):6.0f} {'':7} {'':7} {'':7} {cpu_total:6.1f}"
    )


def report_failures(failures: list[tuple[str, str, int]]) -> None:
    if not failures:
        return
    print("\n4. Failures (most frequent first)")
    for name, error, count in sorted(failures, key=lambda f: -f[2])[:15]:
        print(f"   {count:5d}  {name}: {' '.join(error.split())[:160]}")


def report_cpu(used: dict[str, float], seconds: float, phase: str) -> None:
    ours = sum(v for name, v in used.items() if name != "machine")
    others = max(used["machine"] - ours, 0.0)
    cores = os.cpu_count() or 1
    parts = ", ".join(
        f"{name} {used[name]:.0f}"
        for name in ("gunicorn", "postgres", "celery", "locust")
        if name in used
    )
    print(
        f"   {phase} ({seconds:.0f} s × {cores} cores = {seconds * cores:.0f}): {parts}, "
        f"everything else on the machine {others:.0f} (busy {used['machine']:.0f}, "
        f"{100 * used['machine'] / max(seconds * cores, 1e-9):.0f} %)"
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
        run = run_locust(processes, args, url, plan_path, out, our_roots(processes))
        load_after = os.getloadavg()
        report_arrival(run.arrival, args)
        overall = report_work(run.rows, run, args)
        processes.stop()  # the workers write their last figures as they exit
        if not args.bare:
            report_server(stats)
        failures = run.failures
        report_failures(failures)
        print("\n5. CPU seconds (locust's own only after it exited, so in the working period)")
        report_cpu(run.arrival_cpu, float(run.arrival["seconds"]), "the arrival")
        report_cpu(run.work_cpu, run.work_seconds, "the working period")
        exceptions = sum(count for name, _error, count in failures if name == EXCEPTION)
        arrival_failures = sum(int(row["failures"]) for row in run.arrival["rows"][-1:])
        met = (
            overall.failures == 0
            and arrival_failures == 0
            and exceptions == 0
            and overall.p95 <= args.target_p95
        )
        print(
            f"\nload average after {load_after[0]:.2f} {load_after[1]:.2f} {load_after[2]:.2f}; "
            f"total {time.perf_counter() - started:.0f} s"
        )
        print(
            f"target: {args.users} users working for {args.duration} s, 0 failures, p95 <= "
            f"{args.target_p95:.0f} ms: {'MET' if met else 'MISSED'} "
            f"({overall.requests} requests, {overall.failures} failures"
            f"{f', {arrival_failures} failures while logging in' if arrival_failures else ''}"
            f"{f', {exceptions} locustfile exceptions' if exceptions else ''}, p50 {overall.p50:.0f} ms, "
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

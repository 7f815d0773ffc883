"""Letter PDF benchmark: the task code path against bare WeasyPrint, two Celery workers, and
the ZIP of a whole meeting's letters.

Not a test: it prints figures. Run it against throw-away services (see bench/README.md):

    bash tests/services.sh .venv/bin/python bench/letters.py [--repeat 5] [--letters 20]
        [--zip-letters 1000]

It migrates the database it is given, runs seed_demo, renders the three sample letters, and adds
corrected replies (through the reply services) so that the worker part has enough distinct
letters. Part 3 generates items (proposals.demo.generate) until one meeting has --zip-letters sent
replies, renders their letters with the two workers and writes the meeting's ZIP. It refuses the machine's default PostgreSQL (5432) and Redis (6379) unless given
--allow-default-ports. Generated PDFs go to a temporary media folder unless DJANGO_MEDIA_ROOT is
set.

Exit status: 0 ran and met the targets (ratio <= 1.10, >= 10 letters/s, the ZIP of 1 000 letters
in < 120 s), 1 failed, 2 refused (usage or configuration), 3 ran but missed a target.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime
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
RATIO_TARGET = 1.10
RATE_TARGET = 10.0  # letters per second with two workers
ZIP_TARGET = 120.0  # seconds for a meeting's 1 000 letters: rendered by two workers, then zipped
ZIP_TARGET_LETTERS = 1000
WORKERS = 2
POLL_SECONDS = 0.1


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Letter PDF benchmark (task path vs bare WeasyPrint; two Celery workers)."
    )
    parser.add_argument(
        "--repeat", type=int, default=5, help="timed renders per sample reply and path (5)"
    )
    parser.add_argument(
        "--letters", type=int, default=20, help="letters queued to the two workers (20)"
    )
    parser.add_argument(
        "--zip-letters",
        type=int,
        default=ZIP_TARGET_LETTERS,
        help=f"letters of one generated meeting rendered and zipped ({ZIP_TARGET_LETTERS}; 0 skips)",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=300.0,
        help="seconds allowed for each wait on the workers (300)",
    )
    parser.add_argument(
        "--skip-workers", action="store_true", help="only the in-process comparison"
    )
    parser.add_argument(
        "--profile",
        metavar="DIR",
        help="also write cProfile stats of one task render and one bare render to DIR",
    )
    parser.add_argument(
        "--allow-default-ports",
        action="store_true",
        help="allow PostgreSQL on 5432 and Redis on 6379 (refused by default)",
    )
    args = parser.parse_args(argv)
    if args.repeat < 1 or args.letters < 1 or args.timeout <= 0 or args.zip_letters < 0:
        parser.error("--repeat and --letters must be at least 1, --timeout positive")
    return args


# --- configuration checks, before Django is set up ------------------------------------------


def check_environment(args: argparse.Namespace) -> None:
    """Refuse anything that would write to a database or broker the user did not point us at."""
    check_database(
        args.allow_default_ports,
        "the settings would use the project's SQLite file (var/db.sqlite3)",
    )
    broker = os.environ.get("CELERY_BROKER_URL", "")
    if not broker and not args.skip_workers:
        raise Refused(
            "CELERY_BROKER_URL is not set: the worker part needs a Redis broker "
            "(tests/services.sh provides one), or pass --skip-workers."
        )
    if broker:
        check_broker(broker, args.allow_default_ports)


def setup_django(media_root: Path, args: argparse.Namespace) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
    os.environ["DJANGO_MEDIA_ROOT"] = str(media_root)  # inherited by the workers
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    os.chdir(ROOT)
    import django

    django.setup()

    from config.celery import app

    if not app.conf.task_always_eager:  # jobs queued by seed_demo and the services go there
        check_broker(str(app.conf.broker_url), args.allow_default_ports)
    check_django_settings(media_root)


def prepare_database() -> None:
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    call_command("seed_demo", stdout=io.StringIO())


def purge_broker() -> int:
    """Drop jobs queued by seed_demo and the services (letters, e-mails): the benchmark queues
    its own, and the workers must not start on stale ones."""
    from config.celery import app

    return int(app.control.purge() or 0)


# --- the three sample replies ---------------------------------------------------------------


def sample_replies() -> list[Any]:
    """The current sent reply of each of the three sample items (a correction, if re-run)."""
    from proposals.demo.data import sample_replies as samples
    from replies.models import Reply, ReplyStatus

    replies = []
    for title in samples():
        reply = (
            Reply.objects.filter(proposal__title=title, status=ReplyStatus.SENT)
            .select_related("letter")
            .order_by("-pk")
            .first()
        )
        if reply is None or not hasattr(reply, "letter"):
            raise BenchError(f"seed_demo left no sent reply with a letter for 《{title}》")
        replies.append(reply)
    return replies


def letter_reply(letter_id: int) -> Any:
    """The reply as the task loads it."""
    from replies.models import Letter

    return (
        Letter.objects.select_related("reply", "reply__proposal__meeting", "reply__unit")
        .get(pk=letter_id)
        .reply
    )


def label(reply: Any) -> str:
    return f"#{reply.pk} {reply.unit.short_name} {reply.document_number}"


# --- part 1: task code path against bare WeasyPrint -----------------------------------------


@dataclass
class Timings:
    reply: Any
    letter_id: int
    pages: int = 0
    task: list[float] = field(default_factory=list)
    bare: list[float] = field(default_factory=list)
    task_cpu: list[float] = field(default_factory=list)  # this process's CPU seconds


def run_task(letter_id: int, cpu: list[float] | None = None) -> float:
    """Reset the letter to pending, run the task in this process; seconds of wall time (and
    this process's CPU seconds appended to `cpu`)."""
    from replies.models import Letter, LetterStatus
    from replies.tasks import render_letter_task

    Letter.objects.filter(pk=letter_id).update(status=LetterStatus.PENDING, error="")
    start, start_cpu = time.perf_counter(), time.process_time()
    result = render_letter_task.apply(args=[letter_id])
    elapsed = time.perf_counter() - start
    if cpu is not None:
        cpu.append(time.process_time() - start_cpu)
    outcome = result.get(propagate=True)
    letter = Letter.objects.get(pk=letter_id)
    if outcome != "ready" or letter.status != LetterStatus.READY:
        raise BenchError(f"letter {letter_id}: task returned {outcome!r}, {letter.error}")
    if not letter.page_count or not letter.file.storage.exists(letter.file.name or ""):
        raise BenchError(f"letter {letter_id} is ready without a file or page count")
    return elapsed


def run_bare(reply: Any) -> float:
    """Plain WeasyPrint on the letter's HTML, with what the task's rendering sets up once per
    process: the font configuration, the letter's stylesheet (its @font-face rules load once),
    the letters' user-agent stylesheet and the PDF compression level."""
    from replies.fonts import font_configuration
    from replies.letters import (
        letter_document_class,
        letter_html,
        letter_stylesheets,
        reduce_compression_effort,
    )

    reduce_compression_effort()
    start = time.perf_counter()
    pdf = (
        letter_document_class()(string=letter_html(reply))
        .render(font_config=font_configuration(), stylesheets=letter_stylesheets())
        .write_pdf()
    )
    elapsed = time.perf_counter() - start
    if not pdf or not pdf.startswith(b"%PDF"):
        raise BenchError(f"bare WeasyPrint gave no PDF for reply {reply.pk}")
    return elapsed


def compare_paths(replies: list[Any], repeat: int) -> list[Timings]:
    from replies.models import Letter

    rows = [Timings(reply=reply, letter_id=reply.letter.pk) for reply in replies]
    for row in rows:  # warm-up: fonts, fontconfig, templates, first queries
        run_task(row.letter_id)
        run_bare(letter_reply(row.letter_id))
    for round_number in range(repeat):
        for row in rows:
            reply = letter_reply(row.letter_id)
            # alternate the order so that neither path always runs on a warmer cache
            if round_number % 2 == 0:
                row.task.append(run_task(row.letter_id, row.task_cpu))
                row.bare.append(run_bare(reply))
            else:
                row.bare.append(run_bare(reply))
                row.task.append(run_task(row.letter_id, row.task_cpu))
    for row in rows:
        row.pages = Letter.objects.get(pk=row.letter_id).page_count or 0
    return rows


def ms(seconds: float) -> str:
    return f"{seconds * 1000:8.0f}"


def report_paths(rows: list[Timings], repeat: int) -> float:
    print(f"\n1. Milliseconds per letter, in process ({repeat} timed renders per path and reply,")
    print("   after one warm-up of each; paths interleaved)")
    print(f"   {'pages':>5} {'task p50':>8} {'bare p50':>8} {'ratio':>6}  reply")
    for row in rows:
        task, bare = statistics.median(row.task), statistics.median(row.bare)
        print(f"   {row.pages:5d} {ms(task)} {ms(bare)} {task / bare:6.2f}  {label(row.reply)}")
    task = statistics.median([t for row in rows for t in row.task])
    bare = statistics.median([t for row in rows for t in row.bare])
    ratio = task / bare
    count = sum(len(row.task) for row in rows)
    print(f"   {'all':>5} {ms(task)} {ms(bare)} {ratio:6.2f}  ({count} renders per path)")
    task_p95 = percentile([t for row in rows for t in row.task], 0.95)
    bare_p95 = percentile([t for row in rows for t in row.bare], 0.95)
    print(f"   {'p95':>5} {ms(task_p95)} {ms(bare_p95)} {task_p95 / bare_p95:6.2f}")
    cpu = [t for row in rows for t in row.task_cpu]
    print(
        f"   task path CPU of this process, ms: p50 {ms(statistics.median(cpu)).strip()}, "
        f"p95 {ms(percentile(cpu, 0.95)).strip()} (less sensitive to other load than wall time)"
    )
    task_min = min(t for row in rows for t in row.task)
    bare_min = min(t for row in rows for t in row.bare)
    print(f"   {'min':>5} {ms(task_min)} {ms(bare_min)} {task_min / bare_min:6.2f}")
    verdict = "met" if ratio <= RATIO_TARGET else "MISSED"
    print(f"   task/bare p50 ratio {ratio:.2f}, target <= {RATIO_TARGET:.2f}: {verdict}")
    return task


def profile(rows: list[Timings], folder: Path) -> None:
    import cProfile
    import pstats

    folder.mkdir(parents=True, exist_ok=True)
    letter_id = rows[0].letter_id
    reply = letter_reply(letter_id)
    for name, call in (("task", lambda: run_task(letter_id)), ("bare", lambda: run_bare(reply))):
        profiler = cProfile.Profile()
        profiler.runcall(call)
        path = folder / f"letters-{name}.prof"
        profiler.dump_stats(path)
        print(f"\n   cProfile of one {name} render ({path}), top 12 by cumulative time:")
        stream = io.StringIO()
        pstats.Stats(profiler, stream=stream).sort_stats("cumulative").print_stats(12)
        print("\n".join("   " + line for line in stream.getvalue().splitlines() if line.strip()))


# --- part 2: letters per second with two worker processes -----------------------------------


def add_corrections(replies: list[Any], wanted: int) -> list[int]:
    """At least `wanted` distinct letters of the sample items: each correction made through the
    services (correct, then signed by the unit leader) is a new sent reply with its own Letter."""
    from accounts.models import Role, User
    from replies import services
    from replies.models import Letter

    items = [reply.proposal_id for reply in replies]
    current = list(replies)
    letters = Letter.objects.filter(reply__proposal_id__in=items)
    index = 0
    while letters.count() < wanted:
        reply = current[index % len(current)]
        staff = User.objects.filter(unit_id=reply.unit_id, role=Role.UNIT_STAFF).first()
        leader = User.objects.filter(unit_id=reply.unit_id, role=Role.UNIT_LEADER).first()
        if staff is None or leader is None:
            raise BenchError(f"no staff and leader in the unit of reply {reply.pk}")
        draft = services.reply_correct(reply=reply, actor=staff)
        sent = services.reply_sign(reply=draft, actor=leader)
        if sent.status != "sent":
            raise BenchError(f"correction {sent.pk} was not sent but is {sent.status}")
        current[index % len(current)] = sent
        index += 1
    return list(letters.order_by("-pk").values_list("pk", flat=True)[:wanted])


def reset(letter_ids: list[int]) -> None:
    from replies.models import Letter, LetterStatus

    Letter.objects.filter(pk__in=letter_ids).update(status=LetterStatus.PENDING, error="")


def queue(letter_ids: list[int]) -> None:
    from replies.tasks import render_letter_task

    for letter_id in letter_ids:
        render_letter_task.delay(letter_id)


class Workers:
    """Two `celery worker --concurrency 1` processes (prefork: a main process and one child
    each), each in a session of its own so that it can be stopped with its child."""

    def __init__(self, count: int, logs: Path) -> None:
        self.count = count
        self.logs = logs
        self.tag = f"bench{os.getpid()}"
        self.processes: list[subprocess.Popen[bytes]] = []

    def start(self, timeout: float) -> None:
        from config.celery import app

        for number in range(1, self.count + 1):
            command = [
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
                f"{self.tag}-{number}@%h",
            ]
            with open(self.logs / f"worker{number}.log", "wb") as log:
                self.processes.append(
                    subprocess.Popen(
                        command,
                        cwd=ROOT,
                        env=os.environ.copy(),
                        stdin=subprocess.DEVNULL,
                        stdout=log,
                        stderr=subprocess.STDOUT,
                        start_new_session=True,
                    )
                )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.check_alive()
            replies = app.control.ping(timeout=1.0) or []
            names = {name for reply in replies for name in reply if name.startswith(self.tag)}
            if len(names) == self.count:
                return
        raise BenchError(f"the workers did not answer a ping within {timeout:.0f} s")

    def task_counts(self) -> list[int]:
        """Render jobs each worker has run (warm-up included), as its stats report them."""
        from config.celery import app

        stats = app.control.inspect(timeout=2.0).stats() or {}
        counts = {
            name: int(data.get("total", {}).get("replies.tasks.render_letter_task", 0))
            for name, data in stats.items()
            if name.startswith(self.tag)
        }
        return [counts[name] for name in sorted(counts)]

    def cpu_seconds(self) -> tuple[float, float]:
        """CPU time (user + system) used so far by the workers' processes and their children,
        from /proc: the load-independent part of the figures on a shared machine; and the part
        of it that the main processes used (receiving jobs, handing them to the children)."""
        ticks = os.sysconf("SC_CLK_TCK")
        total = main = 0.0
        pending = [process.pid for process in self.processes]
        mains = set(pending)
        while pending:
            pid = pending.pop()
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                used = (int(fields[11]) + int(fields[12])) / ticks  # utime, stime
                total += used
                if pid in mains:
                    main += used
                for task in Path(f"/proc/{pid}/task").iterdir():
                    pending += [int(child) for child in (task / "children").read_text().split()]
            except (OSError, ValueError, IndexError):
                continue  # exited meanwhile
        return total, main

    def check_alive(self) -> None:
        """Fail fast: a worker that exited, or an error in a worker's log (a task that raised
        after claiming its letter leaves it `rendering`, which polling alone cannot tell)."""
        for number, process in enumerate(self.processes, 1):
            if process.poll() is not None:
                raise BenchError(f"worker {number} exited with status {process.returncode}")
            log = self.logs / f"worker{number}.log"
            text = log.read_text(errors="replace") if log.exists() else ""
            if "Traceback" in text or "ERROR/" in text:
                raise BenchError(f"worker {number} logged an error (see its log below)")

    def stop(self) -> None:
        """Warm shutdown (SIGTERM to each main process), then SIGKILL to what is left of each
        worker's own process group."""
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
        deadline = time.monotonic() + 30
        for process in self.processes:
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)  # our worker's group: leftover children
            process.wait(timeout=10)

    def tails(self, lines: int = 15) -> str:
        out = []
        for path in sorted(self.logs.glob("worker*.log")):
            text = path.read_text(errors="replace").splitlines()[-lines:]
            out.append(f"--- {path.name} (last {len(text)} lines)\n" + "\n".join(text))
        return "\n".join(out)


def wait_ready(letter_ids: list[int], workers: Workers, timeout: float) -> float:
    """Poll until every letter is ready; monotonic time at which that was seen."""
    from replies.models import Letter, LetterStatus

    deadline = time.monotonic() + timeout
    while True:
        statuses = list(Letter.objects.filter(pk__in=letter_ids).values_list("status", flat=True))
        if LetterStatus.FAILED in statuses:
            failed = Letter.objects.filter(pk__in=letter_ids, status=LetterStatus.FAILED)
            raise BenchError(f"letters failed: {list(failed.values_list('pk', 'error'))}")
        if statuses.count(LetterStatus.READY) == len(letter_ids):
            return time.monotonic()
        workers.check_alive()
        if time.monotonic() > deadline:
            ready = statuses.count(LetterStatus.READY)
            raise BenchError(f"only {ready}/{len(letter_ids)} letters ready after {timeout:.0f} s")
        time.sleep(POLL_SECONDS)


def check_rendered(letter_ids: list[int], since: datetime) -> datetime:
    """Every letter really rendered in this round; the time the last one was stored."""
    from replies.models import Letter

    last = since
    for letter in Letter.objects.filter(pk__in=letter_ids):
        if letter.rendered_at is None or letter.rendered_at < since:
            raise BenchError(f"letter {letter.pk} is ready but was not rendered in this round")
        if not letter.page_count or not letter.sha256:
            raise BenchError(f"letter {letter.pk} has no page count or checksum")
        if not letter.file.storage.exists(letter.file.name or ""):
            raise BenchError(f"letter {letter.pk} has no file at {letter.file.name}")
        last = max(last, letter.rendered_at)
    return last


@dataclass
class Round:
    letters: int
    seconds: float  # queued -> last letter stored
    cpu: float  # CPU seconds the workers used meanwhile
    main_cpu: float  # of which the workers' main processes

    @property
    def rate(self) -> float:
        return self.letters / self.seconds

    @property
    def idle_rate(self) -> float:
        """Letters/s if the workers had one idle core each: letters per CPU second, times the
        workers (what a dedicated 2-core machine would do, queueing and polling included)."""
        return WORKERS * self.letters / self.cpu

    def report(self, what: str) -> None:
        row(f"{what}, s", f"{self.seconds:.2f}")
        row("letters/s", f"{self.rate:.2f}")
        row("worker CPU per letter, ms", f"{1000 * self.cpu / self.letters:.0f}")
        row("… of which the main processes, ms", f"{1000 * self.main_cpu / self.letters:.1f}")
        row(f"letters/s on {WORKERS} idle cores (from the CPU used)", f"{self.idle_rate:.2f}")


def row(label: str, value: str) -> None:
    print(f"   {label:<50}{value:>10}")


def render_round(letter_ids: list[int], workers: Workers, timeout: float) -> Round:
    """Queue the letters to the running workers; seconds from queueing to the last letter
    stored (its rendered_at), after checking that every one was rendered in this round."""
    from django.utils import timezone

    reset(letter_ids)
    cpu, main_cpu = workers.cpu_seconds()
    started_at = timezone.now()
    queue(letter_ids)
    wait_ready(letter_ids, workers, timeout)
    cpu_after, main_cpu_after = workers.cpu_seconds()
    last = check_rendered(letter_ids, started_at)
    seconds = (last - started_at).total_seconds()
    return Round(len(letter_ids), seconds, cpu_after - cpu, main_cpu_after - main_cpu)


def run_workers(letter_ids: list[int], workers: Workers, timeout: float) -> float:
    """Letters per second through the two worker processes."""
    count = len(letter_ids)
    print(
        f"\n2. Letters per second, {WORKERS} worker processes (celery worker --concurrency 1 "
        f"each, prefork), {count} letters of the sample items"
    )
    done = render_round(letter_ids, workers, timeout)
    done.report("queued -> last letter stored")
    jobs = " + ".join(map(str, workers.task_counts()))
    row("render jobs per worker so far (incl. warm-up)", jobs)
    verdict = "met" if done.rate >= RATE_TARGET else "MISSED"
    print(f"   target >= {RATE_TARGET:.0f} letters/s: {verdict} (measured on this machine now)")
    return done.rate


# --- part 3: the ZIP of a whole meeting's letters --------------------------------------------


def generated_meeting(wanted: int) -> tuple[Any, list[int]]:
    """A meeting with at least `wanted` sent replies without a letter, generating items
    (proposals.demo.generate, as for the other benchmarks) until one has them; the pks of
    `wanted` of its replies."""
    from django.db.models import Count

    from proposals.demo.generate import generate_items
    from proposals.models import Meeting
    from replies.models import Reply, ReplyStatus

    def best() -> tuple[int, int]:
        row = (
            Reply.objects.filter(status=ReplyStatus.SENT, letter__isnull=True)
            .values("proposal__meeting")
            .annotate(count=Count("pk"))
            .order_by("-count")
            .first()
        )
        return (row["proposal__meeting"], row["count"]) if row else (0, 0)

    meeting_id, count = best()
    for _ in range(8):
        if count >= wanted:
            break
        generate_items(max(500, 2 * (wanted - count)))
        meeting_id, count = best()
    else:
        raise BenchError(f"no meeting got {wanted} sent replies from the generator")
    replies = Reply.objects.filter(
        status=ReplyStatus.SENT, letter__isnull=True, proposal__meeting_id=meeting_id
    ).order_by("pk")
    return Meeting.objects.get(pk=meeting_id), list(replies.values_list("pk", flat=True)[:wanted])


def run_zip(count: int, workers: Workers, timeout: float, scratch: Path) -> float:
    """Render `count` letters of one meeting with the two workers, then write the meeting's
    ZIP as the download and `export_letters` do; seconds for both."""
    from replies.archive import write_letters_zip
    from replies.models import Letter

    start = time.monotonic()
    meeting, reply_ids = generated_meeting(count)
    print(
        f"\n3. ZIP of a meeting's letters: {count} generated replies of {meeting.short_name} "
        f"(generated in {time.monotonic() - start:.1f} s, not counted)"
    )
    letters = Letter.objects.bulk_create([Letter(reply_id=pk) for pk in reply_ids])
    letter_ids = [letter.pk for letter in letters]
    purge_broker()
    done = render_round(letter_ids, workers, timeout)
    done.report(f"rendered by {WORKERS} workers")
    render = done.seconds
    counts = Letter.objects.filter(pk__in=letter_ids).values_list("page_count", flat=True)
    pages = sum(count or 0 for count in counts)
    row("pages a letter", f"{pages / count:.1f}")
    path = scratch / "meeting.zip"
    start = time.monotonic()
    with open(path, "wb") as target:
        archived = write_letters_zip(meeting, target)
    zipped = time.monotonic() - start
    if archived.missing or archived.written < count:
        raise BenchError(f"the ZIP holds {archived.written} letters, missing {archived.missing}")
    size = path.stat().st_size / 1e6
    row(f"ZIP written ({archived.written} letters, {size:.0f} MB), s", f"{zipped:.2f}")
    total = render + zipped
    verdict = "met" if total < ZIP_TARGET or count != ZIP_TARGET_LETTERS else "MISSED"
    row("rendered + zipped, s", f"{total:.2f}")
    print(f"   target < {ZIP_TARGET:.0f} s: {verdict} (measured on this machine now)")
    idle = count / done.idle_rate + zipped
    row(f"the same on {WORKERS} idle cores (from the CPU used), s", f"{idle:.2f}")
    return total


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    # SIGTERM (e.g. from tests/services.sh) unwinds like Ctrl-C, so the workers are stopped
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        check_environment(args)
    except Refused as error:
        print(f"letters.py: refused: {error}", file=sys.stderr)
        return 2
    scratch = Path(tempfile.mkdtemp(prefix="bench-letters-"))
    media = Path(os.environ["DJANGO_MEDIA_ROOT"]) if os.environ.get("DJANGO_MEDIA_ROOT") else None
    missed = []
    try:
        setup_django(media or scratch / "media", args)
        prepare_database()
        replies = sample_replies()
        print(
            f"Letter benchmark on {socket.gethostname()} ({os.cpu_count()} CPUs), "
            f"settings {os.environ['DJANGO_SETTINGS_MODULE']}, "
            f"PostgreSQL port {os.environ.get('POSTGRES_PORT')}, "
            f"load average {load()}"
        )
        rows = compare_paths(replies, args.repeat)
        task_p50 = report_paths(rows, args.repeat)
        ratio = task_p50 / statistics.median([t for row in rows for t in row.bare])
        if ratio > RATIO_TARGET:
            missed.append("ratio")
        if args.profile:
            profile(rows, Path(args.profile))
        if not args.skip_workers:
            from config.celery import app

            if app.conf.task_always_eager:
                raise BenchError("Celery runs eagerly in this process; workers need a broker")
            letter_ids = add_corrections(replies, max(args.letters, 2 * WORKERS))
            purge_broker()  # jobs queued by seed_demo and the corrections
            workers = Workers(WORKERS, scratch)
            try:
                workers.start(timeout=min(args.timeout, 120.0))
                # fonts and connections in each worker's child
                render_round(letter_ids[: 2 * WORKERS], workers, args.timeout)
                rate = run_workers(letter_ids[: args.letters], workers, args.timeout)
                serial = 1 / task_p50
                print(
                    f"   (one process, part 1 task p50: {serial:.2f}/s; scaling "
                    f"{rate / serial:.2f}x, ideal {WORKERS}x on >= {WORKERS} idle cores)"
                )
                print(f"   load average now {load()}")
                if rate < RATE_TARGET:
                    missed.append("letters/s")
                if args.zip_letters:
                    total = run_zip(args.zip_letters, workers, args.timeout, scratch)
                    print(f"   load average now {load()}")
                    if total >= ZIP_TARGET and args.zip_letters == ZIP_TARGET_LETTERS:
                        missed.append("ZIP")
            except BaseException:
                print(workers.tails(), file=sys.stderr)
                raise
            finally:
                workers.stop()
    except Refused as error:
        print(f"letters.py: refused: {error}", file=sys.stderr)
        return 2
    except BenchError as error:
        print(f"letters.py: FAILED: {error}", file=sys.stderr)
        return 1
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    if missed:
        print(f"missed: {', '.join(missed)}")
    return 3 if missed else 0


def load() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

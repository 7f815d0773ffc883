"""Report benchmark: the time to compute the 办理工作报告 (reports/) over 100 000 items.

Not a test: it prints figures. Run it against throw-away services (see bench/README.md):

    bash tests/services.sh .venv/bin/python bench/report.py [--repeat 5] [--items 100000]

The data set is the one bench/pages.py builds and reuses (its prepare_database: migrate,
`seed_demo --items N` unless the database already holds N items, VACUUM (ANALYZE)). Then, as the
supervisor of both bodies, it times --repeat times, after one warm-up run:

1. reports.figures.compute for the meeting with the most items;
2. the same for the year and body of that meeting (every meeting of that year);
3. the whole job once per scope: figures, charts, text, .docx and PDF (reports.jobs), with the
   time of each step.

It prints p50 and max per scope and the number of queries of one computation (constant: aggregate
queries only). Target: figures ≤ 5 s and the whole job ≤ 60 s at 100 000 items on 2 cores.

Exit status: 0 ran and met the targets, 1 failed, 2 refused, 3 ran but missed a target.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import statistics
import sys
import tempfile
import time
from pathlib import Path

from common import BenchError, Refused
from pages import SUPERVISOR, check_environment, prepare_database, setup_django

FIGURES_TARGET_S = 5.0
JOB_TARGET_S = 60.0


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="办理工作报告 benchmark (figures and documents).")
    parser.add_argument("--repeat", type=int, default=5, help="timed computations per scope (5)")
    parser.add_argument("--items", type=int, default=100_000, help="items wanted (100000)")
    parser.add_argument(
        "--min-assignments",
        type=int,
        default=300_000,
        help="fail unless the database holds at least this many assignments (300000)",
    )
    parser.add_argument("--statement-timeout", type=int, default=120, help="seconds (120)")
    parser.add_argument("--allow-default-ports", action="store_true")
    args = parser.parse_args(argv)
    if args.repeat < 1 or args.items < 1:
        parser.error("--repeat and --items must be at least 1")
    return args


def run(args: argparse.Namespace) -> bool:
    from django.db import connection, reset_queries
    from django.db.models import Count

    from accounts.models import User
    from proposals.models import Meeting
    from reports import documents
    from reports.figures import Scope, compute

    user = User.objects.get(username=SUPERVISOR)
    biggest = Meeting.objects.annotate(n=Count("proposals")).order_by("-n", "pk").first()
    if biggest is None:
        raise BenchError("no meeting in the database")
    scopes = {
        f"meeting {biggest.short_name} ({biggest.n} items)": Scope(meeting=biggest),  # type: ignore[attr-defined]
        f"year {biggest.year}, body {biggest.body}": Scope(year=biggest.year, body=biggest.body),
    }
    met = True
    print("\n1–2. reports.figures.compute (as the supervisor of both bodies)")
    for label, scope in scopes.items():
        compute(user, scope)  # warm-up
        times = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            figures = compute(user, scope)
            times.append(time.perf_counter() - start)
        from django.conf import settings

        settings.DEBUG = True
        reset_queries()
        compute(user, scope)
        queries = len(connection.queries)
        settings.DEBUG = False
        ok = max(times) <= FIGURES_TARGET_S
        met = met and ok
        print(
            f"   {label}: p50 {statistics.median(times):.2f} s, max {max(times):.2f} s, "
            f"{queries} queries; received {figures.counts['received']}, registered "
            f"{figures.counts['registered']}, units {figures.counts['units']} "
            f"(target <= {FIGURES_TARGET_S:.0f} s: {'MET' if ok else 'MISSED'})"
        )
    print("\n3. the whole report (figures, charts, text, .docx, PDF)")
    for label, scope in scopes.items():
        steps = {}
        start = time.perf_counter()
        figures = compute(user, scope)
        steps["figures"] = time.perf_counter() - start
        mark = time.perf_counter()
        charts = documents.chart_images(figures)
        steps["charts"] = time.perf_counter() - mark
        mark = time.perf_counter()
        html = documents.body_html(figures, charts)
        steps["text"] = time.perf_counter() - mark
        mark = time.perf_counter()
        docx = documents.docx_bytes(html)
        steps["docx"] = time.perf_counter() - mark
        mark = time.perf_counter()
        pdf = documents.pdf_bytes(html)
        steps["pdf"] = time.perf_counter() - mark
        total = time.perf_counter() - start
        ok = total <= JOB_TARGET_S
        met = met and ok
        print(
            f"   {label}: {total:.2f} s ("
            + ", ".join(f"{name} {seconds:.2f} s" for name, seconds in steps.items())
            + f"); .docx {len(docx) // 1024} KB, PDF {len(pdf) // 1024} KB "
            f"(target <= {JOB_TARGET_S:.0f} s: {'MET' if ok else 'MISSED'})"
        )
    return met


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        check_environment(args)
    except Refused as error:
        print(f"report.py: refused: {error}", file=sys.stderr)
        return 2
    scratch = Path(tempfile.mkdtemp(prefix="bench-report-"))
    media = Path(os.environ["DJANGO_MEDIA_ROOT"]) if os.environ.get("DJANGO_MEDIA_ROOT") else None
    try:
        setup_django(media or scratch / "media", args)
        print(f"Report benchmark, load average {os.getloadavg()[0]:.2f}")
        prepare_database(args)
        return 0 if run(args) else 3
    except (BenchError, Refused) as error:
        print(f"report.py: {error}", file=sys.stderr)
        return 1
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

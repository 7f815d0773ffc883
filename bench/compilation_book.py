"""汇编 benchmark: the PDF book of 1 000 generated items of one meeting with their replies.

Not a test: it prints figures. (Not bench/compilation.py: this folder is on sys.path when a
benchmark runs, and that name would hide the `compilation` app, for Python and for mypy.) Run it against throw-away services (see bench/README.md):

    bash tests/services.sh .venv/bin/python bench/compilation_book.py [--items 1000]
        [--edition all|public] [--chunk 50]

It migrates the database it is given, runs seed_demo, generates items (proposals.demo.generate,
as the other benchmarks do) until one meeting has --items registered items, then renders that
meeting's book (compilation.book.write_book, as the background job does) in a child process and
prints the wall time, the CPU time and the child's peak memory (max RSS). It refuses the
machine's default PostgreSQL (5432) unless given --allow-default-ports.

Exit status: 0 ran and met the target (under 10 minutes), 2 refused, 3 ran but missed it.
"""

from __future__ import annotations

import argparse
import io
import multiprocessing
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

from common import BenchError, Refused, check_database, check_django_settings

ROOT = Path(__file__).resolve().parent.parent
TARGET_SECONDS = 600.0


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="汇编 (compilation) PDF benchmark.")
    parser.add_argument("--items", type=int, default=1000, help="items in the book (1000)")
    parser.add_argument("--edition", choices=["all", "public"], default="all")
    parser.add_argument("--chunk", type=int, default=0, help="items per chunk (the default)")
    parser.add_argument("--allow-default-ports", action="store_true")
    return parser.parse_args(argv)


def setup_django(media_root: Path) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
    os.environ["DJANGO_MEDIA_ROOT"] = str(media_root)
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    os.chdir(ROOT)
    import django

    django.setup()
    check_django_settings(media_root)


def meeting_with(items: int) -> tuple[int, int]:
    """(meeting pk, registered items) of a meeting with at least `items` registered items,
    generating items until one has them."""
    from django.core.management import call_command
    from django.db.models import Count

    from compilation.book import REGISTERED_STATUSES
    from proposals.demo.generate import generate_items
    from proposals.models import Proposal

    call_command("migrate", interactive=False, verbosity=0)
    call_command("seed_demo", stdout=io.StringIO())

    def best() -> tuple[int, int]:
        row = (
            Proposal.objects.filter(status__in=REGISTERED_STATUSES)
            .values("meeting")
            .annotate(n=Count("pk"))
            .order_by("-n")
            .first()
        )
        return (row["meeting"], row["n"]) if row else (0, 0)

    meeting, count = best()
    for _ in range(10):
        if count >= items:
            return meeting, count
        generate_items(max(500, 2 * (items - count)))
        meeting, count = best()
    raise BenchError(f"no meeting got {items} registered items from the generator")


def render(meeting_id: int, edition: str, items: int, chunk: int, queue: object) -> None:
    """In the child: render the book, report (seconds, cpu seconds, pages, replies, bytes)."""
    from django.db import connections

    from compilation.book import CHUNK_ITEMS, write_book
    from proposals.models import Meeting

    connections.close_all()
    meeting = Meeting.objects.get(pk=meeting_id)
    start, cpu = time.monotonic(), time.process_time()
    marks: list[str] = []

    def progress(done: int, total: int) -> None:
        if done and (done * 10 // total) != ((done - (chunk or CHUNK_ITEMS)) * 10 // total):
            marks.append(f"{done}/{total} at {time.monotonic() - start:.0f} s")
            print(f"   {marks[-1]}", flush=True)

    with tempfile.TemporaryFile() as target:
        book = write_book(
            meeting,
            edition,
            target,
            progress=progress,
            chunk_items=chunk or CHUNK_ITEMS,
            limit=items,
        )
        size = target.tell()
    queue.put(  # type: ignore[attr-defined]
        (time.monotonic() - start, time.process_time() - cpu, book.pages, len(book.items), size)
    )


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    try:
        check_database(args.allow_default_ports, "the benchmark needs PostgreSQL")
    except Refused as error:
        print(f"compilation_book.py: refused: {error}", file=sys.stderr)
        return 2
    scratch = Path(tempfile.mkdtemp(prefix="bench-compilation-"))
    setup_django(Path(os.environ.get("DJANGO_MEDIA_ROOT") or scratch / "media"))
    from django.db import connections

    from replies.letters import prepare_fonts

    prepare_fonts()  # built once per checkout; not part of the book's time
    start = time.monotonic()
    meeting_id, registered = meeting_with(args.items)
    print(
        f"汇编 benchmark on {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}: "
        f"meeting #{meeting_id} with {registered} registered items "
        f"(data generated in {time.monotonic() - start:.0f} s, not counted)",
        flush=True,
    )
    connections.close_all()  # the child opens its own
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    child = context.Process(
        target=render, args=(meeting_id, args.edition, args.items, args.chunk, queue)
    )
    child.start()
    seconds, cpu, pages, items, size = queue.get()
    child.join()
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(
        f"book ({args.edition}): {items} items, {pages} pages, {size / 1e6:.1f} MB PDF\n"
        f"time: {seconds:.1f} s wall, {cpu:.1f} s CPU; peak memory (max RSS of the rendering "
        f"process): {peak_mb:.0f} MB; load average now {os.getloadavg()[0]:.2f}"
    )
    met = seconds < TARGET_SECONDS
    print(f"target < {TARGET_SECONDS:.0f} s: {'met' if met else 'MISSED'}")
    return 0 if met else 3


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

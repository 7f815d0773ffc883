"""Import benchmark: a sheet of 10 000 items checked (the preview) and imported in one
transaction through the services, as the background job does (intake.importer.run_batch).

Not a test: it prints figures. Run it against throw-away services:

    bash tests/services.sh .venv/bin/python bench/import_items.py [--rows 10000] [--members 300]

It migrates the database it is given and adds a meeting, members, a category and units; each row
is a 人大 item with one co-signer, half of them 立案 with a number, a tenth of those also assigned
to a unit with a co-handling unit. It prints the time to build the sheet, to check it (rows/s),
and to import it (rows/s).
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from common import Refused, check_database, check_django_settings  # noqa: E402


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--members", type=int, default=300)
    parser.add_argument("--allow-default-ports", action="store_true")
    return parser.parse_args(argv)


def setup_django(media_root: Path) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
    os.environ["DJANGO_MEDIA_ROOT"] = str(media_root)
    os.chdir(ROOT)
    import django

    django.setup()
    check_django_settings(media_root)


def prepare(members: int) -> tuple[object, object, list[str]]:
    from django.core.management import call_command
    from django.utils import timezone

    from accounts.models import MemberProfile, Unit, User
    from proposals.models import Category, Meeting

    call_command("migrate", interactive=False, verbosity=0)
    now = timezone.now()
    stamp = int(time.time())
    meeting = Meeting.objects.create(
        body="npc",
        term=90 + stamp % 9,
        sitting=stamp % 30000,
        year=now.year,
        name=f"导入基准会议{stamp}",
        short_name=f"导入基准{stamp}",
        session_starts_on=timezone.localdate() - timedelta(days=10),
        session_ends_on=timezone.localdate() - timedelta(days=6),
        submission_opens_at=now - timedelta(days=20),
        submission_closes_at=now + timedelta(days=30),
    )
    Category.objects.get_or_create(body="npc", parent=None, name="综合")
    for name, short in (("导入基准市民政局", "基准民政局"), ("导入基准市财政局", "基准财政局")):
        Unit.objects.get_or_create(name=name, defaults={"short_name": short})
    supervisor, _ = User.objects.get_or_create(
        username="bench_import_office",
        defaults={"full_name": "导入基准督办", "role": "supervisor", "supervisor_scope": "npc"},
    )
    names = []
    for n in range(members):
        username = f"bench_import_{n}"
        user, created = User.objects.get_or_create(
            username=username, defaults={"full_name": f"基准代表{n:04d}", "role": "member"}
        )
        if created:
            MemberProfile.objects.create(
                user=user, body="npc", submitter_type="deputy", delegation="基准代表团"
            )
        names.append(user.full_name)
    return meeting, supervisor, names


def sheet(meeting: object, names: list[str], rows: int) -> bytes:
    from django.utils import timezone
    from openpyxl import load_workbook

    from intake.sheet import template_bytes

    workbook = load_workbook(io.BytesIO(template_bytes(meeting)))  # type: ignore[arg-type]
    data = workbook.worksheets[0]
    headers = [cell.value for cell in data[1]]
    day = timezone.localdate() - timedelta(days=1)
    for n in range(rows):
        registered = n % 2 == 0
        row = {
            "标题": f"关于加强第{n}项民生工作的建议",
            "正文": f"第{n}项民生工作群众反映较多，建议有关部门加强统筹、加大投入、完善制度。" * 4,
            "领衔人": names[n % len(names)],
            "联名人": names[(n + 1) % len(names)],
            "分类": "综合",
            "提交日期": day,
            "审查结果": "立案" if registered else None,
            "编号": str(n + 1) if registered else None,
            "主办单位": "基准民政局" if registered and n % 20 == 0 else None,
            "会办单位": "基准财政局" if registered and n % 20 == 0 else None,
        }
        data.append([row.get(name) for name in headers])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    try:
        check_database(args.allow_default_ports, "the import must be measured on PostgreSQL")
    except Refused as error:
        print(f"import_items.py: refused: {error}", file=sys.stderr)
        return 2
    scratch = Path(tempfile.mkdtemp(prefix="bench-import-"))
    try:
        setup_django(scratch / "media")
        from django.core.files.uploadedfile import SimpleUploadedFile

        from intake import importer
        from intake.models import BatchStatus, ImportBatch
        from proposals.models import Proposal

        print(
            f"Import benchmark, {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}, "
            f"{args.rows} rows"
        )
        meeting, supervisor, names = prepare(args.members)
        start = time.perf_counter()
        content = sheet(meeting, names, args.rows)
        print(f"sheet built: {len(content) / 1e6:.1f} MB in {time.perf_counter() - start:.1f} s")

        start = time.perf_counter()
        batch = importer.batch_upload(
            owner=supervisor,  # type: ignore[arg-type]
            meeting=meeting,  # type: ignore[arg-type]
            upload=SimpleUploadedFile("bench.xlsx", content),
        )
        checked = time.perf_counter() - start
        if batch.bad_rows:
            print(f"import_items.py: FAILED: {batch.bad_rows} bad rows: {batch.errors[:3]}")
            return 1
        print(f"preview (read + check): {checked:.1f} s, {args.rows / checked:.0f} rows/s")

        ImportBatch.objects.filter(pk=batch.pk).update(status=BatchStatus.QUEUED)
        start = time.perf_counter()
        outcome = importer.run_batch(batch.pk)  # what the Celery job runs
        took = time.perf_counter() - start
        batch.refresh_from_db()
        if outcome != "imported" or batch.status != BatchStatus.IMPORTED:
            print(f"import_items.py: FAILED: {outcome} {batch.error}")
            return 1
        count = Proposal.objects.filter(meeting=meeting).count()
        print(
            f"import (re-read + re-check + write, one transaction): {took:.1f} s for "
            f"{count} items, {args.rows / took:.0f} rows/s"
        )
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

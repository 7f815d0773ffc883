"""Excel (.xlsx) exports of the filtered lists, built with openpyxl's write-only workbook.

Every export re-runs the page's own query: the user's permission-filtered queryset under the
page's filter (ProposalFilter, AssignmentFilter, the follow-up list's status and overdue), with
the page's query string. Small exports are answered in the request; larger ones (more than
`EXPORT_SYNC_MAX_ROWS` rows) become an `ExportJob` written by `proposals.tasks.export_job_task`,
which re-checks the owner's role and rebuilds the query with the owner's user object.

Cell text is neutralised against formula injection (OWASP "CSV injection"): text beginning with
=, +, -, @, a tab or a carriage return is written with a leading single quote, and always as a
string cell. Dates, times and numbers stay typed. The scorecards call `write_rows` directly.
"""

from __future__ import annotations

import io
import logging
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.files import File
from django.db import transaction
from django.db.models import QuerySet
from django.http import QueryDict
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from accounts.models import Role

from .filters import AssignmentFilter, ProposalFilter
from .models import Assignment, ExportJob, ExportKind, ExportStatus, Proposal

logger = logging.getLogger(__name__)

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PROGRESS_EVERY = 1000  # rows between two progress updates of a background job
CHUNK_SIZE = 1000  # rows fetched from the database at a time
DEFAULT_SYNC_MAX_ROWS = 5000
PENDING_TOO_LONG = timedelta(minutes=2)  # queued but never started: the broker lost it
RUNNING_TOO_LONG = timedelta(minutes=15)  # no progress for this long: the worker died
MAX_CELL_CHARS = 32767  # Excel's limit for one cell
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
UNIT_ROLES = (Role.UNIT_STAFF, Role.UNIT_LEADER)


def sync_max_rows() -> int:
    """Exports up to this many rows are answered at once; larger ones run in the background."""
    return int(getattr(settings, "EXPORT_SYNC_MAX_ROWS", DEFAULT_SYNC_MAX_ROWS))


# --- cells and workbooks -------------------------------------------------------------------


def safe_cell(value: Any) -> Any:
    """A value ready for a cell: numbers, dates and times stay typed (aware datetimes in local
    time, as Excel has no time zones); anything else becomes text, with characters that XML
    cannot carry removed and a leading ' added where Excel would read a formula."""
    if value is None or isinstance(value, bool | int | float | Decimal):
        return value
    if isinstance(value, datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        return value.replace(tzinfo=None)
    if isinstance(value, date | time | timedelta):
        return value
    text = ILLEGAL_CHARACTERS_RE.sub("", str(value))
    if text.startswith(FORMULA_PREFIXES):
        text = "'" + text
    return text[:MAX_CELL_CHARS]


@dataclass(frozen=True)
class Column:
    header: str | Promise
    width: float = 14


def _column(header: str | Promise | Column) -> Column:
    if isinstance(header, Column):
        return header
    return Column(header, max(10.0, 2.2 * len(str(header)) + 4))


def _sheet_title(title: str) -> str:
    for char in "[]:*?/\\":
        title = title.replace(char, " ")
    return title.strip()[:31] or "Sheet1"


def write_workbook(
    target: IO[bytes],
    rows: Iterable[Sequence[Any]],
    headers: Sequence[str | Promise | Column],
    *,
    sheet_title: str = "",
    on_progress: Callable[[int], None] | None = None,
    progress_every: int = PROGRESS_EVERY,
) -> int:
    """Write one sheet (bold, frozen header row; set column widths; an auto-filter over the
    data) to `target` and return the number of data rows. Rows are streamed: only the current
    row is held in memory. `on_progress(n)` is called after every `progress_every` rows."""
    columns = [_column(header) for header in headers]
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_sheet_title(sheet_title))
    for index, column in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = column.width
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="F2F2F2")
    centre = Alignment(horizontal="center", vertical="center")
    header_cells = []
    for column in columns:
        cell = WriteOnlyCell(sheet, value=safe_cell(str(column.header)))
        cell.font, cell.fill, cell.alignment = bold, fill, centre
        header_cells.append(cell)
    sheet.append(header_cells)
    count = 0
    for row in rows:
        sheet.append([_typed_cell(sheet, value) for value in row])
        count += 1
        if on_progress is not None and count % progress_every == 0:
            on_progress(count)
    if columns:
        last = get_column_letter(len(columns))
        sheet.auto_filter.ref = f"A1:{last}{count + 1}"
    workbook.save(target)
    return count


def _typed_cell(sheet: Any, value: Any) -> Any:
    value = safe_cell(value)
    if isinstance(value, datetime):
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = DATETIME_FORMAT
        return cell
    if isinstance(value, date):
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = DATE_FORMAT
        return cell
    if isinstance(value, str):
        # an explicit string cell: openpyxl would otherwise read a leading "=" as a formula
        cell = WriteOnlyCell(sheet, value=value)
        cell.data_type = "s"
        return cell
    return value


def write_rows(
    rows: Iterable[Sequence[Any]],
    headers: Sequence[str | Promise | Column],
    *,
    sheet_title: str = "",
) -> bytes:
    """The .xlsx file of `rows` under a header row, as bytes (for the scorecards and the small
    list exports answered in the request)."""
    buffer = io.BytesIO()
    write_workbook(buffer, rows, headers, sheet_title=sheet_title)
    return buffer.getvalue()


# --- the lists -----------------------------------------------------------------------------


def _days_left(day: date | None, today: date) -> int | None:
    return (day - today).days if day else None


def item_queryset(user: Any, data: QueryDict) -> QuerySet[Proposal]:
    """The item list (建议提案) exactly as proposals.views.items.proposal_list filters it."""
    base = Proposal.objects.for_user(user).select_related("meeting", "category__parent", "lead")
    return ProposalFilter(data, queryset=base).qs


def item_row(item: Proposal, today: date) -> list[Any]:
    return [
        item.number_label,
        item.title,
        str(item.lead),
        item.meeting.short_name,
        str(item.category) if item.category_id else "",
        item.get_status_display(),
        item.submitted_at,
        _("是") if item.is_key else "",
    ]


def workspace_queryset(user: Any, data: QueryDict) -> QuerySet[Assignment]:
    """The unit's workspace (本单位承办) as proposals.views.handling.unit_workspace filters it."""
    base = (
        Assignment.objects.filter(unit_id=user.unit_id or 0)
        .select_related("proposal", "proposal__meeting", "proposal__lead")
        .order_by("due_on", "pk")
    )
    if not data:
        data = data.copy()
        data["status"] = ""
    return AssignmentFilter(data, queryset=base).qs


def workspace_row(assignment: Assignment, today: date) -> list[Any]:
    running = assignment.is_open
    return [
        assignment.proposal.number_label,
        assignment.proposal.title,
        str(assignment.proposal.lead),
        assignment.get_role_display(),
        timezone.localdate(assignment.assigned_at),
        assignment.due_on,
        _days_left(assignment.due_on, today) if running else None,
        assignment.status_label,
    ]


def follow_up_queryset(user: Any, data: QueryDict) -> QuerySet[Any]:
    """落实情况 as replies.views.follow_up_list filters it."""
    from replies.models import FollowUp, FollowUpStatus
    from replies.permissions import replies_for_user

    records = FollowUp.objects.filter(reply__in=replies_for_user(user)).select_related(
        "reply", "reply__proposal", "reply__unit"
    )
    if user.is_unit_user:
        records = records.filter(reply__unit_id=user.unit_id or 0)
    status = data.get("status", "")
    if status in FollowUpStatus.values:
        records = records.filter(status=status)
    if data.get("overdue") == "true":
        records = records.filter(status=FollowUpStatus.OPEN, due_on__lt=timezone.localdate())
    return records.order_by("due_on", "pk")


def follow_up_row(record: Any, today: date) -> list[Any]:
    from replies.models import FollowUpStatus

    proposal = record.reply.proposal
    return [
        proposal.number_label,
        proposal.title,
        record.reply.unit.short_name,
        record.promise,
        record.due_on,
        _days_left(record.due_on, today) if record.status == FollowUpStatus.OPEN else None,
        record.get_status_display(),
    ]


@dataclass(frozen=True)
class ListExport:
    kind: str
    title: Promise
    columns: tuple[Column, ...]
    roles: tuple[str, ...] | None  # None: any logged-in user
    queryset: Callable[[Any, QueryDict], QuerySet[Any]]
    row: Callable[[Any, date], list[Any]]
    list_url: str  # the page the export comes from

    def allows(self, user: Any) -> bool:
        if not getattr(user, "is_authenticated", False) or not user.is_active:
            return False
        return self.roles is None or user.role in self.roles


EXPORTS: dict[str, ListExport] = {
    ExportKind.ITEMS: ListExport(
        kind=ExportKind.ITEMS,
        title=gettext_lazy("建议提案"),
        columns=(
            Column(gettext_lazy("编号"), 14),
            Column(gettext_lazy("标题"), 48),
            Column(gettext_lazy("领衔人"), 14),
            Column(gettext_lazy("届次会议"), 24),
            Column(gettext_lazy("类别"), 20),
            Column(gettext_lazy("状态"), 12),
            Column(gettext_lazy("提交时间"), 18),
            Column(gettext_lazy("重点"), 8),
        ),
        roles=None,
        queryset=item_queryset,
        row=item_row,
        list_url="proposals:list",
    ),
    ExportKind.WORKSPACE: ListExport(
        kind=ExportKind.WORKSPACE,
        title=gettext_lazy("本单位承办"),
        columns=(
            Column(gettext_lazy("编号"), 14),
            Column(gettext_lazy("标题"), 48),
            Column(gettext_lazy("领衔人"), 14),
            Column(gettext_lazy("承办方式"), 10),
            Column(gettext_lazy("交办时间"), 13),
            Column(gettext_lazy("办理期限"), 13),
            Column(gettext_lazy("剩余天数"), 10),
            Column(gettext_lazy("状态"), 16),
        ),
        roles=UNIT_ROLES,
        queryset=workspace_queryset,
        row=workspace_row,
        list_url="proposals:unit_workspace",
    ),
    ExportKind.FOLLOW_UPS: ListExport(
        kind=ExportKind.FOLLOW_UPS,
        title=gettext_lazy("落实情况"),
        columns=(
            Column(gettext_lazy("编号"), 14),
            Column(gettext_lazy("标题"), 40),
            Column(gettext_lazy("答复单位"), 16),
            Column(gettext_lazy("承诺事项"), 48),
            Column(gettext_lazy("承诺完成日期"), 14),
            Column(gettext_lazy("剩余天数"), 10),
            Column(gettext_lazy("状态"), 12),
        ),
        roles=(*UNIT_ROLES, Role.SUPERVISOR),
        queryset=follow_up_queryset,
        row=follow_up_row,
        list_url="replies:follow_ups",
    ),
}


def clean_query(data: QueryDict) -> str:
    """The page's query string without the page number (an export holds every page)."""
    query = data.copy()
    query.pop("page", None)
    return query.urlencode()


def export_queryset(kind: str, user: Any, query: str) -> QuerySet[Any]:
    """The rows `user` sees on the list `kind` with the filters in `query`; PermissionDenied
    when the user's role may not use that list (any more)."""
    spec = EXPORTS[kind]
    if not spec.allows(user):
        raise PermissionDenied(_("您的角色不能使用这个页面。"))
    return spec.queryset(user, QueryDict(query))


def export_rows(kind: str, queryset: QuerySet[Any]) -> Iterator[list[Any]]:
    spec = EXPORTS[kind]
    today = timezone.localdate()
    for obj in queryset.iterator(chunk_size=CHUNK_SIZE):
        yield spec.row(obj, today)


def export_bytes(kind: str, queryset: QuerySet[Any]) -> bytes:
    spec = EXPORTS[kind]
    return write_rows(export_rows(kind, queryset), spec.columns, sheet_title=str(spec.title))


def export_filename(kind: str, when: datetime | None = None) -> str:
    """建议提案-20260301-1030.xlsx (sent with RFC 5987 encoding by FileResponse)."""
    when = timezone.localtime(when or timezone.now())
    return f"{EXPORTS[kind].title}-{when:%Y%m%d-%H%M}.xlsx"


# --- background jobs -----------------------------------------------------------------------


def start_job(*, owner: Any, kind: str, query: str, total: int) -> ExportJob:
    """An export job queued after commit; the owner's unfinished job for the same list and
    filters is reused, so that clicking twice does not build the file twice."""
    with transaction.atomic():
        existing = (
            ExportJob.objects.select_for_update()
            .filter(
                owner=owner,
                kind=kind,
                query=query,
                status__in=[ExportStatus.PENDING, ExportStatus.RUNNING],
            )
            .first()
        )
        if existing is not None:
            return existing
        job = ExportJob.objects.create(owner=owner, kind=kind, query=query, total=total)
        transaction.on_commit(lambda: queue_job(job.pk))
    return job


def queue_job(job_id: int) -> None:
    from .tasks import export_job_task

    try:
        export_job_task.delay(job_id)
    except Exception:  # broker down: the job stays pending; its status page queues it again
        logger.warning("could not queue export job %s", job_id, exc_info=True)


def requeue_if_stalled(job: ExportJob) -> bool:
    """Queue again a job the broker lost (pending too long) or whose worker died (no progress
    for too long). The task's claim keeps a job from being written twice at once."""
    now = timezone.now()
    last_seen = job.heartbeat_at or job.created_at
    if job.status == ExportStatus.PENDING:
        stalled = last_seen < now - PENDING_TOO_LONG
    elif job.status == ExportStatus.RUNNING:
        stalled = last_seen < now - RUNNING_TOO_LONG
    else:
        return False
    if not stalled:
        return False
    reset = ExportJob.objects.filter(
        pk=job.pk, status=job.status, heartbeat_at=job.heartbeat_at
    ).update(status=ExportStatus.PENDING, done=0, heartbeat_at=now)
    if not reset:  # someone else moved it on meanwhile
        return False
    transaction.on_commit(lambda: queue_job(job.pk))
    return True


class JobCancelled(Exception):
    """The job was reset or removed while being written: stop, keep nothing."""


def write_job_file(job: ExportJob) -> tuple[str, int]:
    """Re-run the owner's query, write the file in a temporary file with progress every
    PROGRESS_EVERY rows, store it and return (stored name, rows)."""
    owner = job.owner
    queryset = export_queryset(job.kind, owner, job.query)  # permissions checked again
    total = queryset.count()
    claimed = ExportJob.objects.filter(pk=job.pk, status=ExportStatus.RUNNING)
    if not claimed.update(total=total, heartbeat_at=timezone.now()):
        raise JobCancelled

    def progress(done: int) -> None:
        if not claimed.update(done=done, heartbeat_at=timezone.now()):
            raise JobCancelled

    spec = EXPORTS[job.kind]
    with tempfile.TemporaryFile(suffix=".xlsx") as target:
        rows = write_workbook(
            target,
            export_rows(job.kind, queryset),
            spec.columns,
            sheet_title=str(spec.title),
            on_progress=progress,
        )
        target.seek(0)
        job.file.save(f"export-{job.pk}.xlsx", File(target), save=False)
    return job.file.name or "", rows

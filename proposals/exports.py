"""Excel (.xlsx) exports of the filtered lists (files written by proposals.workbook).

Every export re-runs the page's own query: the user's permission-filtered queryset under the
page's filter (ProposalFilter, AssignmentFilter, the follow-up list's status and overdue), with
the page's query string. Small exports are answered in the request; larger ones (more than
`EXPORT_SYNC_MAX_ROWS` rows) become an `ExportJob` written by `proposals.tasks.export_job_task`,
which re-checks the owner's role and rebuilds the query with the owner's user object.

The item export's columns (proposals.export_items) are the person's choice, remembered in
their preferences and frozen into a background job's query when it starts.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.db import transaction
from django.db.models import QuerySet
from django.http import QueryDict
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Role

from . import jobs
from .export_items import ITEM_COLUMNS, item_queryset, item_rows
from .filters import AssignmentFilter
from .jobs import StallPolicy
from .models import Assignment, ExportJob, ExportKind, ExportStatus
from .workbook import CHUNK_SIZE, Column, write_rows, write_workbook

logger = logging.getLogger(__name__)

PENDING_TOO_LONG = timedelta(minutes=2)  # queued but never started: the broker lost it
RUNNING_TOO_LONG = timedelta(minutes=15)  # no progress for this long: the worker died
UNIT_ROLES = (Role.UNIT_STAFF, Role.UNIT_LEADER)


def sync_max_rows() -> int:
    """Exports up to this many rows are answered at once; larger ones run in the background
    (the EXPORT_SYNC_MAX_ROWS setting, read from the environment)."""
    return int(settings.EXPORT_SYNC_MAX_ROWS)


def _days_left(day: date | None, today: date) -> int | None:
    return (day - today).days if day else None


# --- the person's choice of columns (the item export) ---------------------------------------

EXPORT_COLUMNS_PREFERENCE = "export_columns"  # {kind: [column keys]} in User.preferences


def _saved_choices(preferences: Any) -> dict[str, Any]:
    saved = preferences.get(EXPORT_COLUMNS_PREFERENCE) if isinstance(preferences, dict) else None
    return dict(saved) if isinstance(saved, dict) else {}


def chosen_columns(user: Any, kind: str) -> tuple[str, ...]:
    """The columns `user` last chose for the export `kind` (known ones, in the export's
    order); the export's default columns when they chose none."""
    spec = EXPORTS[kind]
    if not spec.choosable:
        return spec.keys
    saved = _saved_choices(getattr(user, "preferences", None)).get(kind)
    if not isinstance(saved, list):
        return spec.default_keys
    return tuple(key for key in spec.keys if key in saved) or spec.default_keys


def _save_choice(user: Any, kind: str, keys: Sequence[str] | None) -> None:
    """Write one export's choice (None: forget it) into the user's preferences, the row
    locked so that two saves at once keep each other's other preferences."""
    from accounts.models import User

    locked = User.objects.select_for_update().only("preferences").get(pk=user.pk)
    preferences = dict(locked.preferences) if isinstance(locked.preferences, dict) else {}
    saved = _saved_choices(preferences)
    if keys is None:
        saved.pop(kind, None)
    else:
        saved[kind] = list(keys)
    preferences[EXPORT_COLUMNS_PREFERENCE] = saved
    User.objects.filter(pk=user.pk).update(preferences=preferences)
    user.preferences = preferences


@transaction.atomic
def export_columns_remember(*, user: Any, kind: str, columns: Sequence[str]) -> tuple[str, ...]:
    """Remember the columns `user` chose for the export `kind` (in their preferences, used
    by their later exports, background ones included) and return them in the export's order.
    An empty or unknown choice is refused and the earlier one kept."""
    spec = EXPORTS.get(kind)
    if spec is None or not spec.choosable:
        raise ValidationError(_("这个列表不能选择导出的列。"))
    if any(key not in spec.keys for key in columns):
        raise ValidationError(_("所选的列不存在，请重新选择。"))
    chosen = tuple(key for key in spec.keys if key in set(columns))
    if not chosen:
        raise ValidationError(_("请至少选择一列。"))
    _save_choice(user, kind, chosen)
    return chosen


@transaction.atomic
def export_columns_reset(*, user: Any, kind: str) -> tuple[str, ...]:
    """Forget the columns `user` chose for the export `kind`: the default columns again."""
    spec = EXPORTS[kind]
    if not spec.choosable:
        raise ValidationError(_("这个列表不能选择导出的列。"))
    _save_choice(user, kind, None)
    return spec.default_keys


# --- the lists -----------------------------------------------------------------------------


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
        _("第%(n)s轮") % {"n": assignment.round} if assignment.round > 1 else "",
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


RowsFunction = Callable[[Any, QuerySet[Any], Sequence[str]], Iterator[list[Any]]]


def each_row(row: Callable[[Any, date], list[Any]]) -> RowsFunction:
    """The rows of a list whose columns are fixed: `row(obj, today)` for every object."""

    def rows(user: Any, queryset: QuerySet[Any], keys: Sequence[str]) -> Iterator[list[Any]]:
        today = timezone.localdate()
        for obj in queryset.iterator(chunk_size=CHUNK_SIZE):
            yield row(obj, today)

    return rows


@dataclass(frozen=True)
class ListExport:
    kind: str
    title: Promise
    columns: tuple[Column, ...]
    roles: tuple[str, ...] | None  # None: any logged-in user
    queryset: Callable[[Any, QueryDict], QuerySet[Any]]
    rows: RowsFunction
    list_url: str  # the page the export comes from
    choosable: bool = False  # the person chooses the columns (by their keys)

    def allows(self, user: Any) -> bool:
        if not getattr(user, "is_authenticated", False) or not user.is_active:
            return False
        return self.roles is None or user.role in self.roles

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(column.key or str(index) for index, column in enumerate(self.columns))

    @property
    def default_keys(self) -> tuple[str, ...]:
        return tuple(
            key for key, column in zip(self.keys, self.columns, strict=True) if column.default
        )

    def headers(self, keys: Sequence[str]) -> list[Column]:
        wanted = set(keys)
        return [
            column
            for key, column in zip(self.keys, self.columns, strict=True)
            if key in wanted or not self.choosable
        ]


EXPORTS: dict[str, ListExport] = {
    ExportKind.ITEMS: ListExport(
        kind=ExportKind.ITEMS,
        title=gettext_lazy("建议提案"),
        columns=ITEM_COLUMNS,
        roles=None,
        queryset=item_queryset,
        rows=item_rows,
        list_url="proposals:list",
        choosable=True,
    ),
    ExportKind.WORKSPACE: ListExport(
        kind=ExportKind.WORKSPACE,
        title=gettext_lazy("本单位承办"),
        columns=(
            Column(gettext_lazy("编号"), 14),
            Column(gettext_lazy("标题"), 48),
            Column(gettext_lazy("领衔人"), 14),
            Column(gettext_lazy("承办方式"), 10),
            Column(gettext_lazy("重新办理"), 10),
            Column(gettext_lazy("交办时间"), 13),
            Column(gettext_lazy("办理期限"), 13),
            Column(gettext_lazy("剩余天数"), 10),
            Column(gettext_lazy("状态"), 16),
        ),
        roles=UNIT_ROLES,
        queryset=workspace_queryset,
        rows=each_row(workspace_row),
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
        rows=each_row(follow_up_row),
        list_url="replies:follow_ups",
    ),
}


def clean_query(data: QueryDict) -> str:
    """The page's query string without the page number (an export holds every page)."""
    query = data.copy()
    query.pop("page", None)
    query.pop(JOB_COLUMNS_PARAMETER, None)
    return query.urlencode()


# A background job keeps the columns chosen when it was started in its query string, so that
# the worker writes what the person asked for even if they choose other columns meanwhile.
JOB_COLUMNS_PARAMETER = "export_columns"


def job_query(kind: str, query: str, keys: Sequence[str]) -> str:
    """The job's query: the list's filters and, for a list whose columns are chosen, the
    columns."""
    if not EXPORTS[kind].choosable:
        return query
    data = QueryDict(query, mutable=True)
    data[JOB_COLUMNS_PARAMETER] = ",".join(keys)
    return data.urlencode()


def split_job_query(kind: str, query: str) -> tuple[str, tuple[str, ...]]:
    """(the list's filters, the columns) of a job's query; a job queued before columns were
    chosen gets the export's default columns."""
    spec = EXPORTS[kind]
    data = QueryDict(query, mutable=True)
    saved = data.pop(JOB_COLUMNS_PARAMETER, [""])[-1]
    wanted = set(saved.split(",")) if saved else set()
    keys = tuple(key for key in spec.keys if key in wanted) or (
        spec.default_keys if spec.choosable else spec.keys
    )
    return data.urlencode(), keys


def export_queryset(kind: str, user: Any, query: str) -> QuerySet[Any]:
    """The rows `user` sees on the list `kind` with the filters in `query`; PermissionDenied
    when the user's role may not use that list (any more)."""
    spec = EXPORTS[kind]
    if not spec.allows(user):
        raise PermissionDenied(_("您的角色不能使用这个页面。"))
    return spec.queryset(user, QueryDict(query))


def export_rows(
    kind: str, user: Any, queryset: QuerySet[Any], keys: Sequence[str]
) -> Iterator[list[Any]]:
    return EXPORTS[kind].rows(user, queryset, keys)


def export_bytes(kind: str, user: Any, queryset: QuerySet[Any], keys: Sequence[str]) -> bytes:
    spec = EXPORTS[kind]
    return write_rows(
        export_rows(kind, user, queryset, keys), spec.headers(keys), sheet_title=str(spec.title)
    )


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


STALL_POLICY = StallPolicy(
    waiting=ExportStatus.PENDING,
    running=ExportStatus.RUNNING,
    waiting_too_long=PENDING_TOO_LONG,
    running_too_long=RUNNING_TOO_LONG,
)


def requeue_if_stalled(job: ExportJob) -> bool:
    """Queue again a job the broker lost or whose worker died (see proposals.jobs)."""
    return jobs.requeue_if_stalled(job, STALL_POLICY, queue_job)


class JobCancelled(Exception):
    """The job was reset or removed while being written: stop, keep nothing."""


def write_job_file(job: ExportJob) -> tuple[str, int]:
    """Re-run the owner's query, write the file in a temporary file with progress every
    PROGRESS_EVERY rows, store it and return (stored name, rows)."""
    owner = job.owner
    query, keys = split_job_query(job.kind, job.query)
    queryset = export_queryset(job.kind, owner, query)  # permissions checked again
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
            export_rows(job.kind, owner, queryset, keys),
            spec.headers(keys),
            sheet_title=str(spec.title),
            on_progress=progress,
        )
        target.seek(0)
        job.file.save(f"export-{job.pk}.xlsx", File(target), save=False)
    return job.file.name or "", rows

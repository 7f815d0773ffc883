"""Uploading a sheet (the preview) and importing it: all rows in one transaction, each through
the services a member and the office would use (create, co-sign, submit, review, assign).

An imported item is written as it happened on paper: the lead creates and submits it on the
sheet's date (the services check the member, the sections policy and the meeting's window),
each co-signer confirms, the office reviews it as the sheet says (立案 with the sheet's number, 不予
立案, 并案 or 转为意见) and assigns it to the sheet's units. Nobody is notified (these steps
happened elsewhere); the item's log says it was imported (导入), from which sheet and row, and by
whom. A failure at any row rolls back every row: nothing is written.

Sheets of up to IMPORT_SYNC_MAX_ROWS rows are imported in the request; larger ones by the
Celery task intake.tasks.import_batch_task, with progress written through a connection of its
own (the import's transaction is not visible until it commits).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import connection, connections, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.language import Text
from accounts.models import User
from accounts.notifications import notices_muted
from proposals import jobs, services
from proposals.jobs import StallPolicy
from proposals.models import EventAction, Meeting, Proposal, RejectionGround
from proposals.services.common import record_event

from .checks import Plan, check_sheet
from .models import BatchStatus, ImportBatch
from .sheet import Row, SheetError, check_upload, read_sheet

logger = logging.getLogger(__name__)

PROGRESS_SECONDS = 0.5  # at most this often the job writes its progress
QUEUED_TOO_LONG = timedelta(minutes=2)  # queued but never started: the broker lost it
RUNNING_TOO_LONG = timedelta(minutes=15)  # no progress for this long: the worker died
PREVIEW_GOOD_ROWS = 200  # rows without errors listed on the preview; every bad row is


def sync_max_rows() -> int:
    return int(settings.IMPORT_SYNC_MAX_ROWS)


def may_import(user: Any, meeting: Meeting | None = None) -> bool:
    bodies = user.supervised_bodies() if getattr(user, "is_authenticated", False) else []
    return bool(bodies) if meeting is None else meeting.body in bodies


def batches_for(user: Any) -> Any:
    return ImportBatch.objects.filter(meeting__body__in=user.supervised_bodies())


# --- the preview ---------------------------------------------------------------------------


def _summarise(batch: ImportBatch, checked: list[tuple[Row, Plan]]) -> None:
    bad = [(row, plan) for row, plan in checked if plan.errors]
    batch.total_rows = len(checked)
    batch.bad_rows = len(bad)
    batch.good_rows = len(checked) - len(bad)
    batch.errors = [{"row": plan.row, "messages": plan.errors} for _row, plan in bad]
    good_shown = 0
    rows = []
    for row, plan in checked:
        if not plan.errors:
            good_shown += 1
            if good_shown > PREVIEW_GOOD_ROWS:
                continue
        rows.append(plan.summary(row))
    batch.rows = rows


def batch_upload(*, owner: User, meeting: Meeting, upload: UploadedFile) -> ImportBatch:
    """Check an uploaded sheet and keep it as a batch with every row's errors (the preview).
    A file that cannot be read at all raises SheetError and keeps nothing."""
    if not may_import(owner, meeting):
        raise PermissionDenied(_("您不能向这次会议导入建议提案。"))
    check_upload(upload)
    upload.seek(0)
    sheet = read_sheet(upload, meeting)
    checked = check_sheet(meeting, sheet)
    batch = ImportBatch(
        meeting=meeting, owner=owner, original_name=(upload.name or "")[:200] or "sheet.xlsx"
    )
    _summarise(batch, checked)
    upload.seek(0)
    with transaction.atomic():
        batch.file.save("sheet.xlsx", ContentFile(upload.read()), save=False)
        batch.save()
    return batch


# --- accepting -----------------------------------------------------------------------------


def batch_accept(*, batch: ImportBatch, actor: User) -> ImportBatch:
    """Import a checked batch without errors: in the request for a small sheet, else queued
    for the background job (after commit). Accepting twice imports once."""
    if not may_import(actor, batch.meeting):
        raise PermissionDenied(_("您不能向这次会议导入建议提案。"))
    if batch.status != BatchStatus.CHECKED:
        raise ValidationError(
            _("这个表格当前为“%(status)s”，不能再次导入。") % {"status": batch.get_status_display()}
        )
    if not batch.can_accept:
        raise ValidationError(
            _("表格中还有 %(n)s 行有错误。请改正后重新上传，全部无误才能导入。")
            % {"n": batch.bad_rows}
        )
    claimed = ImportBatch.objects.filter(pk=batch.pk, status=BatchStatus.CHECKED).update(
        status=BatchStatus.QUEUED, owner=actor, heartbeat_at=timezone.now(), error=""
    )
    if not claimed:
        raise ValidationError(_("这个表格已经在导入了。"))
    if batch.total_rows <= sync_max_rows():
        try:
            run_batch(batch.pk, progress=False)
        except Exception:  # never a server error: the batch says it failed
            logger.exception("import batch %s failed", batch.pk)
            ImportBatch.objects.filter(pk=batch.pk, status=BatchStatus.RUNNING).update(
                status=BatchStatus.FAILED,
                error=_("导入时出现意外错误，没有导入任何一行。请稍后重试。"),
                finished_at=timezone.now(),
            )
    else:
        transaction.on_commit(lambda: queue_batch(batch.pk))
    batch.refresh_from_db()
    return batch


def queue_batch(batch_id: int) -> None:
    from .tasks import import_batch_task

    try:
        import_batch_task.delay(batch_id)
    except Exception:  # broker down: the batch stays queued; its page queues it again
        logger.warning("could not queue import batch %s", batch_id, exc_info=True)


STALL_POLICY = StallPolicy(
    waiting=BatchStatus.QUEUED,
    running=BatchStatus.RUNNING,
    waiting_too_long=QUEUED_TOO_LONG,
    running_too_long=RUNNING_TOO_LONG,
)


def requeue_if_stalled(batch: ImportBatch) -> bool:
    """Queue again a batch the broker lost or whose worker died (see proposals.jobs); the task's
    claim keeps two workers from both committing an import."""
    return jobs.requeue_if_stalled(batch, STALL_POLICY, queue_batch)


# --- the import itself -----------------------------------------------------------------------


class RowFailed(Exception):
    def __init__(self, row: int, message: str) -> None:
        super().__init__(message)
        self.row = row
        self.message = message


class Superseded(Exception):
    """Another claim of the batch took over (a redelivered job): this one keeps nothing."""


class Progress:
    """Writes the count of rows done, at most every PROGRESS_SECONDS, through a database
    connection of its own, so that the batch page sees it while the import's transaction is
    still open. Only on PostgreSQL (SQLite would wait for the import's write lock)."""

    def __init__(self, batch_id: int, enabled: bool) -> None:
        self.batch_id = batch_id
        self.last = 0.0
        self.connection: Any = None
        if enabled and connection.vendor == "postgresql":
            self.connection = connections.create_connection("default")

    def __call__(self, done: int, force: bool = False) -> None:
        if self.connection is None:
            return
        now = time.monotonic()
        if not force and now - self.last < PROGRESS_SECONDS:
            return
        self.last = now
        try:
            with self.connection.cursor() as cursor:
                cursor.execute("SET lock_timeout = '2s'")
                cursor.execute(
                    f"UPDATE {ImportBatch._meta.db_table} SET done = %s, heartbeat_at = %s "
                    "WHERE id = %s AND status = %s",
                    [done, timezone.now(), self.batch_id, BatchStatus.RUNNING],
                )
        except Exception:  # progress is a courtesy: the import goes on without it
            logger.warning("could not write the progress of import %s", self.batch_id)

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()


def _plan_afresh() -> None:
    """For the import's transaction only, PostgreSQL plans every statement for its values.

    The services' queries are prepared statements; a generic plan made while the meeting had
    few items (a sequential scan, or none of the partial indexes on numbers, which a parameter
    cannot match) would then be kept while the transaction adds thousands of rows, and each row
    would cost more than the one before (10 000 rows: from 60 rows/s down to 20)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL plan_cache_mode = force_custom_plan")


def _error_text(error: ValidationError) -> str:
    return "；".join(str(m) for m in error.messages)


def import_row(plan: Plan, *, meeting: Meeting, actor: User, batch: ImportBatch) -> Proposal:
    """One row through the services, as the lead and the office would have done it."""
    assert plan.lead is not None and plan.submitted_at is not None
    lead, when = plan.lead, plan.submitted_at
    proposal = services.proposal_create(
        author=lead,
        meeting=meeting,
        title=plan.title,
        body=plan.body,
        sections=plan.sections,
        category=plan.category,
    )
    record_event(
        proposal,
        actor,
        EventAction.IMPORTED,
        note=Text(
            gettext_noop("由%(who)s从表格《%(file)s》第%(row)s行导入（导入批次 %(batch)s）"),
            who=actor.full_name or actor.username,
            file=batch.original_name,
            row=plan.row,
            batch=batch.pk,
        ),
    )
    for member in plan.cosigners:
        invitation = services.cosigner_invite(
            proposal=proposal, actor=lead, member=member, now=when
        )
        services.cosigner_respond(cosigner=invitation, actor=member, accept=True, now=when)
    proposal = services.proposal_submit(proposal=proposal, actor=lead, now=when)
    if plan.outcome == "立案":
        proposal = services.proposal_register(
            proposal=proposal, actor=actor, note=plan.note, number=plan.number
        )
        if plan.lead_unit is not None:
            services.proposal_assign(
                proposal=proposal, actor=actor, lead_unit=plan.lead_unit, co_units=plan.co_units
            )
    elif plan.outcome == "不予立案":
        proposal = services.proposal_reject(
            proposal=proposal, actor=actor, ground=RejectionGround.OTHER, note=plan.note
        )
    elif plan.outcome == "转为意见":
        proposal = services.proposal_convert(proposal=proposal, actor=actor, note=plan.note)
    elif plan.outcome == "并案":
        target = Proposal.objects.get(
            meeting=meeting, kind=proposal.kind, number_label=plan.merge_into
        )
        proposal = services.proposal_merge(
            proposal=proposal, actor=actor, into=target, note=plan.note
        )
    return proposal


def import_plans(
    plans: list[Plan],
    *,
    meeting: Meeting,
    actor: User,
    batch: ImportBatch,
    on_progress: Callable[[int], None] | None = None,
) -> list[int]:
    """Every row, in the caller's transaction; merges last (their targets may be rows of the
    sheet). RowFailed names the first row a service refused."""
    ordered = [p for p in plans if p.outcome != "并案"] + [p for p in plans if p.outcome == "并案"]
    ids = []
    with notices_muted():
        for done, plan in enumerate(ordered, start=1):
            try:
                ids.append(import_row(plan, meeting=meeting, actor=actor, batch=batch).pk)
            except ValidationError as error:
                raise RowFailed(plan.row, _error_text(error)) from error
            except Proposal.DoesNotExist as error:
                raise RowFailed(
                    plan.row, _("找不到被并入的“%(n)s”。") % {"n": plan.merge_into}
                ) from error
            if on_progress is not None:
                on_progress(done)
    return ids


def run_batch(batch_id: int, *, progress: bool = True) -> str:
    """Claim a queued batch, read its stored sheet, check it again (things may have changed
    since the preview) and import every row in one transaction. Returns what happened."""
    claimed = ImportBatch.objects.filter(pk=batch_id, status=BatchStatus.QUEUED).update(
        status=BatchStatus.RUNNING, done=0, attempts=F("attempts") + 1, heartbeat_at=timezone.now()
    )
    if not claimed:
        return "skipped"
    batch = ImportBatch.objects.select_related("meeting", "owner").get(pk=batch_id)
    mine = Q(pk=batch_id, status=BatchStatus.RUNNING, attempts=batch.attempts)
    meeting, actor = batch.meeting, batch.owner
    if not may_import(actor, meeting):
        ImportBatch.objects.filter(mine).update(
            status=BatchStatus.FAILED,
            error=_("导入人已没有这次会议的督办权限。"),
            finished_at=timezone.now(),
        )
        return "failed"
    with batch.file.open("rb") as stored:
        try:
            sheet = read_sheet(stored, meeting)
        except SheetError as error:
            ImportBatch.objects.filter(mine).update(
                status=BatchStatus.FAILED, error=str(error), finished_at=timezone.now()
            )
            return "failed"
    checked = check_sheet(meeting, sheet)
    if any(plan.errors for _row, plan in checked):
        _summarise(batch, checked)
        ImportBatch.objects.filter(mine).update(
            status=BatchStatus.FAILED,
            total_rows=batch.total_rows,
            good_rows=batch.good_rows,
            bad_rows=batch.bad_rows,
            rows=batch.rows,
            errors=batch.errors,
            error=_(
                "预览之后数据有了变化（如编号已被使用），现有 %(n)s 行出错，没有导入任何一行。"
                "请改正后重新上传。"
            )
            % {"n": batch.bad_rows},
            finished_at=timezone.now(),
        )
        return "failed"
    writer = Progress(batch_id, progress)
    try:
        with transaction.atomic():
            _plan_afresh()
            ids = import_plans(
                [plan for _row, plan in checked],
                meeting=meeting,
                actor=actor,
                batch=batch,
                on_progress=writer,
            )
            writer(len(ids), force=True)
            finished = ImportBatch.objects.filter(mine).update(
                status=BatchStatus.IMPORTED,
                done=len(ids),
                imported=len(ids),
                proposal_ids=ids,
                error="",
                finished_at=timezone.now(),
                heartbeat_at=timezone.now(),
            )
            if not finished:
                raise Superseded
    except Superseded:
        return "superseded"
    except RowFailed as failure:
        ImportBatch.objects.filter(mine).update(
            status=BatchStatus.FAILED,
            error=_("第%(row)s行：%(message)s 没有导入任何一行。")
            % {"row": failure.row, "message": failure.message},
            finished_at=timezone.now(),
        )
        return "failed"
    finally:
        writer.close()
    return "imported"

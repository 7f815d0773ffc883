"""Starting, running and requeueing a report job (the pattern of proposals.exports: claimed
by a conditional update, progress written with a heartbeat, requeued when it stalls)."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from accounts.models import Role
from proposals import jobs
from proposals.jobs import StallPolicy

from . import documents
from .figures import Figures, Scope, compute
from .models import ReportJob, ReportStatus

logger = logging.getLogger(__name__)

PENDING_TOO_LONG = timedelta(minutes=2)  # queued but never started: the broker lost it
RUNNING_TOO_LONG = timedelta(minutes=15)  # no progress for this long: the worker died
STEPS = ("figures", "charts", "text", "docx", "pdf")

STALL_POLICY = StallPolicy(
    waiting=ReportStatus.PENDING,
    running=ReportStatus.RUNNING,
    waiting_too_long=PENDING_TOO_LONG,
    running_too_long=RUNNING_TOO_LONG,
)


def start_job(*, owner: Any, scope: Scope) -> ReportJob:
    """A report job queued after commit; the owner's unfinished job for the same scope is reused,
    so that clicking twice does not write the report twice."""
    with transaction.atomic():
        existing = (
            ReportJob.objects.select_for_update()
            .filter(
                owner=owner,
                meeting=scope.meeting,
                year=scope.year if scope.meeting is None else None,
                body=scope.body if scope.meeting is None else "",
                status__in=[ReportStatus.PENDING, ReportStatus.RUNNING],
            )
            .first()
        )
        if existing is not None:
            return existing
        job = ReportJob.objects.create(
            owner=owner,
            meeting=scope.meeting,
            year=scope.year if scope.meeting is None else None,
            body=scope.body if scope.meeting is None else "",
            total=len(STEPS),
        )
        transaction.on_commit(lambda: queue_job(job.pk))
    return job


def queue_job(job_id: int) -> None:
    from .tasks import report_job_task

    try:
        report_job_task.delay(job_id)
    except Exception:  # broker down: the job stays pending; its page queues it again
        logger.warning("could not queue report job %s", job_id, exc_info=True)


def requeue_if_stalled(job: ReportJob) -> bool:
    return jobs.requeue_if_stalled(job, STALL_POLICY, queue_job)


class JobCancelled(Exception):
    """The job was reset or removed while being written: stop, keep nothing."""


def job_scope(job: ReportJob) -> Scope:
    if job.meeting_id:
        return Scope(meeting=job.meeting)
    return Scope(year=job.year, body=job.body)


def check_scope(user: Any, scope: Scope) -> None:
    """Only a supervisor, only for a body they supervise."""
    body = scope.body_code
    if getattr(user, "role", None) != Role.SUPERVISOR or body not in user.supervised_bodies():
        raise PermissionDenied


def figures_json(figures: Figures) -> dict[str, Any]:
    return {"counts": figures.counts, "classes": [list(pair) for pair in figures.classes]}


def write_job_files(job: ReportJob) -> None:
    """Compute the figures with the owner's permissions, draw the charts, write the text, the
    .docx and the PDF, with progress after each step; store both files on the job."""
    owner = job.owner
    scope = job_scope(job)
    check_scope(owner, scope)  # the owner's role checked again
    claimed = ReportJob.objects.filter(pk=job.pk, status=ReportStatus.RUNNING)

    def progress(done: int, **changes: Any) -> None:
        if not claimed.update(done=done, heartbeat_at=timezone.now(), **changes):
            raise JobCancelled

    progress(0, total=len(STEPS))
    figures = compute(owner, scope)
    progress(1, figures=figures_json(figures))
    charts = documents.chart_images(figures)
    progress(2)
    html = documents.body_html(figures, charts)
    progress(3)
    docx = documents.docx_bytes(html)
    progress(4)
    pdf = documents.pdf_bytes(html)
    job.docx.save(f"report-{job.pk}.docx", ContentFile(docx), save=False)
    job.pdf.save(f"report-{job.pk}.pdf", ContentFile(pdf), save=False)

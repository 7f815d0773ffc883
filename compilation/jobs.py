"""The 汇编's background jobs: started from the dashboard's card, written by
compilation.tasks.compilation_job_task, with a progress bar and the stall requeue of the item
exports (proposals.jobs)."""

from __future__ import annotations

import logging
import tempfile
from datetime import timedelta
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.files import File
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from proposals import jobs
from proposals.models import ExportStatus, Meeting

from .models import CompilationJob

logger = logging.getLogger(__name__)

PENDING_TOO_LONG = timedelta(minutes=2)  # queued but never started: the broker lost it
RUNNING_TOO_LONG = timedelta(minutes=10)  # no chunk laid out for this long: the worker died


def meetings_for(user: Any) -> QuerySet[Meeting]:
    """The meetings whose 汇编 `user` may make: those of the bodies they supervise."""
    bodies = user.supervised_bodies() if getattr(user, "is_authenticated", False) else []
    return Meeting.objects.filter(body__in=bodies).order_by("-year", "-term", "-sitting", "-pk")


def check_may_compile(user: Any, meeting: Meeting) -> None:
    if meeting.body not in user.supervised_bodies():
        raise PermissionDenied(_("只有本会议所属机关的督办人员可以生成汇编。"))


def start_job(*, owner: Any, meeting: Meeting, edition: str) -> CompilationJob:
    """A job queued after commit; the owner's unfinished job for the same meeting and edition is
    reused, so that clicking twice does not render the book twice."""
    check_may_compile(owner, meeting)
    with transaction.atomic():
        existing = (
            CompilationJob.objects.select_for_update()
            .filter(
                owner=owner,
                meeting=meeting,
                edition=edition,
                status__in=[ExportStatus.PENDING, ExportStatus.RUNNING],
            )
            .first()
        )
        if existing is not None:
            return existing
        job = CompilationJob.objects.create(owner=owner, meeting=meeting, edition=edition)
        transaction.on_commit(lambda: queue_job(job.pk))
    return job


def queue_job(job_id: int) -> None:
    from .tasks import compilation_job_task

    try:
        compilation_job_task.delay(job_id)
    except Exception:  # broker down: the job stays pending; its status page queues it again
        logger.warning("could not queue compilation job %s", job_id, exc_info=True)


STALL_POLICY = jobs.StallPolicy(
    waiting=ExportStatus.PENDING,
    running=ExportStatus.RUNNING,
    waiting_too_long=PENDING_TOO_LONG,
    running_too_long=RUNNING_TOO_LONG,
)


def requeue_if_stalled(job: CompilationJob) -> bool:
    return jobs.requeue_if_stalled(job, STALL_POLICY, queue_job)


class JobCancelled(Exception):
    """The job was reset or removed while being written: stop, keep nothing."""


def write_job_file(job: CompilationJob) -> tuple[str, int, int]:
    """Render the book (the owner's right checked again), store it; (stored name, items, pages)."""
    from .book import write_book

    check_may_compile(job.owner, job.meeting)
    claimed = CompilationJob.objects.filter(pk=job.pk, status=ExportStatus.RUNNING)

    def progress(done: int, total: int) -> None:
        if not claimed.update(done=done, total=total, heartbeat_at=timezone.now()):
            raise JobCancelled

    with tempfile.TemporaryFile(suffix=".pdf") as target:
        book = write_book(job.meeting, job.edition, target, progress=progress)
        target.seek(0)
        job.file.save(f"compilation-{job.pk}.pdf", File(target), save=False)
    return job.file.name or "", len(book.items), book.pages

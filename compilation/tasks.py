"""The 汇编's background job."""

from __future__ import annotations

from celery import shared_task


@shared_task(bind=True, max_retries=3, acks_late=True)
def compilation_job_task(self, job_id: int) -> str:  # type: ignore[no-untyped-def]
    """Render one 汇编 job (compilation.jobs). Claimed with a conditional update so that two
    workers never write the same job; storage errors are retried with back-off; anything else,
    a supervisory scope the owner no longer has included, fails the job."""
    import logging

    from django.db.models import F
    from django.utils import timezone

    from proposals.files import TRANSIENT_STORAGE_ERRORS
    from proposals.models import ExportStatus

    from .jobs import JobCancelled, write_job_file
    from .models import CompilationJob

    logger = logging.getLogger(__name__)
    claimed = CompilationJob.objects.filter(pk=job_id, status=ExportStatus.PENDING).update(
        status=ExportStatus.RUNNING, done=0, attempts=F("attempts") + 1, heartbeat_at=timezone.now()
    )
    if not claimed:
        return "skipped"
    job_rows = CompilationJob.objects.filter(pk=job_id, status=ExportStatus.RUNNING)
    try:
        # everything after the claim is inside the try: a job is never left `running`
        job = CompilationJob.objects.select_related("owner", "meeting").get(pk=job_id)
        name, items, pages = write_job_file(job)
    except JobCancelled:
        return "cancelled"
    except TRANSIENT_STORAGE_ERRORS as error:
        final = self.request.retries >= self.max_retries
        job_rows.update(
            status=ExportStatus.FAILED if final else ExportStatus.PENDING,
            error=str(error)[:2000],
            finished_at=timezone.now() if final else None,
        )
        if final:
            logger.exception("compilation job %s failed for good", job_id)
            return "failed"
        raise self.retry(exc=error, countdown=min(30 * 2**self.request.retries, 600)) from error
    except Exception as error:
        job_rows.update(
            status=ExportStatus.FAILED, error=repr(error)[:2000], finished_at=timezone.now()
        )
        logger.exception("compilation job %s could not be written", job_id)
        return "failed"
    if not job_rows.update(
        status=ExportStatus.READY,
        file=name,
        total=items,
        done=items,
        pages=pages,
        error="",
        finished_at=timezone.now(),
    ):  # reset meanwhile: the file is not this job's any more
        job.file.storage.delete(name)
        return "cancelled"
    return "ready"

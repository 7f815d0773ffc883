"""The background job that writes a 办理工作报告 (reports.jobs)."""

from __future__ import annotations

from celery import shared_task


@shared_task(bind=True, max_retries=3, acks_late=True)
def report_job_task(self, job_id: int) -> str:  # type: ignore[no-untyped-def]
    """Write one report job. Claimed with a conditional update so that two workers never write
    the same job; storage errors are retried with back-off; anything else fails the job."""
    import logging

    from django.db.models import F
    from django.utils import timezone

    from proposals.files import TRANSIENT_STORAGE_ERRORS

    from .jobs import JobCancelled, write_job_files
    from .models import ReportJob, ReportStatus

    logger = logging.getLogger(__name__)
    claimed = ReportJob.objects.filter(pk=job_id, status=ReportStatus.PENDING).update(
        status=ReportStatus.RUNNING, done=0, attempts=F("attempts") + 1, heartbeat_at=timezone.now()
    )
    if not claimed:
        return "skipped"
    job_rows = ReportJob.objects.filter(pk=job_id, status=ReportStatus.RUNNING)
    try:
        job = ReportJob.objects.select_related("owner", "meeting").get(pk=job_id)
        write_job_files(job)
    except JobCancelled:
        return "cancelled"
    except TRANSIENT_STORAGE_ERRORS as error:
        final = self.request.retries >= self.max_retries
        job_rows.update(
            status=ReportStatus.FAILED if final else ReportStatus.PENDING,
            error=str(error)[:2000],
            finished_at=timezone.now() if final else None,
        )
        if final:
            logger.exception("report job %s failed for good", job_id)
            return "failed"
        raise self.retry(exc=error, countdown=min(30 * 2**self.request.retries, 600)) from error
    except Exception as error:
        job_rows.update(
            status=ReportStatus.FAILED, error=repr(error)[:2000], finished_at=timezone.now()
        )
        logger.exception("report job %s could not be written", job_id)
        return "failed"
    if not job_rows.update(
        status=ReportStatus.READY,
        docx=job.docx.name,
        pdf=job.pdf.name,
        done=F("total"),
        error="",
        finished_at=timezone.now(),
    ):  # reset meanwhile: the files are not this job's any more
        for name in (job.docx.name, job.pdf.name):
            if name:
                job.docx.storage.delete(name)
        return "cancelled"
    return "ready"

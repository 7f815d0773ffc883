"""Background jobs of proposals: the daily reminder sweep and large Excel exports."""

from __future__ import annotations

from celery import shared_task


@shared_task
def send_reminders_task() -> dict[str, int]:
    """Daily (beat): reminders before deadlines, escalation after them."""
    from .reminders import send_reminders

    return send_reminders()


@shared_task(bind=True, max_retries=3, acks_late=True)
def export_job_task(self, job_id: int) -> str:  # type: ignore[no-untyped-def]
    """Write one Excel export job (proposals/exports.py). Claimed with a conditional update so
    that two workers never write the same job; storage errors (disk or object storage) are
    retried with back-off; anything else, a role the owner no longer has included, fails the job."""
    import logging

    from django.db.models import F
    from django.utils import timezone

    from .exports import JobCancelled, write_job_file
    from .files import TRANSIENT_STORAGE_ERRORS
    from .models import ExportJob, ExportStatus

    logger = logging.getLogger(__name__)
    claimed = ExportJob.objects.filter(pk=job_id, status=ExportStatus.PENDING).update(
        status=ExportStatus.RUNNING, done=0, attempts=F("attempts") + 1, heartbeat_at=timezone.now()
    )
    if not claimed:
        return "skipped"
    job_rows = ExportJob.objects.filter(pk=job_id, status=ExportStatus.RUNNING)
    try:
        # everything after the claim is inside the try: a job is never left `running`
        job = ExportJob.objects.select_related("owner").get(pk=job_id)
        name, rows = write_job_file(job)
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
            logger.exception("export job %s failed for good", job_id)
            return "failed"
        raise self.retry(exc=error, countdown=min(30 * 2**self.request.retries, 600)) from error
    except Exception as error:
        job_rows.update(
            status=ExportStatus.FAILED, error=repr(error)[:2000], finished_at=timezone.now()
        )
        logger.exception("export job %s could not be written", job_id)
        return "failed"
    if not job_rows.update(
        status=ExportStatus.READY,
        file=name,
        total=rows,
        done=rows,
        error="",
        finished_at=timezone.now(),
    ):  # reset meanwhile: the file is not this job's any more
        job.file.storage.delete(name)
        return "cancelled"
    return "ready"


@shared_task
def purge_old_exports() -> int:
    """Daily (beat): delete export jobs, and their files, older than EXPORT_KEEP_DAYS. An
    export is a snapshot for its owner, not a record: the list can be exported again."""
    from datetime import timedelta

    from django.conf import settings
    from django.utils import timezone

    from .models import ExportJob, ExportStatus

    cutoff = timezone.now() - timedelta(days=settings.EXPORT_KEEP_DAYS)
    old = ExportJob.objects.filter(created_at__lt=cutoff).exclude(status=ExportStatus.RUNNING)
    purged = 0
    for job in old.iterator(chunk_size=200):
        if job.file:
            job.file.delete(save=False)  # through the storage API: local disk or S3 alike
        job.delete()
        purged += 1
    return purged

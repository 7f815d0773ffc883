"""The background import of a large sheet (intake.importer.run_batch), as the export job runs:
acknowledged when done, claimed so that a redelivered job does not import twice, retried with
back-off on a database or storage fault (the failed attempt left nothing: one transaction)."""

from __future__ import annotations

from celery import shared_task


@shared_task(bind=True, max_retries=3, acks_late=True)
def import_batch_task(self, batch_id: int) -> str:  # type: ignore[no-untyped-def]
    import logging

    from django.db import DatabaseError
    from django.utils import timezone
    from django.utils.translation import gettext as _

    from proposals.files import TRANSIENT_STORAGE_ERRORS

    from .importer import run_batch
    from .models import BatchStatus, ImportBatch

    logger = logging.getLogger(__name__)
    running = ImportBatch.objects.filter(pk=batch_id, status=BatchStatus.RUNNING)
    transient: tuple[type[Exception], ...] = (DatabaseError, *TRANSIENT_STORAGE_ERRORS)
    try:
        return run_batch(batch_id)
    except transient as error:
        final = self.request.retries >= self.max_retries
        running.update(
            status=BatchStatus.FAILED if final else BatchStatus.QUEUED,
            error=_("导入时数据库或文件存储出错，重试 %(n)s 次仍未成功，没有导入任何一行。")
            % {"n": self.max_retries}
            if final
            else "",
            finished_at=timezone.now() if final else None,
        )
        if final:
            logger.exception("import batch %s failed for good", batch_id)
            return "failed"
        raise self.retry(exc=error, countdown=min(30 * 2**self.request.retries, 600)) from error
    except Exception:
        running.update(
            status=BatchStatus.FAILED,
            error=_("导入时出现意外错误，没有导入任何一行。请稍后重试。"),
            finished_at=timezone.now(),
        )
        logger.exception("import batch %s could not be imported", batch_id)
        return "failed"


@shared_task
def purge_old_sheets() -> int:
    """Daily (beat): delete the stored sheets of batches older than IMPORT_SHEET_KEEP_DAYS (they
    hold members' details; the imported items and the batch's summary stay). A batch previewed
    and never imported by then is closed, saying why; a batch still queued or running is left."""
    from datetime import timedelta

    from django.conf import settings
    from django.utils import timezone
    from django.utils.translation import gettext as _

    from .models import BatchStatus, ImportBatch

    cutoff = timezone.now() - timedelta(days=settings.IMPORT_SHEET_KEEP_DAYS)
    old = (
        ImportBatch.objects.filter(created_at__lt=cutoff)
        .exclude(file="")
        .exclude(status__in=[BatchStatus.QUEUED, BatchStatus.RUNNING])
    )
    purged = 0
    for batch in old.iterator(chunk_size=200):
        batch.file.delete(save=False)  # through the storage API: local disk or S3 alike
        changes: dict[str, object] = {"file": ""}
        if batch.status == BatchStatus.CHECKED:
            changes.update(
                status=BatchStatus.FAILED,
                error=_(
                    "预览后超过 %(days)s 天未导入，表格已按保留期限删除。如需导入，请重新上传。"
                )
                % {"days": settings.IMPORT_SHEET_KEEP_DAYS},
                finished_at=timezone.now(),
            )
        # conditional on the status read: a batch accepted meanwhile is not closed under it
        ImportBatch.objects.filter(pk=batch.pk, status=batch.status).update(**changes)
        purged += 1
    return purged

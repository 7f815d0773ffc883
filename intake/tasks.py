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

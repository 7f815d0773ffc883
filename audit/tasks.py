"""The audit trail's daily job."""

from __future__ import annotations

from celery import shared_task


@shared_task
def purge_audit_records() -> int:
    """Daily (beat): delete records older than AUDIT_KEEP_DAYS; the purge records itself."""
    from django.conf import settings

    from .chain import purge

    record = purge(settings.AUDIT_KEEP_DAYS)
    return int(record.detail["deleted"]) if record is not None else 0

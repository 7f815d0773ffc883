"""`python manage.py verify_audit`: check the audit trail's hash chain."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from audit.chain import verify

REASONS = {
    "edited": "its fields do not match its hash (edited)",
    "link": "its previous hash does not match the record before it (a record was replaced)",
    "missing_before": "records before it are missing (deleted)",
    "missing_after": "records after it are missing (deleted from the end)",
}


class Command(BaseCommand):
    help = "Verify the audit trail's hash chain; name the first broken link and exit 1 if any."

    def handle(self, *args: Any, **options: Any) -> None:
        result = verify()
        if result.ok:
            self.stdout.write(self.style.SUCCESS(f"OK: {result.count} audit records verified."))
            return
        record = result.broken
        if record is None:
            raise CommandError(f"Broken chain: {REASONS[result.reason]}: the chain is empty.")
        when = timezone.localtime(record.created_at).isoformat(timespec="seconds")
        raise CommandError(
            f"Broken chain at record id {record.pk} (sequence {record.sequence}, {when}, "
            f"{record.action}): {REASONS[result.reason]}. {result.count} records before it are "
            "intact."
        )

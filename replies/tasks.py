"""Background jobs of replies: rendering letter PDFs, and the sweep that catches up."""

from __future__ import annotations

import logging
from datetime import timedelta

from celery import shared_task
from django.core.files.base import ContentFile
from django.db import DatabaseError
from django.db.models import F, Q
from django.utils import timezone

from proposals.files import TRANSIENT_STORAGE_ERRORS

from .letters import render_letter
from .models import Letter, LetterStatus
from .public import differs, public_copy

logger = logging.getLogger(__name__)
MAX_ATTEMPTS = 5
# storage (disk or object storage), memory or database trouble: worth another try later
RETRIED_ERRORS: tuple[type[Exception], ...] = (
    *TRANSIENT_STORAGE_ERRORS,
    MemoryError,
    DatabaseError,
)
STUCK_AFTER = timedelta(minutes=15)  # a worker killed mid-render leaves `rendering` behind


class TransientRenderError(Exception):
    """A failure worth retrying (storage or resources), as opposed to a broken letter."""


@shared_task(bind=True, max_retries=MAX_ATTEMPTS, acks_late=True)
def render_letter_task(self, letter_id: int) -> str:  # type: ignore[no-untyped-def]
    """Render one letter. Claimed with a conditional update so that two workers never render
    the same letter at once; retried on transient errors; failed for good after the last try."""
    claimed = Letter.objects.filter(pk=letter_id, status=LetterStatus.PENDING).update(
        status=LetterStatus.RENDERING, attempts=F("attempts") + 1, queued_at=timezone.now()
    )
    if not claimed:
        return "skipped"
    try:
        # everything after the claim is inside the try: a letter is never left `rendering`
        letter = Letter.objects.select_related(
            "reply", "reply__proposal__meeting", "reply__unit"
        ).get(pk=letter_id)
        rendered = render_letter(letter.reply)
        name = f"reply-{letter.reply_id}-{rendered.sha256[:12]}.pdf"
        old_name = letter.file.name
        letter.file.save(name, ContentFile(rendered.content), save=False)
        public_name = ""
        if letter.reply.disclosure == "public":
            public = public_copy(letter.reply)
            if differs(letter.reply, public):
                public_letter = render_letter(public)
                letter.public_file.save(
                    f"public-{name}", ContentFile(public_letter.content), save=False
                )
                public_name = letter.public_file.name or ""
    except RETRIED_ERRORS as error:
        final = self.request.retries >= MAX_ATTEMPTS
        Letter.objects.filter(pk=letter_id).update(
            status=LetterStatus.FAILED if final else LetterStatus.PENDING, error=str(error)[:2000]
        )
        if final:
            logger.exception("letter %s failed for good", letter_id)
            return "failed"
        raise self.retry(exc=error, countdown=min(60 * 2**self.request.retries, 3600)) from error
    except Exception as error:
        Letter.objects.filter(pk=letter_id).update(
            status=LetterStatus.FAILED, error=repr(error)[:2000]
        )
        logger.exception("letter %s could not be rendered", letter_id)
        return "failed"
    Letter.objects.filter(pk=letter_id).update(
        status=LetterStatus.READY,
        file=letter.file.name,
        public_file=public_name,
        sha256=rendered.sha256,
        page_count=rendered.page_count,
        rendered_at=timezone.now(),
        error="",
    )
    if old_name and old_name != letter.file.name:
        letter.file.storage.delete(old_name)
    return "ready"


@shared_task
def queue_pending_letters() -> int:
    """Queue letters that could not be queued (broker down) or whose worker died mid-render."""
    now = timezone.now()
    stuck = Letter.objects.filter(status=LetterStatus.RENDERING, queued_at__lt=now - STUCK_AFTER)
    stuck.update(status=LetterStatus.PENDING)
    ids = list(
        Letter.objects.filter(
            Q(status=LetterStatus.PENDING), queued_at__lt=now - timedelta(minutes=2)
        )
        .order_by("pk")
        .values_list("pk", flat=True)[:500]
    )
    for letter_id in ids:
        render_letter_task.delay(letter_id)
    return len(ids)


@shared_task
def close_items_after_window() -> int:
    """Daily: close items whose evaluation window passed without a 不满意."""
    from .services import close_items_after_window as close

    return close()

"""Background jobs of replies: rendering letter PDFs, and the sweep that catches up."""

from __future__ import annotations

import logging
from datetime import timedelta

from celery import shared_task
from celery.signals import worker_init, worker_process_shutdown
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import DatabaseError
from django.db.models import Q
from django.utils import timezone

from proposals.files import TRANSIENT_STORAGE_ERRORS

from . import fonts
from .letters import prepare_fonts, render_letter
from .models import Letter, LetterStatus
from .public import differs, public_copy, public_digest

logger = logging.getLogger(__name__)
MAX_ATTEMPTS = 5
# storage (disk or object storage), memory or database trouble: worth another try later
RETRIED_ERRORS: tuple[type[Exception], ...] = (
    *TRANSIENT_STORAGE_ERRORS,
    MemoryError,
    DatabaseError,
)


def stuck_after() -> timedelta:
    """How long a letter may stay `rendering` before the sweep takes its worker for dead."""
    return timedelta(seconds=settings.LETTER_STUCK_AFTER_SECONDS)


class TransientRenderError(Exception):
    """A failure worth retrying (storage or resources), as opposed to a broken letter."""


@worker_init.connect
def prepare_letter_fonts(**kwargs: object) -> None:
    """A starting worker builds the reduced letter fonts if they are missing (the Docker image
    has them), before its pool starts: its children find them ready instead of the first
    letters waiting for them. A failure is logged and leaves the letters on the full fonts."""
    try:
        prepared = prepare_fonts()
    except Exception:
        logger.warning("could not prepare the letter fonts", exc_info=True)
        return
    reduced = sum(1 for _, choice in prepared if choice.faces)
    logger.info("letter fonts ready: %d of %d roles reduced", reduced, len(prepared))


@worker_process_shutdown.connect
def close_font_configuration(**kwargs: object) -> None:
    fonts.close()


@shared_task(bind=True, max_retries=MAX_ATTEMPTS, acks_late=True)
def render_letter_task(self, letter_id: int) -> str:  # type: ignore[no-untyped-def]
    """Render one letter. Claimed with a conditional update so that two workers never render
    the same letter at once; retried on transient errors; failed for good after the last try.
    The claim's attempt number is this run's token: only the run holding the latest claim
    writes its result, so a run that was taken for dead and overtaken throws its files away."""
    redelivered = bool((self.request.delivery_info or {}).get("redelivered"))
    token = _claim(letter_id, redelivered=redelivered)
    if token is None:
        return "skipped"
    mine = Letter.objects.filter(pk=letter_id, status=LetterStatus.RENDERING, attempts=token)
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
        digest = ""
        if letter.reply.disclosure == "public":
            public = public_copy(letter.reply)
            digest = public_digest(public)
            if differs(letter.reply, public):
                public_letter = render_letter(public)
                letter.public_file.save(
                    f"public-{name}", ContentFile(public_letter.content), save=False
                )
                public_name = letter.public_file.name or ""
    except RETRIED_ERRORS as error:
        final = self.request.retries >= MAX_ATTEMPTS
        if not mine.update(
            status=LetterStatus.FAILED if final else LetterStatus.PENDING, error=str(error)[:2000]
        ):
            return "overtaken"
        if final:
            logger.exception("letter %s failed for good", letter_id)
            return "failed"
        raise self.retry(exc=error, countdown=min(60 * 2**self.request.retries, 3600)) from error
    except Exception as error:
        if not mine.update(status=LetterStatus.FAILED, error=repr(error)[:2000]):
            return "overtaken"
        logger.exception("letter %s could not be rendered", letter_id)
        return "failed"
    written = mine.update(
        status=LetterStatus.READY,
        file=letter.file.name,
        public_file=public_name,
        public_digest=digest,
        sha256=rendered.sha256,
        page_count=rendered.page_count,
        rendered_at=timezone.now(),
        error="",
    )
    if not written:
        # another run claimed the letter meanwhile (the sweep took this one for dead): its
        # result stands; ours goes (the storage gave our files names of their own)
        for stray in {letter.file.name or "", public_name} - {old_name, ""}:
            letter.file.storage.delete(stray)
        return "overtaken"
    if old_name and old_name != letter.file.name:
        letter.file.storage.delete(old_name)
    return "ready"


@shared_task(bind=True, max_retries=MAX_ATTEMPTS)
def render_public_letter_task(self, letter_id: int) -> str:  # type: ignore[no-untyped-def]
    """Render the public copy of a ready letter again when the texts it hides changed since it
    was rendered (Letter.public_digest): a member's new number, a spelling hidden only now. The
    official letter stays as it is. Written only if no other run replaced the copy meanwhile."""
    letter = (
        Letter.objects.select_related("reply", "reply__proposal__meeting", "reply__unit")
        .filter(pk=letter_id, status=LetterStatus.READY)
        .first()
    )
    if letter is None:
        return "skipped"
    public = public_copy(letter.reply)
    digest = public_digest(public)
    if letter.public_digest == digest:
        return "fresh"
    old_name = letter.public_file.name or ""
    name = ""
    try:
        if differs(letter.reply, public):
            rendered = render_letter(public)
            letter.public_file.save(
                f"public-reply-{letter.reply_id}-{rendered.sha256[:12]}.pdf",
                ContentFile(rendered.content),
                save=False,
            )
            name = letter.public_file.name or ""
    except RETRIED_ERRORS as error:
        if self.request.retries >= MAX_ATTEMPTS:
            logger.exception("public letter %s failed for good", letter_id)
            return "failed"
        raise self.retry(exc=error, countdown=min(60 * 2**self.request.retries, 3600)) from error
    written = Letter.objects.filter(
        pk=letter_id, status=LetterStatus.READY, public_file=old_name
    ).update(public_file=name, public_digest=digest)
    if not written:
        if name:
            letter.public_file.storage.delete(name)
        return "overtaken"
    if old_name and old_name not in (name, letter.file.name):
        letter.public_file.storage.delete(old_name)
    return "ready"


def _claim(letter_id: int, *, redelivered: bool) -> int | None:
    """Take the letter for this run and return the run's attempt number, or None when it is done
    or another run has it. A message the broker hands out again because its worker died (the
    pool process was killed: reject_on_worker_lost; or the visibility timeout passed) may take
    over a letter left `rendering`, but only MAX_ATTEMPTS times in all, so that a letter that
    kills its worker every time cannot go round for ever."""
    claimable = Q(status=LetterStatus.PENDING)
    if redelivered:
        claimable |= Q(status=LetterStatus.RENDERING, attempts__lt=MAX_ATTEMPTS)
    attempts = (
        Letter.objects.filter(claimable, pk=letter_id).values_list("attempts", flat=True).first()
    )
    if attempts is None:
        return None
    claimed = Letter.objects.filter(claimable, pk=letter_id, attempts=attempts).update(
        status=LetterStatus.RENDERING, attempts=attempts + 1, queued_at=timezone.now()
    )
    return attempts + 1 if claimed else None


@shared_task
def queue_pending_letters() -> int:
    """Queue letters that could not be queued (broker down: they stay `pending`) or whose worker
    died mid-render (`rendering` for longer than LETTER_STUCK_AFTER_SECONDS). A letter that has
    used up its attempts that way fails for good instead of killing worker after worker."""
    now = timezone.now()
    stuck = Letter.objects.filter(status=LetterStatus.RENDERING, queued_at__lt=now - stuck_after())
    stuck.filter(attempts__gte=MAX_ATTEMPTS).update(
        status=LetterStatus.FAILED, error="rendering never finished: its worker died each time"
    )
    revived = list(stuck.order_by("pk").values_list("pk", flat=True)[:500])
    # guarded by queued_at: a letter claimed again meanwhile is left to its new run
    stuck.filter(pk__in=revived).update(status=LetterStatus.PENDING)
    waiting = Letter.objects.filter(
        status=LetterStatus.PENDING, queued_at__lt=now - timedelta(minutes=2)
    ).exclude(pk__in=revived)
    ids = revived + list(waiting.order_by("pk").values_list("pk", flat=True)[: 500 - len(revived)])
    for letter_id in ids:
        render_letter_task.delay(letter_id)
    return len(ids)


@shared_task
def close_items_after_window() -> int:
    """Daily: close items whose evaluation window passed without a 不满意."""
    from .services import close_items_after_window as close

    return close()

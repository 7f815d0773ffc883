"""Background jobs of accounts: e-mail copies of notices, and the sweep that catches up."""

from __future__ import annotations

import logging
import smtplib
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.db.models import F
from django.utils import timezone, translation
from django.utils.translation import gettext

from .language import user_language
from .models import EmailStatus, Notification

logger = logging.getLogger(__name__)
MAX_ATTEMPTS = 5


@shared_task(
    bind=True,
    autoretry_for=(smtplib.SMTPException, ConnectionError, TimeoutError),
    retry_backoff=30,
    retry_backoff_max=3600,
    max_retries=MAX_ATTEMPTS,
)
def send_notification_email(self, notification_id: int) -> str:  # type: ignore[no-untyped-def]
    """Send one notice by e-mail. Claimed with a conditional update so that a notice queued
    twice (by the commit hook and by the sweep) is sent once."""
    return _send_email(notification_id, final=self.request.retries >= MAX_ATTEMPTS)


@shared_task
def send_notification_emails(notification_ids: list[int]) -> dict[str, int]:
    """Send many notices by e-mail in one job (the reminder sweep's batches). A notice that
    fails stays pending; queue_pending_emails gives it its own job with retries."""
    results: dict[str, int] = {}
    for notice_id in notification_ids:
        try:
            result = _send_email(notice_id, final=False)
        except Exception:
            logger.warning("e-mail for notification %s failed; left for the sweep", notice_id)
            result = "failed"
        results[result] = results.get(result, 0) + 1
    return results


def _send_email(notification_id: int, *, final: bool) -> str:
    notice = Notification.objects.select_related("recipient").filter(pk=notification_id).first()
    if notice is None or notice.email_status != EmailStatus.PENDING:
        return "skipped"
    if not notice.recipient.email:
        Notification.objects.filter(pk=notice.pk).update(email_status=EmailStatus.SKIPPED)
        return "no address"
    claimed = Notification.objects.filter(
        pk=notice.pk, email_status=EmailStatus.PENDING, email_attempts=notice.email_attempts
    ).update(email_attempts=F("email_attempts") + 1)
    if not claimed:
        return "taken"
    try:
        # the notice was written in the recipient's language; so is the rest of the e-mail
        with translation.override(user_language(notice.recipient)):
            send_mail(
                subject=gettext("[建议提案办理系统] %(message)s")
                % {"message": notice.message[:60]},
                message=f"{notice.message}\n\n{settings.SITE_URL}{notice.url}",
                from_email=None,
                recipient_list=[notice.recipient.email],
            )
    except Exception:
        if final:
            Notification.objects.filter(pk=notice.pk).update(email_status=EmailStatus.FAILED)
        else:
            # give the claim back so that the retry can take it again
            Notification.objects.filter(pk=notice.pk).update(email_attempts=F("email_attempts") - 1)
        raise
    Notification.objects.filter(pk=notice.pk).update(email_status=EmailStatus.SENT)
    return "sent"


@shared_task
def queue_pending_emails(older_than_minutes: int = 5) -> int:
    """Queue the e-mails of notices that were saved while the broker was unreachable."""
    cutoff = timezone.now() - timedelta(minutes=older_than_minutes)
    ids = list(
        Notification.objects.filter(email_status=EmailStatus.PENDING, created_at__lt=cutoff)
        .order_by("pk")
        .values_list("pk", flat=True)[:1000]
    )
    for notice_id in ids:
        send_notification_email.delay(notice_id)
    return len(ids)


@shared_task(autoretry_for=(OSError,), retry_backoff=60, max_retries=5)
def send_sms_task(phone: str, text: str) -> None:
    from .sms import backend

    backend().send(phone, text[:300])


@shared_task
def send_sms_batch(messages: list[tuple[str, str]]) -> int:
    """Many SMS in one job (the reminder sweep's batches); one that fails gets its own job,
    which retries the gateway."""
    from .sms import backend

    sent = 0
    for phone, text in messages:
        try:
            backend().send(phone, text[:300])
            sent += 1
        except OSError:
            send_sms_task.delay(phone, text)
    return sent


@shared_task
def purge_login_logs() -> int:
    """Daily (beat): forget login records (successful and failed, from django-axes) older than
    LOGIN_LOG_KEEP_DAYS. Lockouts use their own short-lived rows and are not touched."""
    from axes.handlers.proxy import AxesProxyHandler

    days = settings.LOGIN_LOG_KEEP_DAYS
    return AxesProxyHandler.reset_logs(age_days=days) + AxesProxyHandler.reset_failure_logs(
        age_days=days
    )


@shared_task
def clear_expired_sessions() -> None:
    """Daily (beat): delete sessions past their expiry (SESSION_ABSOLUTE_HOURS at most), so that
    the sessions ended by a timeout or a password change do not stay in the table."""
    from importlib import import_module

    engine = import_module(settings.SESSION_ENGINE)
    engine.SessionStore.clear_expired()


@shared_task
def purge_personal_tokens() -> int:
    """Daily (beat): delete personal API tokens expired or revoked more than
    API_TOKEN_PURGE_AFTER_DAYS ago (accounts.api_tokens)."""
    from .api_tokens import purge_personal_tokens as purge

    return purge()

"""In-app notices and their e-mail copies.

`notify` writes the notices in the caller's transaction and queues the e-mails after commit. If
the broker is down the notice is still saved with e-mail status `pending`; the periodic sweep
`queue_pending_emails` queues it later, so nothing is lost.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.db import transaction
from django.db.models import Q

from .language import Text, render_for, user_language
from .models import Notification, Role, Unit, User

logger = logging.getLogger(__name__)


def unit_people(unit: Unit | int, *, leaders_only: bool = False) -> list[User]:
    roles = [Role.UNIT_LEADER] if leaders_only else [Role.UNIT_STAFF, Role.UNIT_LEADER]
    unit_id = unit if isinstance(unit, int) else unit.pk
    return list(User.objects.filter(unit_id=unit_id, role__in=roles, is_active=True))


def supervisors_of(body: str) -> list[User]:
    return list(
        User.objects.filter(role=Role.SUPERVISOR, is_active=True).filter(
            Q(supervisor_scope=body) | Q(supervisor_scope="all")
        )
    )


_muted: ContextVar[bool] = ContextVar("notices_muted", default=False)


@contextmanager
def notices_muted() -> Iterator[None]:
    """No notices (nor their e-mails) inside: steps replayed as a record of what already
    happened elsewhere, such as items imported from a sheet (intake), tell nobody."""
    token = _muted.set(True)
    try:
        yield
    finally:
        _muted.reset(token)


def notify(recipients: Iterable[User], message: str | Text, url: str = "") -> list[Notification]:
    """Tell each person (once) about a step that concerns them (nobody while notices_muted).
    A Text is written in each recipient's own language (accounts.language)."""
    if _muted.get():
        return []
    unique = {user.pk: user for user in recipients if user is not None and user.is_active}
    rendered: dict[str, str] = {}

    def text_for(user: User) -> str:
        language = user_language(user)
        if language not in rendered:
            rendered[language] = render_for(message, language)
        return rendered[language]

    notices = Notification.objects.bulk_create(
        [
            Notification(recipient=user, message=text_for(user)[:300], url=url)
            for user in unique.values()
        ]
    )
    ids = [notice.pk for notice in notices]
    if ids:
        transaction.on_commit(lambda: queue_emails(ids))
    return notices


def queue_emails(ids: list[int]) -> None:
    """Queue the e-mails of the notices of one step as one job. A notice whose e-mail fails, or
    that could not be queued (broker down), stays pending: queue_pending_emails gives it a job
    of its own, with retries."""
    from .tasks import send_notification_emails

    if not ids:
        return
    try:
        send_notification_emails.delay(ids)
    except Exception:  # broker down: the notices stay pending and the sweep queues them
        logger.warning("could not queue e-mails for %s notifications", len(ids), exc_info=True)

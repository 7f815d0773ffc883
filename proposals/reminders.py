"""The reminder sweep (daily, by Celery beat or `manage.py send_reminders`).

It reads only due rows through indexed date columns, works out who must be told, records each
reminder under a unique constraint (kind, target, recipient, period), and sends the recorded ones
a batch at a time, each batch locked (SKIP LOCKED), written and marked sent in one transaction.
So a repeated sweep, two sweeps at once, or a sweep that crashed half-way never sends a reminder
twice; a sweep after downtime catches up with the latest offset that was missed (a reminder 7
days ahead, not 15, when it runs 6 days before a deadline).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_noop

from accounts.language import Text
from accounts.models import EmailStatus, Notification, Role, User
from accounts.notifications import queue_emails, supervisors_of
from accounts.sms import send_sms_many

from .models import (
    HANDLING_ENDED_STATUSES,
    Assignment,
    AssignmentRole,
    Meeting,
    Reminder,
    ReminderKind,
    ReminderStatus,
)

logger = logging.getLogger(__name__)
RECORD_BATCH = 1000  # rows per INSERT (8 parameters each: within SQLite's limit too)
DELIVER_BATCH = 2000  # reminders locked and sent together


@dataclass(frozen=True)
class Due:
    kind: str
    target: str
    recipients: tuple[int, ...]  # user ids
    period: str
    message: Text  # rendered in each recipient's language when recorded
    url: str


def _offset(days_left: int, offsets: list[int]) -> int | None:
    """The latest reminder offset reached (15, 7, 3, 1): 6 days left → 7."""
    reached = [o for o in offsets if o >= days_left]
    return min(reached) if reached else None


def _offsets(meeting: Meeting) -> list[int]:
    return sorted({int(o) for o in meeting.reminder_offsets if int(o) > 0})


def _item_url(proposal_id: int) -> str:
    return reverse("proposals:detail", args=[proposal_id])


class _People:
    """Who is told, looked up once per sweep: unit staff and leaders, supervisors by body."""

    def __init__(self) -> None:
        staff: dict[int, list[int]] = {}
        leaders: dict[int, list[int]] = {}
        for pk, unit_id, role in (
            User.objects.filter(
                role__in=[Role.UNIT_STAFF, Role.UNIT_LEADER], is_active=True, unit__isnull=False
            )
            .order_by("pk")
            .values_list("pk", "unit_id", "role")
        ):
            staff.setdefault(unit_id, []).append(pk)
            if role == Role.UNIT_LEADER:
                leaders.setdefault(unit_id, []).append(pk)
        self.staff = {unit: tuple(ids) for unit, ids in staff.items()}
        self.leaders = {unit: tuple(ids) for unit, ids in leaders.items()}
        self.bodies: dict[str, tuple[int, ...]] = {}

    def unit(self, unit_id: int, *, leaders_only: bool = False) -> tuple[int, ...]:
        return (self.leaders if leaders_only else self.staff).get(unit_id, ())

    def supervisors(self, body: str) -> tuple[int, ...]:
        if body not in self.bodies:
            self.bodies[body] = tuple(person.pk for person in supervisors_of(body))
        return self.bodies[body]


class _Text:
    """Item links made once per value: a sweep writes tens of thousands."""

    def __init__(self) -> None:
        self.link = reverse("proposals:detail", args=[987654321])

    def url(self, proposal_id: int) -> str:
        return self.link.replace("987654321", str(proposal_id))


ASSIGNMENT_FIELDS = (
    "pk",
    "role",
    "status",
    "due_on",
    "assigned_at",
    "unit_id",
    "unit__short_name",
    "proposal_id",
    "proposal__title",
    "proposal__meeting_id",
)


def collect(today: date) -> list[Due]:
    """Every reminder due today, from indexed date ranges. Rows are read as tuples, and people,
    meetings, links and dates looked up once: the sweep reads tens of thousands of rows."""
    found: list[Due] = []
    people = _People()
    text = _Text()
    meetings = {meeting.pk: meeting for meeting in Meeting.objects.all()}
    offsets = {pk: _offsets(meeting) for pk, meeting in meetings.items()}
    # read as far ahead as the largest offset any meeting's policy sets (15 days by default)
    soon = today + timedelta(days=max((o for each in offsets.values() for o in each), default=0))
    # open: an assignment ended with its item (办结, 撤案) is reminded of no more
    running = Assignment.objects.open().order_by()
    # before the reply / co-opinion deadline
    for (
        pk,
        role,
        _status,
        due_on,
        _at,
        unit_id,
        _unit,
        proposal_id,
        title,
        meeting_id,
    ) in running.filter(due_on__gte=today, due_on__lte=soon).values_list(*ASSIGNMENT_FIELDS):
        left = (due_on - today).days
        offset = _offset(left, offsets[meeting_id])
        if offset is None:
            continue
        kind = ReminderKind.CO_OPINION if role == AssignmentRole.CO else ReminderKind.REPLY
        what = gettext_noop("会办意见") if kind == ReminderKind.CO_OPINION else gettext_noop("答复")
        found.append(
            Due(
                kind,
                f"assignment:{pk}",
                people.unit(unit_id),
                str(offset),
                Text(
                    gettext_noop("《%(title)s》%(what)s期限为%(due)s，还有%(n)s天。"),
                    title=title,
                    what=Text(what),
                    due=due_on,
                    n=left,
                ),
                text.url(proposal_id),
            )
        )
    # before the return window closes (computed live, indexed by the stored date)
    window_ends: dict[tuple[int, date], date] = {}
    for (
        pk,
        _role,
        status,
        _due,
        assigned_at,
        unit_id,
        _unit,
        proposal_id,
        title,
        meeting_id,
    ) in running.filter(
        # ten days' slack either way: the window is recomputed below with today's calendar
        return_until__gte=today - timedelta(days=10),
        return_until__lte=soon + timedelta(days=10),
    ).values_list(*ASSIGNMENT_FIELDS):
        if status != "assigned":
            continue  # signed for: the unit has accepted the item, no need to prompt a return
        assigned_on = timezone.localdate(assigned_at)
        key = (meeting_id, assigned_on)
        if key not in window_ends:
            window_ends[key] = meetings[meeting_id].return_window_ends_on(assigned_on)
        ends = window_ends[key]
        left = (ends - today).days
        offset = None if left < 0 else _offset(left, offsets[meeting_id])
        if offset is None:
            continue
        found.append(
            Due(
                ReminderKind.RETURN_WINDOW,
                f"assignment:{pk}",
                people.unit(unit_id),
                str(offset),
                Text(
                    gettext_noop("《%(title)s》尚未签收；如交办不当，申请退回的期限到%(date)s。"),
                    title=title,
                    date=ends,
                ),
                text.url(proposal_id),
            )
        )
    # after the deadline: daily to the unit leader, weekly to the supervisor
    week = f"{today.isocalendar().year}-W{today.isocalendar().week:02d}"
    for (
        pk,
        _role,
        _status,
        due_on,
        _at,
        unit_id,
        unit_name,
        proposal_id,
        title,
        meeting_id,
    ) in running.filter(due_on__lt=today).values_list(*ASSIGNMENT_FIELDS):
        message = Text(
            gettext_noop("《%(title)s》已逾期%(n)s天（期限%(due)s），请督促办理。"),
            title=title,
            n=(today - due_on).days,
            due=due_on,
        )
        url = text.url(proposal_id)
        target = f"assignment:{pk}"
        found.append(
            Due(
                ReminderKind.OVERDUE_LEADER,
                target,
                people.unit(unit_id, leaders_only=True),
                today.isoformat(),
                message,
                url,
            )
        )
        found.append(
            Due(
                ReminderKind.OVERDUE_SUPERVISOR,
                target,
                people.supervisors(meetings[meeting_id].body),
                week,
                Text(gettext_noop("%(unit)s：%(message)s"), unit=unit_name, message=message),
                url,
            )
        )
    found += _evaluation_reminders(today, soon, offsets, text)
    found += _follow_up_reminders(today, soon, people)
    return found


def _evaluation_reminders(
    today: date, soon: date, offsets: dict[int, list[int]], text: _Text
) -> list[Due]:
    from replies.models import Evaluation, Reply, ReplyStatus

    from .models import CoSigner, CoSignerStatus

    found = []
    window = Reply.objects.filter(
        status=ReplyStatus.SENT, evaluation_until__gte=today, evaluation_until__lte=soon
    )
    rated: dict[int, set[int]] = {}
    for reply_id, evaluator_id in Evaluation.objects.filter(
        reply__in=window.values("pk")
    ).values_list("reply_id", "evaluator_id"):
        rated.setdefault(reply_id, set()).add(evaluator_id)
    cosigners: dict[int, list[int]] = {}
    for proposal_id, member_id in (
        CoSigner.objects.filter(
            proposal__in=window.values("proposal_id"), status=CoSignerStatus.CONFIRMED
        )
        .order_by("pk")
        .values_list("proposal_id", "member_id")
    ):
        cosigners.setdefault(proposal_id, []).append(member_id)
    for pk, until, proposal_id, title, meeting_id, lead_id, unit_name in window.order_by(
        "pk"
    ).values_list(
        "pk",
        "evaluation_until",
        "proposal_id",
        "proposal__title",
        "proposal__meeting_id",
        "proposal__lead_id",
        "unit__short_name",
    ):
        until = until or today  # the filter above excludes NULL; this is for the type checker
        offset = _offset((until - today).days, offsets[meeting_id])
        if offset is None:
            continue
        done = rated.get(pk, set())
        waiting = tuple(
            person for person in [lead_id, *cosigners.get(proposal_id, [])] if person not in done
        )
        if waiting:
            found.append(
                Due(
                    ReminderKind.EVALUATION,
                    f"reply:{pk}",
                    waiting,
                    str(offset),
                    Text(
                        gettext_noop(
                            "请在%(date)s前对%(unit)s关于《%(title)s》的答复进行满意度测评。"
                        ),
                        date=until,
                        unit=unit_name,
                        title=title,
                    ),
                    text.url(proposal_id),
                )
            )
    return found


def _follow_up_reminders(today: date, soon: date, people: _People) -> list[Due]:
    from replies.models import FollowUp, FollowUpStatus

    found = []
    for follow_up in (
        FollowUp.objects.filter(status=FollowUpStatus.OPEN, due_on__gte=today, due_on__lte=soon)
        # a closed item's follow-up changes no more: no reminder to report on it
        .exclude(reply__proposal__status__in=HANDLING_ENDED_STATUSES)
        .select_related("reply__proposal__meeting")
        .defer(
            "reply__body_html",
            "reply__search_vector",
            "reply__proposal__body",
            "reply__proposal__search_vector",
        )
    ):
        offset = _offset(
            (follow_up.due_on - today).days, _offsets(follow_up.reply.proposal.meeting)
        )
        if offset is None:
            continue
        found.append(
            Due(
                ReminderKind.FOLLOW_UP,
                f"followup:{follow_up.pk}",
                people.unit(follow_up.reply.unit_id),
                str(offset),
                Text(
                    gettext_noop("《%(title)s》承诺的落实事项须在%(date)s前完成。"),
                    title=follow_up.reply.proposal.title,
                    date=follow_up.due_on,
                ),
                reverse("replies:follow_up", args=[follow_up.reply_id]),
            )
        )
    return found


def record(due: list[Due]) -> int:
    """Store each reminder once: INSERT … ON CONFLICT DO NOTHING under the unique constraint,
    so that rows an earlier or concurrent sweep stored are skipped. Returns the rows added. On
    PostgreSQL one statement per RECORD_BATCH rows takes each column as an array (unnest);
    elsewhere (SQLite) a VALUES list."""
    now = timezone.now()
    # the few people who read another language than the office's get the reminder in theirs
    chosen = {
        pk: language
        for pk, language in User.objects.exclude(preferences__language=settings.LANGUAGE_CODE)
        .filter(preferences__has_key="language")
        .values_list("pk", "preferences__language")
        if language
    }
    with translation.override(settings.LANGUAGE_CODE):
        defaults = [d.message.render()[:300] for d in due]
    rows = []
    for d, default in zip(due, defaults, strict=True):
        for person in d.recipients:
            language = chosen.get(person)
            message = default if language is None else d.message.render_in(language)[:300]
            rows.append((d.kind, d.target, person, d.period, message, d.url))
    table = connection.ops.quote_name(Reminder._meta.db_table)
    insert = (
        f"INSERT INTO {table} (kind, target, recipient_id, period, message, url, created_at, "
        "status, sent_at) "
    )
    added = 0
    with connection.cursor() as cursor:
        for start in range(0, len(rows), RECORD_BATCH):
            chunk = rows[start : start + RECORD_BATCH]
            if connection.vendor == "postgresql":
                columns = [list(column) for column in zip(*chunk, strict=True)]
                cursor.execute(
                    insert + "SELECT v.*, %s, %s, NULL FROM unnest(%s::text[], %s::text[], "
                    "%s::bigint[], %s::text[], %s::text[], %s::text[]) AS v "
                    "ON CONFLICT DO NOTHING RETURNING 1",
                    [now, ReminderStatus.PENDING, *columns],
                )
            else:
                values = ", ".join(["(%s, %s, %s, %s, %s, %s, %s, %s, NULL)"] * len(chunk))
                cursor.execute(
                    insert + f"VALUES {values} ON CONFLICT DO NOTHING RETURNING 1",
                    [v for row in chunk for v in (*row, now, ReminderStatus.PENDING)],
                )
            added += len(cursor.fetchall())
    return added


def _notify_batch(ids: list[int]) -> list[int]:
    """The in-app notices of one batch of reminders, written by the database in one statement
    (INSERT … SELECT from the reminders, active recipients only). Returns their ids."""
    notice = connection.ops.quote_name(Notification._meta.db_table)
    reminder = connection.ops.quote_name(Reminder._meta.db_table)
    user = connection.ops.quote_name(User._meta.db_table)
    params: list[Any]
    if connection.vendor == "postgresql":
        chosen, params = "r.id = ANY(%s)", [ids]
    else:
        chosen, params = f"r.id IN ({', '.join(['%s'] * len(ids))})", [*ids]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {notice} (recipient_id, message, url, created_at, read_at, "
            "email_status, email_attempts) "
            f"SELECT r.recipient_id, r.message, r.url, %s, NULL, %s, 0 FROM {reminder} r "
            f"JOIN {user} u ON u.id = r.recipient_id "
            f"WHERE {chosen} AND u.is_active ORDER BY r.id RETURNING id",
            [timezone.now(), EmailStatus.PENDING, *params],
        )
        return [row[0] for row in cursor.fetchall()]


def deliver(batch: int = DELIVER_BATCH) -> int:
    """Send pending reminders a batch at a time, each batch in one transaction: lock pending
    rows (SKIP LOCKED: a concurrent sweep takes others), write their in-app notices in one
    statement, mark them sent. E-mails and SMS are queued, one job each per batch, only after
    the commit. So a sweep that dies mid-batch leaves that batch pending and unsent (the next
    sweep sends it once), and a reminder is never sent twice."""
    sent = 0
    while True:
        with transaction.atomic():
            pending = Reminder.objects.filter(status=ReminderStatus.PENDING).order_by("pk")
            if connection.features.has_select_for_update_skip_locked:
                pending = pending.select_for_update(skip_locked=True)
            ids = list(pending.values_list("pk", flat=True)[:batch])
            if not ids:
                return sent
            texts = list(
                Reminder.objects.filter(
                    pk__in=ids, recipient__is_active=True, recipient__mobile__gt=""
                ).values_list("recipient__mobile", "message")
            )
            notice_ids = _notify_batch(ids)
            sent += Reminder.objects.filter(pk__in=ids).update(
                status=ReminderStatus.SENT, sent_at=timezone.now()
            )
            transaction.on_commit(lambda ids=notice_ids: queue_emails(ids))  # type: ignore[misc]
            transaction.on_commit(lambda texts=texts: send_sms_many(texts))  # type: ignore[misc]


def send_reminders(today: date | None = None) -> dict[str, int]:
    """The sweep: collect what is due, record it once, deliver what is pending."""
    today = today or timezone.localdate()
    recorded = record(collect(today))
    delivered = deliver()
    logger.info("reminder sweep %s: %s recorded, %s delivered", today, recorded, delivered)
    return {"recorded": recorded, "delivered": delivered}

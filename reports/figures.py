"""Every figure of the 办理工作报告 (the annual handling report), computed from the database for
one meeting, or for a year and a body (人大 / 政协), counting only what the supervisor may see
(`Proposal.objects.for_user`, `Assignment.objects.for_user`, `replies_for_user`).

Pure reads, aggregate queries only: the number of queries does not depend on the number of items.
Definitions (each one a plain count a reader can redo in the database):

- received: items submitted (every status but 草稿); registered: items given a number (立案,
  whatever happened later); rejected / merged / converted / withdrawn / pending_review: items in
  that status (不予立案, 并案, 转为意见, 撤案, 待审查); closed: 办结;
- key items: registered items marked 重点, and of those closed;
- assigned_items: items with a unit's part (not returned) in round 1; units: distinct units with a
  part in any round; lead / co / separate assignments: round-1 parts by role;
- replying parts (lead or separate, any round): replied, on time (first reply sent on or before
  the due date), overdue (still open past the due date); the on-time rate is on time over replied
  plus overdue, as the unit scorecards count it (proposals.dashboards);
- replied_items: items with at least one sent reply;
- sent replies (a correction counts, not the reply it replaced) per result class of the policy;
  public replies (同意公开);
- evaluations of sent or corrected replies: 满意 / 基本满意 / 不满意 of the work and of the
  result; satisfied = neither rating 不满意;
- face to face: replied parts with a face-to-face contact (面商, 座谈, 走访) the member did not
  dispute, over replied parts;
- rehandled_items: items with a part in round 2 or later; of those with a sent reply in such a
  round, and closed;
- B-class promises (落实情况): recorded, fulfilled, not fulfilled, open, ended with the item.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db.models import Count, F, Q, QuerySet
from django.db.models.functions import Coalesce
from django.utils import timezone

from proposals.dashboards import Rate, result_classes_of
from proposals.models import (
    Assignment,
    AssignmentRole,
    Meeting,
    Proposal,
    ProposalStatus,
)
from proposals.models.handling import (
    FACE_TO_FACE_METHODS,
    OPEN_ASSIGNMENT,
    ContactRecord,
    ContactResponse,
)
from replies.models import (
    Disclosure,
    Evaluation,
    FollowUp,
    FollowUpStatus,
    Rating,
    Reply,
    ReplyStatus,
)
from replies.permissions import replies_for_user

REPLYING_ROLES = (AssignmentRole.LEAD, AssignmentRole.SEPARATE)
PUBLISHED = (ReplyStatus.SENT, ReplyStatus.SUPERSEDED)

# The figures every report has, in the order the report reads them (class shares are added per
# the policy's classes as class_<code>).
FIGURE_KEYS = (
    "received",
    "registered",
    "rejected",
    "merged",
    "converted",
    "withdrawn",
    "pending_review",
    "closed",
    "key_items",
    "key_closed",
    "assigned_items",
    "units",
    "lead_assignments",
    "co_assignments",
    "separate_assignments",
    "replying",
    "replied",
    "on_time",
    "overdue",
    "replied_items",
    "sent_replies",
    "public_replies",
    "evaluations",
    "work_satisfied",
    "work_basically",
    "work_unsatisfied",
    "result_satisfied",
    "result_basically",
    "result_unsatisfied",
    "satisfied_evaluations",
    "face_to_face",
    "rehandled_items",
    "rehandled_replied",
    "rehandled_closed",
    "follow_ups",
    "follow_ups_fulfilled",
    "follow_ups_not_fulfilled",
    "follow_ups_open",
    "follow_ups_ended",
)


@dataclass(frozen=True)
class Scope:
    """A meeting, or a year and a body."""

    meeting: Meeting | None = None
    year: int | None = None
    body: str = ""

    @property
    def body_code(self) -> str:
        return self.meeting.body if self.meeting is not None else self.body

    def narrow(self, queryset: Any, meeting_path: str) -> Any:
        """`queryset` limited to the scope's meetings through `meeting_path` (a join on the
        meeting, as the dashboard narrows, not a subquery of item ids)."""
        if self.meeting is not None:
            return queryset.filter(**{meeting_path: self.meeting})
        return queryset.filter(
            **{f"{meeting_path}__year": self.year, f"{meeting_path}__body": self.body}
        )

    def items(self, user: Any) -> QuerySet[Proposal]:
        return self.narrow(Proposal.objects.for_user(user), "meeting")  # type: ignore[no-any-return]

    def meetings(self) -> QuerySet[Meeting]:
        if self.meeting is not None:
            return Meeting.objects.filter(pk=self.meeting.pk)
        return Meeting.objects.filter(year=self.year or 0, body=self.body).order_by(
            "session_starts_on", "pk"
        )


@dataclass
class UnitRow:
    name: str
    lead: int = 0
    co: int = 0
    separate: int = 0
    replied: int = 0
    on_time: int = 0
    overdue: int = 0

    @property
    def on_time_rate(self) -> Rate:
        return Rate(self.on_time, self.replied + self.overdue)


@dataclass
class KeyItem:
    number: str
    title: str
    leading_official: str
    units: list[tuple[str, str]]  # (unit, role) of the latest round
    status: str


@dataclass
class Figures:
    scope: Scope
    today: date
    counts: dict[str, int]
    classes: list[tuple[str, str]]  # (code, label) of the policy's result classes
    by_category: list[tuple[str, int]] = field(default_factory=list)  # registered items
    by_unit: list[UnitRow] = field(default_factory=list)
    key_rows: list[KeyItem] = field(default_factory=list)

    def rate(self, numerator: str, denominator: str | int) -> Rate:
        total = self.counts[denominator] if isinstance(denominator, str) else denominator
        return Rate(self.counts[numerator], total)

    @property
    def on_time_rate(self) -> Rate:
        return Rate(self.counts["on_time"], self.counts["replied"] + self.counts["overdue"])

    @property
    def face_to_face_rate(self) -> Rate:
        return self.rate("face_to_face", "replied")

    @property
    def satisfaction_rate(self) -> Rate:
        return self.rate("satisfied_evaluations", "evaluations")

    def class_rows(self) -> list[tuple[str, int, Rate]]:
        return [
            (label, self.counts[f"class_{code}"], self.rate(f"class_{code}", "sent_replies"))
            for code, label in self.classes
        ]

    def rating_rows(self, kind: str) -> list[tuple[str, int, Rate]]:
        return [
            (str(label), self.counts[f"{kind}_{code}"], self.rate(f"{kind}_{code}", "evaluations"))
            for code, label in Rating.choices
        ]

    def keys(self) -> set[str]:
        return set(self.counts)


def compute(user: Any, scope: Scope, *, today: date | None = None) -> Figures:
    """Every figure of the report for `scope`, as `user` may see it."""
    today = today or timezone.localdate()
    items = scope.items(user)
    counts: dict[str, int] = {}

    row = items.order_by().aggregate(
        received=Count("pk", filter=~Q(status=ProposalStatus.DRAFT)),
        registered=Count("pk", filter=Q(number__isnull=False)),
        rejected=Count("pk", filter=Q(status=ProposalStatus.REJECTED)),
        merged=Count("pk", filter=Q(status=ProposalStatus.MERGED)),
        converted=Count("pk", filter=Q(status=ProposalStatus.CONVERTED)),
        withdrawn=Count("pk", filter=Q(status=ProposalStatus.WITHDRAWN)),
        pending_review=Count("pk", filter=Q(status=ProposalStatus.SUBMITTED)),
        closed=Count("pk", filter=Q(status=ProposalStatus.CLOSED)),
        key_items=Count("pk", filter=Q(is_key=True, number__isnull=False)),
        key_closed=Count("pk", filter=Q(is_key=True, status=ProposalStatus.CLOSED)),
    )
    counts.update(row)

    assignments = scope.narrow(Assignment.objects.for_user(user).active(), "proposal__meeting")
    replying = Q(role__in=REPLYING_ROLES)
    replied = replying & Q(status="replied")
    row = assignments.order_by().aggregate(
        assigned_items=Count("proposal", filter=Q(round=1), distinct=True),
        units=Count("unit", distinct=True),
        lead_assignments=Count("pk", filter=Q(round=1, role=AssignmentRole.LEAD)),
        co_assignments=Count("pk", filter=Q(round=1, role=AssignmentRole.CO)),
        separate_assignments=Count("pk", filter=Q(round=1, role=AssignmentRole.SEPARATE)),
        replying=Count("pk", filter=replying),
        replied=Count("pk", filter=replied),
        overdue=Count("pk", filter=replying & OPEN_ASSIGNMENT & Q(due_on__lt=today)),
        rehandled_items=Count("proposal", filter=Q(round__gt=1), distinct=True),
    )
    counts.update(row)
    answered = assignments.filter(replied).values("pk")
    on_time_replies = Reply.objects.filter(
        assignment__in=answered,
        corrects__isnull=True,
        sent_at__isnull=False,
        sent_at__date__lte=F("assignment__due_on"),
    )
    counts["on_time"] = on_time_replies.aggregate(n=Count("assignment", distinct=True))["n"]
    counts["face_to_face"] = (
        ContactRecord.objects.filter(assignment__in=answered, method__in=FACE_TO_FACE_METHODS)
        .exclude(response=ContactResponse.DISPUTED)
        .aggregate(n=Count("assignment", distinct=True))["n"]
    )

    replies = scope.narrow(replies_for_user(user), "proposal__meeting")
    classes = result_classes_of(scope.meetings())
    sent = replies.filter(status=ReplyStatus.SENT)
    per_class = {
        f"class_{code}": Count("pk", filter=Q(result_class=code)) for code, _label in classes
    }
    row = sent.order_by().aggregate(
        sent_replies=Count("pk"),
        public_replies=Count("pk", filter=Q(disclosure=Disclosure.PUBLIC)),
        **per_class,
    )
    counts.update(row)
    counts["replied_items"] = replies.filter(status__in=PUBLISHED).aggregate(
        n=Count("proposal", distinct=True)
    )["n"]
    rehandled = replies.filter(status__in=PUBLISHED, assignment__round__gt=1)
    counts["rehandled_replied"] = rehandled.aggregate(n=Count("proposal", distinct=True))["n"]
    counts["rehandled_closed"] = assignments.filter(
        round__gt=1, proposal__status=ProposalStatus.CLOSED
    ).aggregate(n=Count("proposal", distinct=True))["n"]

    evaluations = Evaluation.objects.filter(
        reply__in=replies.filter(status__in=PUBLISHED).values("pk")
    )
    ratings: dict[str, Any] = {
        "evaluations": Count("pk"),
        "satisfied_evaluations": Count(
            "pk", filter=~Q(work_rating=Rating.UNSATISFIED) & ~Q(result_rating=Rating.UNSATISFIED)
        ),
    }
    for code in Rating.values:
        ratings[f"work_{code}"] = Count("pk", filter=Q(work_rating=code))
        ratings[f"result_{code}"] = Count("pk", filter=Q(result_rating=code))
    counts.update(evaluations.order_by().aggregate(**ratings))

    follow_ups = FollowUp.objects.filter(reply__in=replies.values("pk"))
    counts.update(
        follow_ups.order_by().aggregate(
            follow_ups=Count("pk"),
            follow_ups_fulfilled=Count("pk", filter=Q(status=FollowUpStatus.FULFILLED)),
            follow_ups_not_fulfilled=Count("pk", filter=Q(status=FollowUpStatus.NOT_FULFILLED)),
            follow_ups_open=Count("pk", filter=Q(status=FollowUpStatus.OPEN)),
            follow_ups_ended=Count("pk", filter=Q(status=FollowUpStatus.ENDED)),
        )
    )

    figures = Figures(scope, today, counts, classes)
    figures.by_category = [
        (row["name"] or "", row["n"])
        for row in items.filter(number__isnull=False)
        .order_by()
        .values(name=Coalesce("category__parent__name", "category__name"))
        .annotate(n=Count("pk"))
        .order_by("-n", "name")
    ]
    units: dict[int, UnitRow] = {}
    for row in (
        assignments.order_by()
        .values("unit", "unit__short_name")
        .annotate(
            lead=Count("pk", filter=Q(role=AssignmentRole.LEAD)),
            co=Count("pk", filter=Q(role=AssignmentRole.CO)),
            separate=Count("pk", filter=Q(role=AssignmentRole.SEPARATE)),
            replied=Count("pk", filter=replied),
            overdue=Count("pk", filter=replying & OPEN_ASSIGNMENT & Q(due_on__lt=today)),
        )
    ):
        units[row["unit"]] = UnitRow(
            row["unit__short_name"],
            row["lead"],
            row["co"],
            row["separate"],
            row["replied"],
            0,
            row["overdue"],
        )
    for unit_id, n in (
        on_time_replies.order_by()
        .values_list("assignment__unit")
        .annotate(n=Count("assignment", distinct=True))
    ):
        if unit_id in units:
            units[unit_id].on_time = n
    figures.by_unit = sorted(units.values(), key=lambda r: (-(r.lead + r.co + r.separate), r.name))
    figures.key_rows = _key_rows(items, assignments)
    return figures


def _key_rows(items: QuerySet[Proposal], assignments: QuerySet[Assignment]) -> list[KeyItem]:
    """重点建议提案: each with its leading official, the units of its latest round and status."""
    key = list(
        items.filter(is_key=True, number__isnull=False)
        .only("pk", "number", "number_label", "title", "leading_official", "status")
        .order_by("number", "pk")
    )
    parts: dict[int, list[Assignment]] = {}
    for assignment in (
        assignments.filter(proposal__in=[item.pk for item in key])
        .select_related("unit")
        .order_by("round", "role", "pk")
    ):
        parts.setdefault(assignment.proposal_id, []).append(assignment)
    rows = []
    for item in key:
        found = parts.get(item.pk, [])
        latest = max((a.round for a in found), default=0)
        names = dict.fromkeys(
            (a.unit.short_name, str(a.get_role_display())) for a in found if a.round == latest
        )
        rows.append(
            KeyItem(
                item.number_label,
                item.title,
                item.leading_official,
                list(names),
                str(item.get_status_display()),
            )
        )
    return rows


def figure_keys(figures: Figures) -> set[str]:
    """The keys a report of these classes has: FIGURE_KEYS and one per result class."""
    return set(FIGURE_KEYS) | {f"class_{code}" for code, _label in figures.classes}

"""Read-side computations of the supervisor's dashboard and the unit scorecards (督办仪表盘,
单位考评).

Pure reads: every function takes querysets already scoped to what the person may see
(`Proposal.objects.for_user`, `Assignment.objects.for_user`, `replies_for_user`) and answers with
aggregate queries (conditional `Count`s grouped in the database), so the number of queries does
not depend on the number of items. Nothing here writes.

Definitions used by the scorecards (per unit, over the chosen meeting or year):

- 交办数: the unit's assignments that were not returned (lead, co and separate, every round);
- 按期答复率: replying assignments (lead or separate) whose reply was sent on or before the due
  date (the date the first reply was sent, in local time, ≤ `due_on`, which already includes an
  approved extension), over the replied ones plus those still open past their due date;
- 答复类别占比: sent replies per result class of the meeting's policy; the "A类" rate of the
  rubric is the share of the meeting's first class;
- 满意率: evaluations of the unit's replies in which neither 办理工作 nor 办理结果 is 不满意, over
  all its evaluations;
- 重新办理: assignments of round 2 or later;
- 当面沟通率: replied assignments with a face-to-face contact record (面商, 座谈, 走访) that the
  member did not dispute, over the replied assignments;
- 答复公开率: sent replies marked 同意公开, over sent replies (a correction counts, not the
  reply it replaced).

A rate with nothing to count shows "—", never 0 % or 100 %; the year-end score and the ranking
compare units only on rates that every ranked unit has (see `assessment_scores`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any, NamedTuple

from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.fields.json import KeyTextTransform, KeyTransform
from django.utils import timezone
from django.utils.translation import gettext as _

from replies.models import Disclosure, Evaluation, Rating, Reply, ReplyStatus
from replies.permissions import replies_for_user

from .models import (
    Assignment,
    AssignmentRole,
    Meeting,
    Proposal,
    ProposalStatus,
)
from .models.assessment import RUBRIC_RATES, AssessmentRubric
from .models.handling import (
    ACTIVE_ASSIGNMENT_STATUSES,
    FACE_TO_FACE_METHODS,
    OPEN_ASSIGNMENT,
    ContactRecord,
    ContactResponse,
)
from .querysets import AssignmentQuerySet
from .separators import clauses, enumeration

if TYPE_CHECKING:
    from accounts.models import User

REPLYING_ROLES = (AssignmentRole.LEAD, AssignmentRole.SEPARATE)
PUBLISHED_REPLIES = (ReplyStatus.SENT, ReplyStatus.SUPERSEDED)
# the code of the first result class of the reply's meeting (A类 by default)
FIRST_CLASS = KeyTextTransform("code", KeyTransform("0", "proposal__meeting__result_classes"))
HUNDRED = Decimal(100)
CENT = Decimal("0.01")


class Rate(NamedTuple):
    """A share as its two counts, so a page can show both 75.0% and 3/4."""

    numerator: int
    denominator: int

    @property
    def value(self) -> Decimal | None:
        """The share between 0 and 1; None when there is nothing to count."""
        if not self.denominator:
            return None
        return Decimal(self.numerator) / Decimal(self.denominator)

    @property
    def percent(self) -> Decimal | None:
        value = self.value
        if value is None:
            return None
        return (value * HUNDRED).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)

    @property
    def fraction(self) -> str:
        return f"{self.numerator}/{self.denominator}"

    def __str__(self) -> str:
        percent = self.percent
        return "—" if percent is None else f"{percent}%"


# --- the dashboard -----------------------------------------------------------------------------


def status_counts(
    items: QuerySet[Proposal], trend: list[MeetingTrend] | None = None
) -> list[tuple[str, str, int]]:
    """(status, label, count) for every status but 草稿, in the workflow's order. One query, or
    none when given the trend_by_meeting of the same items."""
    counts: dict[str, int] = {}
    if trend is None:
        # COUNT(*), not COUNT(id): answered from the (meeting, status) index alone
        counts = dict(items.order_by().values_list("status").annotate(n=Count("*")))
    else:
        for row in trend:
            for code, n in row.statuses.items():
                counts[code] = counts.get(code, 0) + n
    return [
        (code, str(label), counts.get(code, 0))
        for code, label in ProposalStatus.choices
        if code != ProposalStatus.DRAFT
    ]


def due_soon(
    assignments: AssignmentQuerySet,
    days: int = 7,
    *,
    today: date | None = None,
    limit: int = 20,
) -> list[Assignment]:
    """Open assignments due within `days` days (today included), soonest first. One query."""
    return list(
        assignments.due_within(days, today)
        .select_related("proposal", "proposal__meeting", "unit")
        .defer("proposal__search_vector")
        .order_by("due_on", "proposal__number", "pk")[:limit]
    )


class UnitCount(NamedTuple):
    unit_id: int
    name: str
    short_name: str
    total: int


def overdue_by_unit(
    assignments: AssignmentQuerySet, *, today: date | None = None
) -> list[UnitCount]:
    """Open assignments past their due date, counted per unit, most first. One query."""
    rows = (
        assignments.overdue(today)
        .order_by()
        .values("unit", "unit__name", "unit__short_name")
        .annotate(n=Count("pk"))
        .order_by("-n", "unit__name")
    )
    return [
        UnitCount(row["unit"], row["unit__name"], row["unit__short_name"], row["n"]) for row in rows
    ]


@dataclass
class KeyItems:
    total: int
    closed: int
    overdue: int
    rows: Sequence[Proposal]


def key_items(items: QuerySet[Proposal], *, today: date | None = None, limit: int = 20) -> KeyItems:
    """重点建议提案: how many, how many closed, how many have a unit past its due date, and
    the first `limit` of them (open ones first) with their handling units of the latest round
    (`handlers`) and the next due date of an open assignment (`next_due_on`). Four queries."""
    today = today or timezone.localdate()
    key = items.filter(is_key=True)
    late = Assignment.objects.overdue(today).filter(proposal=OuterRef("pk"))
    totals = key.aggregate(
        total=Count("pk"),
        closed=Count("pk", filter=Q(status=ProposalStatus.CLOSED)),
        overdue=Count("pk", filter=Q(Exists(late))),
    )
    # the page's ids first, from the (meeting, status) covering index; then only those rows
    first = list(
        key.annotate(
            closed_last=Case(
                When(status=ProposalStatus.CLOSED, then=Value(1)),
                default=Value(0),
                output_field=IntegerField(),
            )
        )
        .order_by("closed_last", "meeting__session_starts_on", "meeting_id", "number", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    found = (
        Proposal.objects.filter(pk__in=first)
        .select_related("meeting")
        .defer("body", "search_vector")
        .prefetch_related(
            Prefetch("assignments", queryset=Assignment.objects.select_related("unit"))
        )
        .in_bulk()
    )
    rows = [found[pk] for pk in first]
    for item in rows:
        active = [a for a in item.assignments.all() if a.status in ACTIVE_ASSIGNMENT_STATUSES]
        latest = max((a.round for a in active), default=0)
        current = [a for a in active if a.round == latest]
        item.handlers = current  # type: ignore[attr-defined]
        open_dues = [a.due_on for a in current if a.is_open]
        item.next_due_on = min(open_dues, default=None)  # type: ignore[attr-defined]
        item.is_late = bool(  # type: ignore[attr-defined]
            item.next_due_on and item.next_due_on < today  # type: ignore[attr-defined]
        )
    return KeyItems(totals["total"], totals["closed"], totals["overdue"], rows)


class Share(NamedTuple):
    code: str
    label: str
    rate: Rate


def result_classes_of(meetings: Iterable[Meeting]) -> list[tuple[str, str]]:
    """(code, label) of the meetings' result classes, in policy order, each code once."""
    seen: dict[str, str] = {}
    for meeting in meetings:
        for entry in meeting.result_classes or []:
            code = str(entry.get("code", ""))
            if code and code not in seen:
                seen[code] = str(entry.get("label") or code)
    return list(seen.items())


def class_shares(
    replies: QuerySet[Reply], classes: Sequence[tuple[str, str]] | None = None
) -> list[Share]:
    """Sent replies per result class (A类, B类, C类 …) and their shares. `classes` is the order
    and labels to use; by default those of the replies' meetings (one more query)."""
    sent = replies.filter(status=ReplyStatus.SENT)
    counts: dict[str, int] = dict(
        sent.order_by().values_list("result_class").annotate(n=Count("*"))
    )
    if classes is None:
        meetings = Meeting.objects.filter(pk__in=sent.values("proposal__meeting")).only(
            "result_classes"
        )
        classes = result_classes_of(meetings)
    known = {code for code, _label in classes}
    ordered = list(classes) + [(code, code) for code in sorted(counts) if code not in known]
    total = sum(counts.values())
    return [Share(code, label, Rate(counts.get(code, 0), total)) for code, label in ordered]


@dataclass
class Satisfaction:
    total: int
    satisfied: Rate  # neither rating 不满意
    work: list[Share]  # 办理工作（态度）
    result: list[Share]  # 办理结果


def satisfaction_shares(evaluations: QuerySet[Evaluation]) -> Satisfaction:
    """满意 / 基本满意 / 不满意 shares of the handling work and of the result, and the share of
    evaluations with no 不满意 at all. One query."""
    aggregates: dict[str, Any] = {
        "total": Count("pk"),
        "satisfied": Count(
            "pk",
            filter=~Q(work_rating=Rating.UNSATISFIED) & ~Q(result_rating=Rating.UNSATISFIED),
        ),
    }
    for code in Rating.values:
        aggregates[f"work_{code}"] = Count("pk", filter=Q(work_rating=code))
        aggregates[f"result_{code}"] = Count("pk", filter=Q(result_rating=code))
    row = evaluations.order_by().aggregate(**aggregates)
    total = row["total"]
    return Satisfaction(
        total=total,
        satisfied=Rate(row["satisfied"], total),
        work=[
            Share(code, str(label), Rate(row[f"work_{code}"], total))
            for code, label in Rating.choices
        ],
        result=[
            Share(code, str(label), Rate(row[f"result_{code}"], total))
            for code, label in Rating.choices
        ],
    )


@dataclass
class MeetingTrend:
    meeting_id: int
    short_name: str
    submitted: int
    registered: int
    replied: int
    closed: int
    statuses: dict[str, int] = field(default_factory=dict)  # items per status


def trend_by_meeting(items: QuerySet[Proposal]) -> list[MeetingTrend]:
    """Per meeting, oldest first: items submitted, registered (立案, numbered), replied (at
    least one reply sent) and closed (办结), and the count of each status. Two queries, each
    answered from a covering index (items by meeting and status; sent replies) without
    reading the wide rows."""
    rows = (
        items.order_by()
        .values("meeting", "meeting__short_name", "meeting__session_starts_on", "status")
        .annotate(
            n=Count("status"),
            submitted=Count("submitted_at"),
            registered=Count("number"),
        )
        .order_by("meeting__session_starts_on", "meeting")
    )
    sent = Reply.objects.filter(status__in=PUBLISHED_REPLIES).values("proposal_id")
    replied = dict(
        items.filter(pk__in=sent).order_by().values_list("meeting").annotate(n=Count("status"))
    )
    trends: dict[int, MeetingTrend] = {}
    for row in rows:
        meeting = row["meeting"]
        if meeting not in trends:
            trends[meeting] = MeetingTrend(
                meeting, row["meeting__short_name"], 0, 0, replied.get(meeting, 0), 0
            )
        trend = trends[meeting]
        trend.submitted += row["submitted"]
        trend.registered += row["registered"]
        if row["status"] == ProposalStatus.CLOSED:
            trend.closed += row["n"]
        trend.statuses[row["status"]] = row["n"]
    return list(trends.values())


# --- unit scorecards and assessment ------------------------------------------------------------


@dataclass
class Scorecard:
    """One unit's numbers for a meeting (or a year, or everything the supervisor sees)."""

    unit_id: int
    name: str
    short_name: str
    assignments: int = 0  # not returned, any role and round
    replying: int = 0  # lead or separate
    replied: int = 0
    on_time: int = 0  # replied by the due date
    overdue: int = 0  # still open past the due date
    rehandled: int = 0  # round 2 or later
    face_to_face: int = 0  # replied, with an undisputed face-to-face contact
    sent: int = 0  # sent replies
    public: int = 0  # of which 同意公开
    top_class: int = 0  # of which in the meeting's first class (A类)
    class_counts: list[tuple[str, str, int]] = field(default_factory=list)
    evaluations: int = 0
    satisfied: int = 0  # evaluations with no 不满意
    score: Decimal | None = None  # the year-end score; None when the data is insufficient
    rank: int | None = None
    # the weighed rates this unit has no data for while other units in scope have (labels):
    # such a unit is listed apart under 数据不足, after every ranked unit, and gets no score
    missing: list[str] = field(default_factory=list)
    # the score over the rates it has: orders the 数据不足 units among themselves, never shown
    partial_score: Decimal | None = None

    @property
    def has_enough_data(self) -> bool:
        return self.score is not None

    @property
    def on_time_rate(self) -> Rate:
        return Rate(self.on_time, self.replied + self.overdue)

    @property
    def top_class_rate(self) -> Rate:
        return Rate(self.top_class, self.sent)

    @property
    def class_shares(self) -> list[Share]:
        return [Share(code, label, Rate(n, self.sent)) for code, label, n in self.class_counts]

    @property
    def satisfaction_rate(self) -> Rate:
        return Rate(self.satisfied, self.evaluations)

    @property
    def face_to_face_rate(self) -> Rate:
        return Rate(self.face_to_face, self.replied)

    @property
    def disclosure_rate(self) -> Rate:
        return Rate(self.public, self.sent)

    def rates(self) -> dict[str, Rate]:
        """The rates a rubric weighs, by the rubric's field names."""
        return {
            "on_time": self.on_time_rate,
            "class_a": self.top_class_rate,
            "satisfaction": self.satisfaction_rate,
            "face_to_face": self.face_to_face_rate,
            "disclosure": self.disclosure_rate,
        }


def scorecard_meetings(user: User, *, year: int | None = None) -> QuerySet[Meeting]:
    """The meetings a supervisor may filter by: those of their bodies."""
    meetings = Meeting.objects.filter(body__in=user.supervised_bodies())
    if year is not None:
        meetings = meetings.filter(year=year)
    return meetings


def unit_scorecards(
    meeting: Meeting | None,
    user: User,
    *,
    year: int | None = None,
    today: date | None = None,
) -> list[Scorecard]:
    """Per unit: the scorecard over the meeting (or the meetings of the year, or everything),
    counting only what `user` may see. Units by name. Six queries, however many items."""
    today = today or timezone.localdate()
    assignments = Assignment.objects.for_user(user).active()
    replies = replies_for_user(user)
    scope: dict[str, Any] = {}
    if meeting is not None:
        scope["proposal__meeting"] = meeting
    if year is not None:
        scope["proposal__meeting__year"] = year
    assignments = assignments.filter(**scope)
    replies = replies.filter(**scope)

    if meeting is not None:
        classes = result_classes_of([meeting])
    else:
        classes = result_classes_of(
            Meeting.objects.filter(pk__in=assignments.values("proposal__meeting"))
            .order_by("-year", "body", "-term", "-sitting")
            .only("result_classes")
        )

    replying = Q(role__in=REPLYING_ROLES)
    replied = replying & Q(status="replied")
    # on time and face to face are counted from the replies' and contacts' side, grouped by
    # unit (hash joins), not by an EXISTS per assignment (bench/pages.py)
    answered = assignments.filter(replied).values("pk")
    on_time = dict(
        Reply.objects.filter(
            assignment__in=answered,
            corrects__isnull=True,
            sent_at__isnull=False,
            sent_at__date__lte=F("assignment__due_on"),
        )
        .order_by()
        .values_list("assignment__unit")
        .annotate(n=Count("assignment", distinct=True))
    )
    met = dict(
        ContactRecord.objects.filter(assignment__in=answered, method__in=FACE_TO_FACE_METHODS)
        .exclude(response=ContactResponse.DISPUTED)
        .order_by()
        .values_list("assignment__unit")
        .annotate(n=Count("assignment", distinct=True))
    )
    cards: dict[int, Scorecard] = {}
    for row in (
        assignments.order_by()
        .values("unit", "unit__name", "unit__short_name")
        .annotate(
            n=Count("pk"),
            replying=Count("pk", filter=replying),
            replied=Count("pk", filter=replied),
            overdue=Count("pk", filter=replying & OPEN_ASSIGNMENT & Q(due_on__lt=today)),
            rehandled=Count("pk", filter=Q(round__gt=1)),
        )
    ):
        cards[row["unit"]] = Scorecard(
            unit_id=row["unit"],
            name=row["unit__name"],
            short_name=row["unit__short_name"],
            assignments=row["n"],
            replying=row["replying"],
            replied=row["replied"],
            on_time=on_time.get(row["unit"], 0),
            overdue=row["overdue"],
            rehandled=row["rehandled"],
            face_to_face=met.get(row["unit"], 0),
            class_counts=[(code, label, 0) for code, label in classes],
        )

    per_class = {
        f"class_{index}": Count("pk", filter=Q(result_class=code))
        for index, (code, _label) in enumerate(classes)
    }
    for row in (
        replies.filter(status=ReplyStatus.SENT)
        .order_by()
        .values("unit")
        .annotate(
            sent=Count("pk"),
            public=Count("pk", filter=Q(disclosure=Disclosure.PUBLIC)),
            top=Count("pk", filter=Q(result_class=FIRST_CLASS)),
            **per_class,
        )
    ):
        card = cards.get(row["unit"])
        if card is None:  # a reply of an assignment outside the scope: not counted
            continue
        card.sent, card.public, card.top_class = row["sent"], row["public"], row["top"]
        by_class: dict[str, Any] = dict(row)
        card.class_counts = [
            (code, label, by_class[f"class_{index}"]) for index, (code, label) in enumerate(classes)
        ]

    evaluations = Evaluation.objects.filter(
        reply__in=replies.filter(status__in=PUBLISHED_REPLIES).values("pk")
    )
    for row in (
        evaluations.order_by()
        .values("reply__unit")
        .annotate(
            n=Count("pk"),
            satisfied=Count(
                "pk",
                filter=~Q(work_rating=Rating.UNSATISFIED) & ~Q(result_rating=Rating.UNSATISFIED),
            ),
        )
    ):
        card = cards.get(row["reply__unit"])
        if card is not None:
            card.evaluations, card.satisfied = row["n"], row["satisfied"]

    return sorted(cards.values(), key=lambda card: (card.name, card.unit_id))


def assessment_score(card: Scorecard, rubric: AssessmentRubric) -> Decimal | None:
    """100 × Σ(weight × rate) / Σ(weight) over the rates the unit has, less the rubric's
    penalty per re-handled assignment, between 0 and 100 (two decimals). None when the unit
    has none of the weighed rates yet."""
    weighed = [
        (weight, rate.value)
        for name, weight in rubric.weights().items()
        if weight > 0 and (rate := card.rates()[name]).value is not None
    ]
    total_weight = sum((weight for weight, _value in weighed), Decimal(0))
    if not total_weight:
        return None
    base = HUNDRED * sum((weight * value for weight, value in weighed), Decimal(0)) / total_weight
    score = base - Decimal(rubric.rehandling_penalty) * card.rehandled
    return min(max(score, Decimal(0)), HUNDRED).quantize(CENT, rounding=ROUND_HALF_UP)


def assessment_scores(scorecards: Iterable[Scorecard], rubric: AssessmentRubric) -> list[Scorecard]:
    """Copies of the scorecards with their score and rank under the rubric, best first.

    Missing data is never rewarded: a weighed rate that some unit in scope has (its
    denominator is not 0) is compared across all of them, so a unit without it (no ratings
    yet, nothing due yet) gets no score and no rank; it is listed apart as 数据不足 after
    every ranked unit, ordered by how much it has (fewest missing rates, then the score over
    the rates it has). A rate no unit has is left out for everyone alike. Equal scores share
    a rank (1, 1, 3)."""
    cards = list(scorecards)
    labels = dict(RUBRIC_RATES)
    weighed = [name for name, weight in rubric.weights().items() if weight > 0]
    compared = [
        name for name in weighed if any(card.rates()[name].value is not None for card in cards)
    ]
    scored: list[Scorecard] = []
    for card in cards:
        rates = card.rates()
        missing = [str(labels[name]) for name in compared if rates[name].value is None]
        partial = assessment_score(card, rubric)
        enough = not missing and partial is not None
        scored.append(
            replace(
                card,
                score=partial if enough else None,
                rank=None,
                missing=missing if compared else [str(labels[name]) for name in weighed],
                partial_score=partial,
            )
        )
    scored.sort(
        key=lambda card: (
            card.score is None,
            -(card.score or 0),
            len(card.missing),
            card.partial_score is None,
            -(card.partial_score or 0),
            card.name,
            card.unit_id,
        )
    )
    previous: Decimal | None = None
    rank = 0
    for position, card in enumerate(scored, start=1):
        if card.score is None:
            break
        if card.score != previous:
            rank, previous = position, card.score
        card.rank = rank
    return scored


def scorecard_columns(classes: Sequence[tuple[str, str]]) -> list[tuple[str, bool]]:
    """The ranking table's columns as (header, is a rate), for the page and its Excel export
    alike, so that both carry the same labels."""
    return [
        (_("排名"), False),
        (_("承办单位"), False),
        (_("得分"), False),
        (_("交办数"), False),
        (_("按期答复率"), True),
        *((_("%(label)s占比") % {"label": label}, True) for _code, label in classes),
        (_("满意率"), True),
        (_("重新办理"), False),
        (_("当面沟通率"), True),
        (_("答复公开率"), True),
    ]


def scorecard_headers(classes: Sequence[tuple[str, str]]) -> list[str]:
    return [header for header, _is_rate in scorecard_columns(classes)]


def insufficient_label(card: Scorecard) -> str:
    """数据不足（缺：满意率） for a unit left out of the ranking."""
    if not card.missing:
        return _("数据不足")
    return _("数据不足（缺：%(rates)s）") % {"rates": enumeration(card.missing)}


def rubric_rows(rubric: AssessmentRubric) -> list[tuple[str, Decimal]]:
    """(label, weight) of the rubric's rates, for showing the rubric next to the scores."""
    weights = rubric.weights()
    return [(str(label), weights[name]) for name, label in RUBRIC_RATES]


# --- charts ------------------------------------------------------------------------------------

SERIES_COLOURS = ("#0b57d0", "#1a7f37", "#b26b00", "#8b1a1a", "#6f42c1")
BAR_HEIGHT = 18
BAR_GAP = 3
GROUP_GAP = 10
PLOT_WIDTH = 340
VALUE_WIDTH = 70
LEGEND_HEIGHT = 24
MAX_LABEL_WIDTH = 210


def _text_width(text: str) -> int:
    """Rough width in pixels at 13 px: CJK characters are square, the rest about half."""
    return sum(13 if ord(char) >= 0x2E80 else 7 for char in text)


def _short_label(text: str) -> str:
    if _text_width(text) <= MAX_LABEL_WIDTH:
        return text
    while text and _text_width(text + "…") > MAX_LABEL_WIDTH:
        text = text[:-1]
    return text + "…"


@dataclass
class ChartBar:
    series: str
    value: Decimal | int
    display: str
    x: int
    y: int
    width: int
    height: int
    text_x: int
    text_y: int
    colour: str
    title: str


@dataclass
class ChartGroup:
    label: str
    full_label: str
    label_y: int
    bars: list[ChartBar]


@dataclass
class LegendEntry:
    name: str
    colour: str
    x: int
    text_x: int


@dataclass
class BarChart:
    """Geometry of a horizontal bar chart, drawn by templates/proposals/_bar_chart.html."""

    ident: str
    title: str
    description: str
    width: int
    height: int
    label_width: int
    groups: list[ChartGroup]
    legend: list[LegendEntry]
    legend_y: int

    @property
    def is_empty(self) -> bool:
        return not self.groups


def _display(value: Decimal | int, percent: bool) -> str:
    return f"{value}%" if percent else str(value)


def bar_chart(
    ident: str,
    title: str,
    rows: Sequence[tuple[str, Any]],
    *,
    series: Sequence[str] = (),
    percent: bool = False,
    maximum: Decimal | int | None = None,
    description: str = "",
) -> BarChart:
    """Lay out rows of (label, value) as horizontal bars; with `series`, rows of
    (label, (value, value, …)) as groups of bars with a legend. Percentages (0–100, None for
    no data) are drawn against 100, other values against `maximum` or the largest value."""
    names = list(series) or [""]
    values_of = [(label, list(value) if series else [value]) for label, value in rows]
    numbers = [v for _label, values in values_of for v in values if v is not None]
    if percent:
        maximum = HUNDRED
    top = Decimal(maximum) if maximum is not None else max([Decimal(v) for v in numbers] + [0])
    label_width = min(
        max([_text_width(_short_label(str(label))) for label, _values in values_of] + [40]) + 8,
        MAX_LABEL_WIDTH + 8,
    )
    plot_x = label_width + 6
    legend = []
    y = 4
    if series:
        x = plot_x
        for index, name in enumerate(names):
            legend.append(LegendEntry(name, SERIES_COLOURS[index % len(SERIES_COLOURS)], x, x + 16))
            x += 16 + _text_width(name) + 16
        y += LEGEND_HEIGHT
    groups = []
    for label, values in values_of:
        bars = []
        group_top = y
        for index, value in enumerate(values):
            number = Decimal(value) if value is not None else Decimal(0)
            width = int((number / top * PLOT_WIDTH).to_integral_value()) if top else 0
            display = "—" if value is None else _display(value, percent)
            name = names[index]
            bars.append(
                ChartBar(
                    series=name,
                    value=value if value is not None else 0,
                    display=display,
                    x=plot_x,
                    y=y,
                    width=max(width, 1 if number else 0),
                    height=BAR_HEIGHT,
                    text_x=plot_x + max(width, 0) + 4,
                    text_y=y + BAR_HEIGHT - 5,
                    colour=SERIES_COLOURS[index % len(SERIES_COLOURS)],
                    title=_("%(label)s：%(value)s")
                    % {"label": f"{label} · {name}" if name else label, "value": display},
                )
            )
            y += BAR_HEIGHT + BAR_GAP
        y += GROUP_GAP - BAR_GAP
        middle = (group_top + y - GROUP_GAP) // 2
        groups.append(ChartGroup(_short_label(str(label)), str(label), middle + 5, bars))
    return BarChart(
        ident=ident,
        title=title,
        description=description or title,
        width=plot_x + PLOT_WIDTH + VALUE_WIDTH,
        height=y,
        label_width=label_width,
        groups=groups,
        legend=legend,
        legend_y=4 + 13,
    )


def percent_rows(shares: Sequence[Share]) -> list[tuple[str, Decimal | None]]:
    return [(share.label, share.rate.percent) for share in shares]


def chart_description(rows: Sequence[tuple[str, Any]], percent: bool = False) -> str:
    """The chart's data as one sentence, for screen readers."""
    parts = [f"{label} {'—' if v is None else _display(v, percent)}" for label, v in rows]
    return _("数据：%(data)s") % {"data": clauses(parts)} if parts else _("暂无数据")

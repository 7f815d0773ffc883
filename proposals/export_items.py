"""The item export (建议提案) offices work with: the columns a person may choose, and the rows,
read a chunk of items at a time with one query per chunk for each kind of related row the
chosen columns need (units, co-signers, replies, ratings), never one per item.

Only what the person may see: the items of `Proposal.objects.for_user`; sent replies only (a
draft or a reply in review never gives 文号 or 答复日), of those `replies_for_user` allows; and
the ratings the item page would show them (`replies.permissions.evaluations_for_user`: a
member their own, a unit's people those of their unit's replies).

Values of several units or signers are joined with "、"; an item answered by several units
names the unit before each value; a re-handled item shows its latest round's values with the
earlier rounds' stated after them (杭民复〔2026〕7号（第1轮：杭民复〔2026〕3号）), and its
earlier rounds' dates under 重新办理. Dates are typed date cells.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.db.models import Prefetch, QuerySet
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .filters import ProposalFilter
from .models import (
    Assignment,
    AssignmentRole,
    CoSigner,
    CoSignerStatus,
    Proposal,
    ProposalStatus,
)
from .sections import labelled_text
from .separators import clauses, enumeration, phrases
from .workbook import CHUNK_SIZE, Column


def item_queryset(user: Any, data: QueryDict) -> QuerySet[Proposal]:
    """The item list (建议提案) exactly as proposals.views.items.proposal_list filters it."""
    base = (
        Proposal.objects.for_user(user)
        .select_related("meeting", "category__parent", "lead")
        # the largest columns of a row: read only for the 正文 column (item_rows)
        .defer("body", "sections", "search_vector")
    )
    return ProposalFilter(data, queryset=base).qs


# The item export's columns, in the order they are written; the person chooses which.
ITEM_COLUMNS: tuple[Column, ...] = (
    Column(gettext_lazy("编号"), 14, key="number"),
    Column(gettext_lazy("标题"), 48, key="title"),
    Column(gettext_lazy("类型"), 8, key="kind"),
    Column(gettext_lazy("届次"), 24, key="meeting"),
    Column(gettext_lazy("领衔人"), 14, key="lead"),
    Column(gettext_lazy("联名人"), 24, key="cosigners"),
    Column(gettext_lazy("类别"), 20, key="category"),
    Column(gettext_lazy("状态"), 12, key="status"),
    Column(gettext_lazy("重点"), 8, key="is_key"),
    Column(gettext_lazy("主办单位"), 18, key="lead_units"),
    Column(gettext_lazy("会办单位"), 24, key="co_units"),
    Column(gettext_lazy("分办单位"), 24, key="separate_units"),
    Column(gettext_lazy("交办日"), 12, key="assigned_on"),
    Column(gettext_lazy("期限"), 12, key="due_on"),
    Column(gettext_lazy("答复日"), 12, key="replied_on"),
    Column(gettext_lazy("文号"), 26, key="document_number"),
    Column(gettext_lazy("答复类别"), 10, key="result_class"),
    Column(gettext_lazy("公开属性"), 10, key="disclosure"),
    Column(gettext_lazy("办理工作测评"), 30, key="work_ratings"),
    Column(gettext_lazy("办理结果测评"), 30, key="result_ratings"),
    Column(gettext_lazy("重新办理"), 30, key="rounds"),
    Column(gettext_lazy("办结日"), 12, key="closed_on"),
    Column(gettext_lazy("提交时间"), 18, key="submitted_at", default=False),
    # the item's text, each section after its label (案由：…), or its one text
    Column(gettext_lazy("正文"), 80, key="text", default=False),
)
ITEM_COLUMN_KEYS = tuple(column.key for column in ITEM_COLUMNS)
DEFAULT_ITEM_COLUMNS = tuple(column.key for column in ITEM_COLUMNS if column.default)
# what each group of columns needs loaded besides the item row (one query per chunk each)
_NEEDS_ASSIGNMENTS = {
    "lead_units",
    "co_units",
    "separate_units",
    "assigned_on",
    "due_on",
    "replied_on",
    "document_number",
    "result_class",
    "disclosure",
    "work_ratings",
    "result_ratings",
    "rounds",
}
_NEEDS_REPLIES = {
    "replied_on",
    "document_number",
    "result_class",
    "disclosure",
    "work_ratings",
    "result_ratings",
    "rounds",
}
_NEEDS_EVALUATIONS = {"work_ratings", "result_ratings"}
_NEEDS_COSIGNERS = {"cosigners", "work_ratings", "result_ratings"}
ROLE_ORDER = {AssignmentRole.LEAD: 0, AssignmentRole.SEPARATE: 1, AssignmentRole.CO: 2}


def _item_prefetches(user: Any, keys: Sequence[str]) -> list[Prefetch[Any]]:
    """What the chosen columns need, as prefetches run once per chunk of rows, each limited
    to what `user` may see: sent replies only (a draft or a reply in review never gives 文号
    or 答复日), and the ratings the item page would show them (replies.permissions)."""
    from replies.models import ReplyStatus
    from replies.permissions import evaluations_for_user, replies_for_user

    wanted = set(keys)
    prefetches: list[Prefetch[Any]] = []
    if wanted & _NEEDS_ASSIGNMENTS:
        prefetches.append(
            Prefetch(
                "assignments",
                queryset=Assignment.objects.active().select_related("unit"),
                to_attr="export_assignments",
            )
        )
    if wanted & _NEEDS_COSIGNERS:
        prefetches.append(
            Prefetch(
                "cosigners",
                queryset=CoSigner.objects.filter(status=CoSignerStatus.CONFIRMED)
                .select_related("member")
                .order_by("invited_at", "pk"),
                to_attr="export_cosigners",
            )
        )
    if wanted & _NEEDS_REPLIES:
        prefetches.append(
            Prefetch(
                "replies",
                # a corrected reply (已更正) is read for its first sending date and ratings
                queryset=replies_for_user(user)
                .filter(status__in=[ReplyStatus.SENT, ReplyStatus.SUPERSEDED])
                .exclude(assignment__role=AssignmentRole.CO)
                .select_related("assignment", "unit")
                .defer("opening", "body_html", "thanks", "cc", "search_vector")
                .order_by("pk"),
                to_attr="export_replies",
            )
        )
    if wanted & _NEEDS_EVALUATIONS:
        prefetches.append(
            Prefetch(
                "export_replies__evaluations",
                queryset=evaluations_for_user(user).select_related("evaluator").order_by("pk"),
                to_attr="export_evaluations",
            )
        )
    return prefetches


def _joined(values: Iterable[str]) -> str:
    return enumeration(dict.fromkeys(value for value in values if value))


def _local_day(moment: datetime | None) -> date | None:
    return timezone.localdate(moment) if moment else None


def _by_rounds(values: dict[int, list[str]], latest: int) -> str:
    """The latest round's values, earlier rounds' stated after them:
    杭民复〔2026〕7号（第1轮：杭民复〔2026〕3号）."""
    current = _joined(values.get(latest, []))
    earlier = [
        _("第%(n)s轮：%(values)s") % {"n": number, "values": _joined(found)}
        for number, found in sorted(values.items())
        if number != latest and _joined(found)
    ]
    if not earlier:
        return current
    return _earlier_after(current, earlier)


def _earlier_after(current: str, earlier: list[str]) -> str:
    """The latest round's text with earlier rounds' after it in brackets."""
    return _("%(latest)s（%(earlier)s）") % {"latest": current, "earlier": clauses(earlier)}


def _assignment_order(assignment: Assignment) -> tuple[Any, ...]:
    """Rounds in order; in a round the lead unit, the separate units, then the co units, each
    in the order they were assigned (as the 交办 named them)."""
    role = ROLE_ORDER[AssignmentRole(assignment.role)]
    return (assignment.round, role, assignment.assigned_at, assignment.pk)


@dataclass
class _SentReply:
    """A sent reply as the export reads it: its first sending (a correction keeps the
    original's date) and the ratings given on it or on the reply it corrected."""

    reply: Any
    round: int
    sent_on: date | None
    evaluations: list[Any]


def _sent_replies(item: Proposal) -> list[_SentReply]:
    from replies.models import ReplyStatus

    replies = getattr(item, "export_replies", [])
    by_pk = {reply.pk: reply for reply in replies}
    found = []
    for reply in replies:
        if reply.status != ReplyStatus.SENT:
            continue
        chain = [reply]
        while chain[-1].corrects_id in by_pk and len(chain) <= len(by_pk):
            chain.append(by_pk[chain[-1].corrects_id])
        found.append(
            _SentReply(
                reply=reply,
                round=reply.assignment.round,
                sent_on=_local_day(chain[-1].sent_at),
                evaluations=[
                    evaluation
                    for link in chain
                    for evaluation in getattr(link, "export_evaluations", [])
                ],
            )
        )
    found.sort(key=lambda sent: _assignment_order(sent.reply.assignment))
    return found


class ItemFacts:
    """The values of one item's row, from the item and what was prefetched for its chunk."""

    def __init__(self, item: Proposal) -> None:
        self.item = item
        assignments = sorted(getattr(item, "export_assignments", []), key=_assignment_order)
        self.assignments = assignments
        self.latest = max((a.round for a in assignments), default=0)
        self.cosigners = [c.member for c in getattr(item, "export_cosigners", [])]
        self.replies = _sent_replies(item)
        replying_units = {a.unit_id for a in assignments if a.gives_reply}
        # an item answered by several units names the unit before each value
        self.several_units = len(replying_units) > 1

    def units(self, role: str) -> str:
        return _joined(a.unit.short_name for a in self.assignments if a.role == role)

    def _in_round(self, number: int) -> list[Assignment]:
        return [a for a in self.assignments if a.round == number]

    def assigned_on(self, number: int | None = None) -> date | None:
        current = self._in_round(self.latest if number is None else number)
        return min((timezone.localdate(a.assigned_at) for a in current), default=None)

    def due_on(self) -> date | None:
        """The latest round's reply deadline: the last of its replying units' due dates (an
        approved extension included)."""
        current = self._in_round(self.latest)
        replying = [a.due_on for a in current if a.gives_reply] or [a.due_on for a in current]
        return max(replying, default=None)

    def replied_on(self, number: int | None = None) -> date | None:
        """The day the round's last reply was sent (the first sending, for a correction)."""
        number = self.latest if number is None else number
        days = [sent.sent_on for sent in self.replies if sent.round == number and sent.sent_on]
        return max(days, default=None)

    def _per_reply(self, value: Callable[[_SentReply], str]) -> str:
        by_round: dict[int, list[str]] = {}
        for sent in self.replies:
            text = value(sent)
            if text and self.several_units:
                text = _("%(unit)s：%(value)s") % {
                    "unit": sent.reply.unit.short_name,
                    "value": text,
                }
            by_round.setdefault(sent.round, []).append(text)
        return _by_rounds(by_round, self.latest)

    def document_numbers(self) -> str:
        return self._per_reply(lambda sent: sent.reply.document_number)

    def result_classes(self) -> str:
        return self._per_reply(lambda sent: _class_label(self.item, sent.reply.result_class))

    def disclosures(self) -> str:
        return self._per_reply(lambda sent: sent.reply.get_disclosure_display())

    def ratings(self, field_name: str) -> str:
        """何红：满意、王建国：基本满意 per reply, the lead submitter first, then the
        co-signers in the order they were invited; several units' replies as
        市民政局（何红：满意）；市交通局（何红：不满意）, earlier rounds after the latest."""
        order = {self.item.lead_id: 0}
        for index, member in enumerate(self.cosigners, start=1):
            order.setdefault(member.pk, index)
        by_round: dict[int, list[str]] = {}
        for sent in self.replies:
            evaluations = sorted(
                sent.evaluations,
                key=lambda e: (order.get(e.evaluator_id, len(order)), e.submitted_at, e.pk),
            )
            text = enumeration(
                _("%(member)s：%(rating)s")
                % {"member": e.evaluator, "rating": getattr(e, f"get_{field_name}_display")()}
                for e in evaluations
            )
            if not text:
                continue
            if self.several_units:
                text = _("%(unit)s（%(ratings)s）") % {
                    "unit": sent.reply.unit.short_name,
                    "ratings": text,
                }
            by_round.setdefault(sent.round, []).append(text)
        current = clauses(by_round.get(self.latest, []))
        earlier = [
            _("第%(n)s轮：%(values)s") % {"n": number, "values": clauses(found)}
            for number, found in sorted(by_round.items())
            if number != self.latest
        ]
        return _earlier_after(current, earlier) if earlier else current

    def rounds(self) -> str:
        """Blank for an item handled once; 第2轮（第1轮：2026-01-05交办，2026-03-01答复）
        while or after it is re-handled."""
        if self.latest <= 1:
            return ""
        earlier = []
        for number in range(1, self.latest):
            assigned, replied = self.assigned_on(number), self.replied_on(number)
            parts = [_("%(day)s交办") % {"day": assigned.isoformat()}] if assigned else []
            if replied:
                parts.append(_("%(day)s答复") % {"day": replied.isoformat()})
            earlier.append(_("第%(n)s轮：%(facts)s") % {"n": number, "facts": phrases(parts)})
        return _earlier_after(_("第%(n)s轮") % {"n": self.latest}, earlier)


def _class_label(item: Proposal, code: str) -> str:
    for entry in item.meeting.result_classes or []:
        if entry.get("code") == code:
            return str(entry.get("label") or code)
    return code


ITEM_VALUES: dict[str, Callable[[ItemFacts], Any]] = {
    "number": lambda f: f.item.number_label,
    "title": lambda f: f.item.title,
    "kind": lambda f: f.item.get_kind_display(),
    "meeting": lambda f: f.item.meeting.short_name,
    "lead": lambda f: str(f.item.lead),
    "cosigners": lambda f: _joined(str(member) for member in f.cosigners),
    "category": lambda f: str(f.item.category) if f.item.category_id else "",
    "status": lambda f: f.item.get_status_display(),
    "is_key": lambda f: _("是") if f.item.is_key else "",
    "lead_units": lambda f: f.units(AssignmentRole.LEAD),
    "co_units": lambda f: f.units(AssignmentRole.CO),
    "separate_units": lambda f: f.units(AssignmentRole.SEPARATE),
    "assigned_on": lambda f: f.assigned_on(),
    "due_on": lambda f: f.due_on(),
    "replied_on": lambda f: f.replied_on(),
    "document_number": lambda f: f.document_numbers(),
    "result_class": lambda f: f.result_classes(),
    "disclosure": lambda f: f.disclosures(),
    "work_ratings": lambda f: f.ratings("work_rating"),
    "result_ratings": lambda f: f.ratings("result_rating"),
    "rounds": lambda f: f.rounds(),
    "closed_on": lambda f: (
        _local_day(f.item.closed_at) if f.item.status == ProposalStatus.CLOSED else None
    ),
    "submitted_at": lambda f: f.item.submitted_at,
    "text": lambda f: labelled_text(f.item),
}


def item_rows(user: Any, queryset: QuerySet[Any], keys: Sequence[str]) -> Iterator[list[Any]]:
    """The item export's rows with the columns `keys`: a chunk of CHUNK_SIZE items at a time,
    with one query per chunk for each kind of related row the columns need (units,
    co-signers, replies, ratings), never one per item."""
    prefetches = _item_prefetches(user, keys)
    if "text" in keys:  # the item queryset leaves the text out unless this column wants it
        queryset = queryset.defer(None).defer("search_vector")
    rows = queryset.prefetch_related(*prefetches) if prefetches else queryset
    values = [ITEM_VALUES[key] for key in keys]
    for item in rows.iterator(chunk_size=CHUNK_SIZE):
        facts = ItemFacts(item)
        yield [value(facts) for value in values]

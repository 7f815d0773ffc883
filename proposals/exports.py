"""Excel (.xlsx) exports of the filtered lists, built with openpyxl's write-only workbook.

Every export re-runs the page's own query: the user's permission-filtered queryset under the
page's filter (ProposalFilter, AssignmentFilter, the follow-up list's status and overdue), with
the page's query string. Small exports are answered in the request; larger ones (more than
`EXPORT_SYNC_MAX_ROWS` rows) become an `ExportJob` written by `proposals.tasks.export_job_task`,
which re-checks the owner's role and rebuilds the query with the owner's user object.

Cell text is neutralised against formula injection (OWASP "CSV injection"): text beginning with
=, +, -, @, a tab or a carriage return is written with a leading single quote, and always as a
string cell. Dates, times and numbers stay typed. The scorecards call `write_rows` directly.
"""

from __future__ import annotations

import io
import logging
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.db import transaction
from django.db.models import Prefetch, QuerySet
from django.http import QueryDict
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from accounts.models import Role

from .filters import AssignmentFilter, ProposalFilter
from .models import (
    Assignment,
    AssignmentRole,
    CoSigner,
    CoSignerStatus,
    ExportJob,
    ExportKind,
    ExportStatus,
    Proposal,
    ProposalStatus,
)
from .models.handling import OPEN_ASSIGNMENT_STATUSES

logger = logging.getLogger(__name__)

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PROGRESS_EVERY = 1000  # rows between two progress updates of a background job
CHUNK_SIZE = 1000  # rows fetched from the database at a time
PENDING_TOO_LONG = timedelta(minutes=2)  # queued but never started: the broker lost it
RUNNING_TOO_LONG = timedelta(minutes=15)  # no progress for this long: the worker died
MAX_CELL_CHARS = 32767  # Excel's limit for one cell
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
PERCENT_FORMAT = "0.0%"
UNIT_ROLES = (Role.UNIT_STAFF, Role.UNIT_LEADER)


def sync_max_rows() -> int:
    """Exports up to this many rows are answered at once; larger ones run in the background
    (the EXPORT_SYNC_MAX_ROWS setting, read from the environment)."""
    return int(settings.EXPORT_SYNC_MAX_ROWS)


# --- cells and workbooks -------------------------------------------------------------------


def safe_cell(value: Any) -> Any:
    """A value ready for a cell: numbers, dates and times stay typed (aware datetimes in local
    time, as Excel has no time zones); anything else becomes text, with characters that XML
    cannot carry removed and a leading ' added where Excel would read a formula."""
    if value is None or isinstance(value, bool | int | float | Decimal):
        return value
    if isinstance(value, datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        return value.replace(tzinfo=None)
    if isinstance(value, date | time | timedelta):
        return value
    text = ILLEGAL_CHARACTERS_RE.sub("", str(value))
    if text.startswith(FORMULA_PREFIXES):
        text = "'" + text
    return text[:MAX_CELL_CHARS]


@dataclass(frozen=True)
class Column:
    header: str | Promise
    width: float = 14
    key: str = ""  # the name a person's column choice uses (the item export)
    number_format: str = ""  # for numbers in this column, e.g. PERCENT_FORMAT
    default: bool = True  # exported unless the person chose otherwise


def _column(header: str | Promise | Column) -> Column:
    if isinstance(header, Column):
        return header
    return Column(header, max(10.0, 2.2 * len(str(header)) + 4))


def _sheet_title(title: str) -> str:
    for char in "[]:*?/\\":
        title = title.replace(char, " ")
    return title.strip()[:31] or "Sheet1"


def write_workbook(
    target: IO[bytes],
    rows: Iterable[Sequence[Any]],
    headers: Sequence[str | Promise | Column],
    *,
    sheet_title: str = "",
    on_progress: Callable[[int], None] | None = None,
    progress_every: int = PROGRESS_EVERY,
) -> int:
    """Write one sheet (bold, frozen header row; set column widths; an auto-filter over the
    data) to `target` and return the number of data rows. Rows are streamed: only the current
    row is held in memory. `on_progress(n)` is called after every `progress_every` rows."""
    columns = [_column(header) for header in headers]
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_sheet_title(sheet_title))
    for index, column in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = column.width
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="F2F2F2")
    centre = Alignment(horizontal="center", vertical="center")
    header_cells = []
    for column in columns:
        cell = WriteOnlyCell(sheet, value=safe_cell(str(column.header)))
        cell.font, cell.fill, cell.alignment = bold, fill, centre
        header_cells.append(cell)
    sheet.append(header_cells)
    formats = [column.number_format for column in columns]
    count = 0
    for row in rows:
        sheet.append(
            [
                _typed_cell(sheet, value, formats[index] if index < len(formats) else "")
                for index, value in enumerate(row)
            ]
        )
        count += 1
        if on_progress is not None and count % progress_every == 0:
            on_progress(count)
    if columns:
        last = get_column_letter(len(columns))
        sheet.auto_filter.ref = f"A1:{last}{count + 1}"
    workbook.save(target)
    return count


def _typed_cell(sheet: Any, value: Any, number_format: str = "") -> Any:
    value = safe_cell(value)
    if number_format and isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = number_format
        return cell
    if isinstance(value, datetime):
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = DATETIME_FORMAT
        return cell
    if isinstance(value, date):
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = DATE_FORMAT
        return cell
    if isinstance(value, str):
        # an explicit string cell: openpyxl would otherwise read a leading "=" as a formula
        cell = WriteOnlyCell(sheet, value=value)
        cell.data_type = "s"
        return cell
    return value


def write_rows(
    rows: Iterable[Sequence[Any]],
    headers: Sequence[str | Promise | Column],
    *,
    sheet_title: str = "",
) -> bytes:
    """The .xlsx file of `rows` under a header row, as bytes (for the scorecards and the small
    list exports answered in the request)."""
    buffer = io.BytesIO()
    write_workbook(buffer, rows, headers, sheet_title=sheet_title)
    return buffer.getvalue()


# --- the lists -----------------------------------------------------------------------------


def _days_left(day: date | None, today: date) -> int | None:
    return (day - today).days if day else None


def item_queryset(user: Any, data: QueryDict) -> QuerySet[Proposal]:
    """The item list (建议提案) exactly as proposals.views.items.proposal_list filters it."""
    base = (
        Proposal.objects.for_user(user)
        .select_related("meeting", "category__parent", "lead")
        .defer("body", "search_vector")  # never exported; the largest columns of a row
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
    return "、".join(dict.fromkeys(value for value in values if value))


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
    return f"{current}（{'；'.join(earlier)}）"


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
                text = f"{sent.reply.unit.short_name}：{text}"
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
            text = "、".join(
                f"{e.evaluator}：{getattr(e, f'get_{field_name}_display')()}" for e in evaluations
            )
            if not text:
                continue
            if self.several_units:
                text = f"{sent.reply.unit.short_name}（{text}）"
            by_round.setdefault(sent.round, []).append(text)
        current = "；".join(by_round.get(self.latest, []))
        earlier = [
            _("第%(n)s轮：%(values)s") % {"n": number, "values": "；".join(found)}
            for number, found in sorted(by_round.items())
            if number != self.latest
        ]
        return f"{current}（{'；'.join(earlier)}）" if earlier else current

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
            earlier.append(_("第%(n)s轮：%(facts)s") % {"n": number, "facts": "，".join(parts)})
        return _("第%(n)s轮") % {"n": self.latest} + f"（{'；'.join(earlier)}）"


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
}


def item_rows(user: Any, queryset: QuerySet[Any], keys: Sequence[str]) -> Iterator[list[Any]]:
    """The item export's rows with the columns `keys`: a chunk of CHUNK_SIZE items at a time,
    with one query per chunk for each kind of related row the columns need (units,
    co-signers, replies, ratings), never one per item."""
    prefetches = _item_prefetches(user, keys)
    rows = queryset.prefetch_related(*prefetches) if prefetches else queryset
    values = [ITEM_VALUES[key] for key in keys]
    for item in rows.iterator(chunk_size=CHUNK_SIZE):
        facts = ItemFacts(item)
        yield [value(facts) for value in values]


def chosen_columns(user: Any, kind: str) -> tuple[str, ...]:
    """The columns `user` last chose for the export `kind` (known ones, in the export's
    order); the export's default columns when they chose none."""
    spec = EXPORTS[kind]
    if not spec.choosable:
        return spec.keys
    saved = ((getattr(user, "preferences", None) or {}).get(EXPORT_COLUMNS_PREFERENCE) or {}).get(
        kind
    )
    if not isinstance(saved, list):
        return spec.default_keys
    chosen = tuple(key for key in spec.keys if key in saved)
    return chosen or spec.default_keys


EXPORT_COLUMNS_PREFERENCE = "export_columns"


@transaction.atomic
def export_columns_remember(*, user: Any, kind: str, columns: Sequence[str]) -> tuple[str, ...]:
    """Remember the columns `user` chose for the export `kind` (in their preferences, used
    by their later exports, background ones included) and return them in the export's order.
    An empty or unknown choice is refused and the earlier one kept."""
    from accounts.models import User

    spec = EXPORTS.get(kind)
    if spec is None or not spec.choosable:
        raise ValidationError(_("这个列表不能选择导出的列。"))
    unknown = [key for key in columns if key not in spec.keys]
    if unknown:
        raise ValidationError(_("所选的列不存在，请重新选择。"))
    chosen = tuple(key for key in spec.keys if key in set(columns))
    if not chosen:
        raise ValidationError(_("请至少选择一列。"))
    locked = User.objects.select_for_update().only("preferences").get(pk=user.pk)
    preferences = dict(locked.preferences or {})
    saved = dict(preferences.get(EXPORT_COLUMNS_PREFERENCE) or {})
    saved[kind] = list(chosen)
    preferences[EXPORT_COLUMNS_PREFERENCE] = saved
    User.objects.filter(pk=user.pk).update(preferences=preferences)
    user.preferences = preferences
    return chosen


@transaction.atomic
def export_columns_reset(*, user: Any, kind: str) -> tuple[str, ...]:
    """Forget the columns `user` chose for the export `kind`: the default columns again."""
    from accounts.models import User

    spec = EXPORTS[kind]
    locked = User.objects.select_for_update().only("preferences").get(pk=user.pk)
    preferences = dict(locked.preferences or {})
    saved = dict(preferences.get(EXPORT_COLUMNS_PREFERENCE) or {})
    saved.pop(kind, None)
    preferences[EXPORT_COLUMNS_PREFERENCE] = saved
    User.objects.filter(pk=user.pk).update(preferences=preferences)
    user.preferences = preferences
    return spec.default_keys


def workspace_queryset(user: Any, data: QueryDict) -> QuerySet[Assignment]:
    """The unit's workspace (本单位承办) as proposals.views.handling.unit_workspace filters it."""
    base = (
        Assignment.objects.filter(unit_id=user.unit_id or 0)
        .select_related("proposal", "proposal__meeting", "proposal__lead")
        .order_by("due_on", "pk")
    )
    if not data:
        data = data.copy()
        data["status"] = ""
    return AssignmentFilter(data, queryset=base).qs


def workspace_row(assignment: Assignment, today: date) -> list[Any]:
    running = assignment.status in OPEN_ASSIGNMENT_STATUSES
    return [
        assignment.proposal.number_label,
        assignment.proposal.title,
        str(assignment.proposal.lead),
        assignment.get_role_display(),
        _("第%(n)s轮") % {"n": assignment.round} if assignment.round > 1 else "",
        timezone.localdate(assignment.assigned_at),
        assignment.due_on,
        _days_left(assignment.due_on, today) if running else None,
        assignment.get_status_display(),
    ]


def follow_up_queryset(user: Any, data: QueryDict) -> QuerySet[Any]:
    """落实情况 as replies.views.follow_up_list filters it."""
    from replies.models import FollowUp, FollowUpStatus
    from replies.permissions import replies_for_user

    records = FollowUp.objects.filter(reply__in=replies_for_user(user)).select_related(
        "reply", "reply__proposal", "reply__unit"
    )
    if user.is_unit_user:
        records = records.filter(reply__unit_id=user.unit_id or 0)
    status = data.get("status", "")
    if status in FollowUpStatus.values:
        records = records.filter(status=status)
    if data.get("overdue") == "true":
        records = records.filter(status=FollowUpStatus.OPEN, due_on__lt=timezone.localdate())
    return records.order_by("due_on", "pk")


def follow_up_row(record: Any, today: date) -> list[Any]:
    from replies.models import FollowUpStatus

    proposal = record.reply.proposal
    return [
        proposal.number_label,
        proposal.title,
        record.reply.unit.short_name,
        record.promise,
        record.due_on,
        _days_left(record.due_on, today) if record.status == FollowUpStatus.OPEN else None,
        record.get_status_display(),
    ]


RowsFunction = Callable[[Any, QuerySet[Any], Sequence[str]], Iterator[list[Any]]]


def each_row(row: Callable[[Any, date], list[Any]]) -> RowsFunction:
    """The rows of a list whose columns are fixed: `row(obj, today)` for every object."""

    def rows(user: Any, queryset: QuerySet[Any], keys: Sequence[str]) -> Iterator[list[Any]]:
        today = timezone.localdate()
        for obj in queryset.iterator(chunk_size=CHUNK_SIZE):
            yield row(obj, today)

    return rows


@dataclass(frozen=True)
class ListExport:
    kind: str
    title: Promise
    columns: tuple[Column, ...]
    roles: tuple[str, ...] | None  # None: any logged-in user
    queryset: Callable[[Any, QueryDict], QuerySet[Any]]
    rows: RowsFunction
    list_url: str  # the page the export comes from
    choosable: bool = False  # the person chooses the columns (by their keys)

    def allows(self, user: Any) -> bool:
        if not getattr(user, "is_authenticated", False) or not user.is_active:
            return False
        return self.roles is None or user.role in self.roles

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(column.key or str(index) for index, column in enumerate(self.columns))

    @property
    def default_keys(self) -> tuple[str, ...]:
        return tuple(
            key for key, column in zip(self.keys, self.columns, strict=True) if column.default
        )

    def headers(self, keys: Sequence[str]) -> list[Column]:
        wanted = set(keys)
        return [
            column
            for key, column in zip(self.keys, self.columns, strict=True)
            if key in wanted or not self.choosable
        ]


EXPORTS: dict[str, ListExport] = {
    ExportKind.ITEMS: ListExport(
        kind=ExportKind.ITEMS,
        title=gettext_lazy("建议提案"),
        columns=ITEM_COLUMNS,
        roles=None,
        queryset=item_queryset,
        rows=item_rows,
        list_url="proposals:list",
        choosable=True,
    ),
    ExportKind.WORKSPACE: ListExport(
        kind=ExportKind.WORKSPACE,
        title=gettext_lazy("本单位承办"),
        columns=(
            Column(gettext_lazy("编号"), 14),
            Column(gettext_lazy("标题"), 48),
            Column(gettext_lazy("领衔人"), 14),
            Column(gettext_lazy("承办方式"), 10),
            Column(gettext_lazy("重新办理"), 10),
            Column(gettext_lazy("交办时间"), 13),
            Column(gettext_lazy("办理期限"), 13),
            Column(gettext_lazy("剩余天数"), 10),
            Column(gettext_lazy("状态"), 16),
        ),
        roles=UNIT_ROLES,
        queryset=workspace_queryset,
        rows=each_row(workspace_row),
        list_url="proposals:unit_workspace",
    ),
    ExportKind.FOLLOW_UPS: ListExport(
        kind=ExportKind.FOLLOW_UPS,
        title=gettext_lazy("落实情况"),
        columns=(
            Column(gettext_lazy("编号"), 14),
            Column(gettext_lazy("标题"), 40),
            Column(gettext_lazy("答复单位"), 16),
            Column(gettext_lazy("承诺事项"), 48),
            Column(gettext_lazy("承诺完成日期"), 14),
            Column(gettext_lazy("剩余天数"), 10),
            Column(gettext_lazy("状态"), 12),
        ),
        roles=(*UNIT_ROLES, Role.SUPERVISOR),
        queryset=follow_up_queryset,
        rows=each_row(follow_up_row),
        list_url="replies:follow_ups",
    ),
}


def clean_query(data: QueryDict) -> str:
    """The page's query string without the page number (an export holds every page)."""
    query = data.copy()
    query.pop("page", None)
    query.pop(JOB_COLUMNS_PARAMETER, None)
    return query.urlencode()


# A background job keeps the columns chosen when it was started in its query string, so that
# the worker writes what the person asked for even if they choose other columns meanwhile.
JOB_COLUMNS_PARAMETER = "export_columns"


def job_query(kind: str, query: str, keys: Sequence[str]) -> str:
    """The job's query: the list's filters and, for a list whose columns are chosen, the
    columns."""
    if not EXPORTS[kind].choosable:
        return query
    data = QueryDict(query, mutable=True)
    data[JOB_COLUMNS_PARAMETER] = ",".join(keys)
    return data.urlencode()


def split_job_query(kind: str, query: str) -> tuple[str, tuple[str, ...]]:
    """(the list's filters, the columns) of a job's query; a job queued before columns were
    chosen gets the export's default columns."""
    spec = EXPORTS[kind]
    data = QueryDict(query, mutable=True)
    saved = data.pop(JOB_COLUMNS_PARAMETER, [""])[-1]
    wanted = set(saved.split(",")) if saved else set()
    keys = tuple(key for key in spec.keys if key in wanted) or (
        spec.default_keys if spec.choosable else spec.keys
    )
    return data.urlencode(), keys


def export_queryset(kind: str, user: Any, query: str) -> QuerySet[Any]:
    """The rows `user` sees on the list `kind` with the filters in `query`; PermissionDenied
    when the user's role may not use that list (any more)."""
    spec = EXPORTS[kind]
    if not spec.allows(user):
        raise PermissionDenied(_("您的角色不能使用这个页面。"))
    return spec.queryset(user, QueryDict(query))


def export_rows(
    kind: str, user: Any, queryset: QuerySet[Any], keys: Sequence[str]
) -> Iterator[list[Any]]:
    return EXPORTS[kind].rows(user, queryset, keys)


def export_bytes(kind: str, user: Any, queryset: QuerySet[Any], keys: Sequence[str]) -> bytes:
    spec = EXPORTS[kind]
    return write_rows(
        export_rows(kind, user, queryset, keys), spec.headers(keys), sheet_title=str(spec.title)
    )


def export_filename(kind: str, when: datetime | None = None) -> str:
    """建议提案-20260301-1030.xlsx (sent with RFC 5987 encoding by FileResponse)."""
    when = timezone.localtime(when or timezone.now())
    return f"{EXPORTS[kind].title}-{when:%Y%m%d-%H%M}.xlsx"


# --- background jobs -----------------------------------------------------------------------


def start_job(*, owner: Any, kind: str, query: str, total: int) -> ExportJob:
    """An export job queued after commit; the owner's unfinished job for the same list and
    filters is reused, so that clicking twice does not build the file twice."""
    with transaction.atomic():
        existing = (
            ExportJob.objects.select_for_update()
            .filter(
                owner=owner,
                kind=kind,
                query=query,
                status__in=[ExportStatus.PENDING, ExportStatus.RUNNING],
            )
            .first()
        )
        if existing is not None:
            return existing
        job = ExportJob.objects.create(owner=owner, kind=kind, query=query, total=total)
        transaction.on_commit(lambda: queue_job(job.pk))
    return job


def queue_job(job_id: int) -> None:
    from .tasks import export_job_task

    try:
        export_job_task.delay(job_id)
    except Exception:  # broker down: the job stays pending; its status page queues it again
        logger.warning("could not queue export job %s", job_id, exc_info=True)


def requeue_if_stalled(job: ExportJob) -> bool:
    """Queue again a job the broker lost (pending too long) or whose worker died (no progress
    for too long). The task's claim keeps a job from being written twice at once."""
    now = timezone.now()
    last_seen = job.heartbeat_at or job.created_at
    if job.status == ExportStatus.PENDING:
        stalled = last_seen < now - PENDING_TOO_LONG
    elif job.status == ExportStatus.RUNNING:
        stalled = last_seen < now - RUNNING_TOO_LONG
    else:
        return False
    if not stalled:
        return False
    reset = ExportJob.objects.filter(
        pk=job.pk, status=job.status, heartbeat_at=job.heartbeat_at
    ).update(status=ExportStatus.PENDING, done=0, heartbeat_at=now)
    if not reset:  # someone else moved it on meanwhile
        return False
    transaction.on_commit(lambda: queue_job(job.pk))
    return True


class JobCancelled(Exception):
    """The job was reset or removed while being written: stop, keep nothing."""


def write_job_file(job: ExportJob) -> tuple[str, int]:
    """Re-run the owner's query, write the file in a temporary file with progress every
    PROGRESS_EVERY rows, store it and return (stored name, rows)."""
    owner = job.owner
    query, keys = split_job_query(job.kind, job.query)
    queryset = export_queryset(job.kind, owner, query)  # permissions checked again
    total = queryset.count()
    claimed = ExportJob.objects.filter(pk=job.pk, status=ExportStatus.RUNNING)
    if not claimed.update(total=total, heartbeat_at=timezone.now()):
        raise JobCancelled

    def progress(done: int) -> None:
        if not claimed.update(done=done, heartbeat_at=timezone.now()):
            raise JobCancelled

    spec = EXPORTS[job.kind]
    with tempfile.TemporaryFile(suffix=".xlsx") as target:
        rows = write_workbook(
            target,
            export_rows(job.kind, owner, queryset, keys),
            spec.headers(keys),
            sheet_title=str(spec.title),
            on_progress=progress,
        )
        target.seek(0)
        job.file.save(f"export-{job.pk}.xlsx", File(target), save=False)
    return job.file.name or "", rows

"""Checking every row of a sheet before anything is written: the preview.

Each row becomes a Plan (what the services will be asked to do) and its errors in Chinese. The
lookups are made once per sheet (members, categories, units, numbers used in the meeting), so a
sheet of 20 000 rows is checked in seconds. The rules are the services' own where they can be
asked without writing (the meeting's sections policy, its numbering format, its window); the
import then goes through the services themselves, which check once more.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Body, Role, Unit, User
from proposals.models import (
    Category,
    Meeting,
    NumberingScope,
    Proposal,
    ProposalKind,
)
from proposals.sections import (
    SectionText,
    is_sectioned,
    joined_text,
    policy_of,
    section_problems,
    stored_sections,
)
from proposals.services import MERGE_TARGETS

from . import sheet as cols
from .sheet import Row, Sheet

SEPARATORS = re.compile(r"[、，,；;\n]+")
WITH_USERNAME = re.compile(r"^(?P<name>.+?)\s*[（(]\s*(?P<username>[^（()）]+?)\s*[）)]$")
DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日", "%Y%m%d")
OUTCOME_ALIASES = {
    "立案": "立案",
    "已立案": "立案",
    "不予立案": "不予立案",
    "并案": "并案",
    "已并案": "并案",
    "转为意见": "转为意见",
    "转为意见/来信": "转为意见",
}
TITLE_MAX = Proposal._meta.get_field("title").max_length or 100


@dataclass
class Plan:
    """What one row asks for, resolved to objects: the services' arguments."""

    row: int
    title: str = ""
    body: str = ""
    sections: list[SectionText] | None = None
    lead: User | None = None
    cosigners: list[User] = field(default_factory=list)
    category: Category | None = None
    submitted_at: datetime | None = None
    number: int | None = None
    number_label: str = ""
    outcome: str = ""
    note: str = ""
    merge_into: str = ""  # the number label of the item this one is merged into
    lead_unit: Unit | None = None
    co_units: list[Unit] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def summary(self, row: Row) -> dict[str, Any]:
        """What the preview shows of the row."""
        return {
            "row": self.row,
            "number": self.number_label or row.text(cols.NUMBER),
            "title": self.title or row.text(cols.TITLE),
            "lead": self.lead.full_name if self.lead else row.text(cols.LEAD),
            "outcome": self.outcome,
            "errors": self.errors,
        }


class Lookups:
    """Everything a sheet's rows are matched against, read once."""

    def __init__(self, meeting: Meeting) -> None:
        self.meeting = meeting
        self.by_username: dict[str, User] = {}
        self.by_name: dict[str, list[User]] = defaultdict(list)
        for user in User.objects.filter(role=Role.MEMBER).select_related("member_profile"):
            self.by_username[user.username.lower()] = user
            self.by_name[user.full_name].append(user)
        self.categories: dict[str, list[Category]] = defaultdict(list)
        for category in Category.objects.filter(body=meeting.body, is_active=True).select_related(
            "parent"
        ):
            self.categories[category.name].append(category)
            if category.parent is not None:
                self.categories[str(category)].append(category)
                self.categories[f"{category.parent.name}/{category.name}"].append(category)
        self.units: dict[str, list[Unit]] = defaultdict(list)
        for unit in Unit.objects.filter(is_active=True):
            self.units[unit.name].append(unit)
            if unit.short_name != unit.name:
                self.units[unit.short_name].append(unit)
        # numbers already given in the meeting: (kind, prefix or "", number) -> status
        self.numbers: dict[tuple[str, str, int], str] = {}
        for kind, scope, prefix, number, status in Proposal.objects.filter(
            meeting=meeting, number__isnull=False
        ).values_list("kind", "number_scope", "number_prefix", "number", "status"):
            self.numbers[(kind, prefix if scope == NumberingScope.PREFIX else "", number)] = status


def _describe(user: User) -> str:
    profile = getattr(user, "member_profile", None)
    where = (profile.delegation or profile.sector) if profile else ""
    return f"{user.full_name}（{user.username}{'，' + where if where else ''}）"


def find_member(text: str, lookups: Lookups, body: str) -> tuple[User | None, str]:
    """The member named by `text`: a username, a full name of one member of the body, or
    姓名（用户名）; else None and the error."""
    text = text.strip()
    wanted = WITH_USERNAME.match(text)
    if wanted:
        user = lookups.by_username.get(wanted["username"].lower())
        if user is None or user.full_name != wanted["name"]:
            return None, _("找不到代表委员“%(text)s”：姓名与用户名不符。") % {"text": text}
        return user, ""
    user = lookups.by_username.get(text.lower())
    if user is not None:
        return user, ""
    same_name = lookups.by_name.get(text, [])
    of_body = [
        u
        for u in same_name
        if getattr(u, "member_profile", None) is not None and u.member_profile.body == body
    ]
    if len(of_body) == 1:
        return of_body[0], ""
    if len(of_body) > 1:
        return None, _("“%(text)s”有%(n)s位同名的代表委员：%(who)s，请写作“姓名（用户名）”。") % {
            "text": text,
            "n": len(of_body),
            "who": "、".join(_describe(u) for u in of_body),
        }
    if same_name:
        return None, _("“%(text)s”不是%(body)s的代表委员。") % {
            "text": text,
            "body": Body(body).label,
        }
    return None, _("找不到代表委员“%(text)s”（按姓名和用户名都没有找到）。") % {"text": text}


def _find_one(
    text: str, table: dict[str, list[Any]], what: str, hint: str
) -> tuple[Any | None, str]:
    found = list(dict.fromkeys(table.get(text.strip(), [])))
    if len(found) == 1:
        return found[0], ""
    if len(found) > 1:
        return None, _("%(what)s“%(text)s”不止一个：%(names)s，请写全称。") % {
            "what": what,
            "text": text,
            "names": "、".join(str(x) for x in found),
        }
    return None, _("没有%(what)s“%(text)s”。%(hint)s") % {"what": what, "text": text, "hint": hint}


def parse_date(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = cols.cell_text(value)
    for fmt in DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def submitted_moment(meeting: Meeting, day: date) -> datetime | None:
    """The moment recorded for an item submitted on paper on `day`: noon, kept inside the
    meeting's window; None if the day is outside it."""
    opens, closes = meeting.submission_opens_at, meeting.submission_closes_at
    if not timezone.localdate(opens) <= day <= timezone.localdate(closes - timedelta(seconds=1)):
        return None
    moment = timezone.make_aware(datetime.combine(day, time(12)))
    return min(max(moment, opens), closes - timedelta(seconds=1))


def number_pattern(meeting: Meeting) -> re.Pattern[str]:
    pattern = re.escape(meeting.number_format)
    pattern = pattern.replace(re.escape("{number}"), r"(?P<number>\d{1,9})")
    pattern = pattern.replace(re.escape("{prefix}"), r"(?P<prefix>.*?)")
    return re.compile(f"^{pattern}$")


class Checker:
    """Checks the rows of one sheet for one meeting, remembering numbers across rows."""

    def __init__(self, meeting: Meeting) -> None:
        self.meeting = meeting
        self.lookups = Lookups(meeting)
        self.rules = policy_of(meeting)
        self.sectioned = is_sectioned(meeting)
        self.pattern = number_pattern(meeting)
        self.kind = meeting.item_kind
        self.seen_numbers: dict[tuple[str, str, int], int] = {}
        self.today = timezone.localdate()

    def check(self, sheet: Sheet) -> list[tuple[Row, Plan]]:
        checked = [(row, self.check_row(sheet, row)) for row in sheet.rows]
        self._check_merges(checked)
        return checked

    def check_row(self, sheet: Sheet, row: Row) -> Plan:
        plan = Plan(row.number)
        errors = plan.errors
        meeting = self.meeting
        named = row.text(cols.MEETING)
        if named and named not in (meeting.short_name, meeting.name):
            errors.append(
                _("会议“%(named)s”与所选的“%(meeting)s”不符。")
                % {"named": named, "meeting": meeting.short_name}
            )
        kind = row.text(cols.KIND)
        if kind and kind != ProposalKind(self.kind).label:
            if kind in ProposalKind.labels:
                errors.append(
                    _("%(meeting)s只受理%(kind)s，不受理“%(given)s”。")
                    % {
                        "meeting": meeting.short_name,
                        "kind": ProposalKind(self.kind).label,
                        "given": kind,
                    }
                )
            else:
                errors.append(_("类别“%(given)s”应为建议或提案。") % {"given": kind})
        self._check_text(sheet, row, plan)
        self._check_people(row, plan)
        self._check_category(row, plan)
        self._check_date(row, plan)
        self._check_outcome(row, plan)
        self._check_number(row, plan)
        self._check_units(row, plan)
        return plan

    def _check_text(self, sheet: Sheet, row: Row, plan: Plan) -> None:
        plan.title = row.text(cols.TITLE)
        if not plan.title:
            plan.errors.append(_("请填写标题。"))
        elif len(plan.title) > TITLE_MAX:
            plan.errors.append(
                _("标题共 %(n)s 字，超过了 %(max)s 字。") % {"n": len(plan.title), "max": TITLE_MAX}
            )
        texts = {key: row.text(column) for key, column in sheet.columns.sections}
        problems = [message for _key, message in section_problems(self.rules, texts)]
        plan.errors.extend(problems)
        if self.sectioned:
            plan.sections = stored_sections(self.rules, texts)
            plan.body = joined_text(plan.sections)
        else:
            plan.body = texts[self.rules[0]["key"]]
        if not plan.body and not problems:
            plan.errors.append(_("请填写正文。"))
        if len(plan.body) > self.meeting.body_max_chars:
            plan.errors.append(
                _("正文共 %(n)s 字，超过了本次会议 %(max)s 字的上限。")
                % {"n": len(plan.body), "max": self.meeting.body_max_chars}
            )

    def _check_people(self, row: Row, plan: Plan) -> None:
        body = self.meeting.body
        lead_text = row.text(cols.LEAD)
        if not lead_text:
            plan.errors.append(_("请填写领衔人。"))
        else:
            plan.lead, error = find_member(lead_text, self.lookups, body)
            if error:
                plan.errors.append(_("领衔人：") + error)
        seen: set[int] = set()
        for name in (n.strip() for n in SEPARATORS.split(row.text(cols.COSIGNERS))):
            if not name:
                continue
            member, error = find_member(name, self.lookups, body)
            if member is None:
                plan.errors.append(_("联名人：") + error)
                continue
            profile = getattr(member, "member_profile", None)
            if plan.lead is not None and member.pk == plan.lead.pk:
                plan.errors.append(_("联名人“%(name)s”就是领衔人。") % {"name": name})
            elif profile is not None and profile.is_collective:
                plan.errors.append(
                    _("联名人“%(name)s”是%(type)s，不能作为联名人。")
                    % {"name": name, "type": profile.get_submitter_type_display()}
                )
            elif not member.is_active:
                plan.errors.append(_("联名人“%(name)s”的账号已停用。") % {"name": name})
            elif member.pk in seen:
                plan.errors.append(_("联名人“%(name)s”重复。") % {"name": name})
            else:
                seen.add(member.pk)
                plan.cosigners.append(member)

    def _check_category(self, row: Row, plan: Plan) -> None:
        text = row.text(cols.CATEGORY)
        if text:
            plan.category, error = _find_one(
                text, self.lookups.categories, _("分类"), _("请按“可选值”表填写。")
            )
            if error:
                plan.errors.append(error)

    def _check_date(self, row: Row, plan: Plan) -> None:
        value = row.values.get(cols.DATE)
        if value is None:
            plan.errors.append(_("请填写提交日期。"))
            return
        day = parse_date(value)
        if day is None:
            plan.errors.append(
                _("提交日期“%(value)s”不是有效的日期，请写作 2026-01-15。")
                % {"value": cols.cell_text(value)}
            )
            return
        if day > self.today:
            plan.errors.append(_("提交日期 %(day)s 晚于今天。") % {"day": day.isoformat()})
            return
        plan.submitted_at = submitted_moment(self.meeting, day)
        if plan.submitted_at is None:
            opens = timezone.localdate(self.meeting.submission_opens_at)
            closes = timezone.localdate(self.meeting.submission_closes_at - timedelta(seconds=1))
            plan.errors.append(
                _("提交日期 %(day)s 不在%(meeting)s的提交期限（%(opens)s 至 %(closes)s）内。")
                % {
                    "day": day.isoformat(),
                    "meeting": self.meeting.short_name,
                    "opens": opens.isoformat(),
                    "closes": closes.isoformat(),
                }
            )

    def _check_outcome(self, row: Row, plan: Plan) -> None:
        text = row.text(cols.OUTCOME)
        plan.note = row.text(cols.NOTE)
        if not text:
            return
        plan.outcome = OUTCOME_ALIASES.get(text, "")
        if not plan.outcome:
            plan.errors.append(
                _("审查结果“%(text)s”应为%(choices)s之一，或留空（待审查）。")
                % {"text": text, "choices": "、".join(cols.OUTCOMES)}
            )
        elif plan.outcome == "立案" and plan.category is None and not row.text(cols.CATEGORY):
            plan.errors.append(_("立案的须填写分类。"))
        elif plan.outcome in ("不予立案", "转为意见") and not plan.note:
            plan.errors.append(
                _("审查结果为%(outcome)s的，须在“审查说明”中写明理由，代表委员会看到。")
                % {"outcome": plan.outcome}
            )
        elif plan.outcome == "并案":
            plan.merge_into = row.text(cols.MERGE_INTO)
            if not plan.merge_into:
                plan.errors.append(_("并案的须在“并入编号”中填写被并入件的编号。"))

    def _parse_number(self, text: str, prefix: str) -> tuple[int | None, str]:
        if text.isascii() and text.isdigit() and len(text) <= 9:
            return int(text), ""
        match = self.pattern.match(text)
        if match is None:
            return None, _("编号“%(text)s”不符合本次会议的编号格式（如“%(example)s”）。") % {
                "text": text,
                "example": self.meeting.format_number(15, prefix),
            }
        given_prefix = match.groupdict().get("prefix")
        if given_prefix is not None and given_prefix != prefix:
            return None, _("编号“%(text)s”的前缀与领衔人的编号前缀“%(prefix)s”不符。") % {
                "text": text,
                "prefix": prefix,
            }
        return int(match["number"]), ""

    def _prefix_of(self, plan: Plan) -> str:
        profile = getattr(plan.lead, "member_profile", None) if plan.lead else None
        return profile.number_prefix if profile else ""

    def number_key(self, number: int, prefix: str) -> tuple[str, str, int]:
        scoped = prefix if self.meeting.numbering_scope == NumberingScope.PREFIX else ""
        return (self.kind, scoped, number)

    def _check_number(self, row: Row, plan: Plan) -> None:
        text = row.text(cols.NUMBER)
        if not text:
            return
        if plan.outcome != "立案":
            plan.errors.append(_("只有立案的才有编号：填了编号的，审查结果须为立案。"))
            return
        prefix = self._prefix_of(plan)
        number, error = self._parse_number(text, prefix)
        if number is None or number < 1:
            plan.errors.append(error or _("编号须为正整数。"))
            return
        label = self.meeting.format_number(number, prefix)
        key = self.number_key(number, prefix)
        if key in self.lookups.numbers:
            plan.errors.append(
                _("编号“%(label)s”在%(meeting)s已被使用。")
                % {"label": label, "meeting": self.meeting.short_name}
            )
        elif key in self.seen_numbers:
            plan.errors.append(
                _("编号“%(label)s”与第%(row)s行重复。")
                % {"label": label, "row": self.seen_numbers[key]}
            )
        else:
            self.seen_numbers[key] = row.number
        plan.number, plan.number_label = number, label

    def _check_units(self, row: Row, plan: Plan) -> None:
        lead_text = row.text(cols.LEAD_UNIT)
        co_texts = [t.strip() for t in SEPARATORS.split(row.text(cols.CO_UNITS)) if t.strip()]
        if not lead_text and not co_texts:
            return
        if plan.outcome != "立案":
            plan.errors.append(_("填了承办单位的，审查结果须为立案（立案后交办）。"))
            return
        if co_texts and not lead_text:
            plan.errors.append(_("填了会办单位的，须同时填写主办单位。"))
        hint = _("请按“可选值”表填写单位全称或简称。")
        if lead_text:
            plan.lead_unit, error = _find_one(lead_text, self.lookups.units, _("承办单位"), hint)
            if error:
                plan.errors.append(_("主办单位：") + error)
        for text in co_texts:
            unit, error = _find_one(text, self.lookups.units, _("承办单位"), hint)
            if unit is None:
                plan.errors.append(_("会办单位：") + error)
            elif plan.lead_unit is not None and unit.pk == plan.lead_unit.pk:
                plan.errors.append(
                    _("“%(unit)s”已是主办单位，不能同时会办。") % {"unit": unit.short_name}
                )
            elif unit in plan.co_units:
                plan.errors.append(_("会办单位“%(unit)s”重复。") % {"unit": unit.short_name})
            else:
                plan.co_units.append(unit)

    def _check_merges(self, checked: list[tuple[Row, Plan]]) -> None:
        """A 并案 row names an item to merge into: a row of the sheet registered with that
        number, or an item of the meeting still being handled."""
        in_sheet = {plan.number_label: plan for _row, plan in checked if plan.number_label}
        existing = set(
            Proposal.objects.filter(
                meeting=self.meeting, kind=self.kind, status__in=MERGE_TARGETS
            ).values_list("number_label", flat=True)
        )
        for _row, plan in checked:
            if plan.outcome != "并案" or not plan.merge_into:
                continue
            target = plan.merge_into
            if target.isascii() and target.isdigit():
                target = self.meeting.format_number(int(target), self._prefix_of(plan))
                plan.merge_into = target
            if target == plan.number_label:
                plan.errors.append(_("不能并入自身。"))
            elif target in in_sheet:
                if in_sheet[target].outcome != "立案":
                    plan.errors.append(_("被并入的“%(target)s”须为立案的。") % {"target": target})
            elif target not in existing:
                plan.errors.append(
                    _("找不到被并入的“%(target)s”：本表和%(meeting)s都没有这个编号的在办件。")
                    % {"target": target, "meeting": self.meeting.short_name}
                )


def check_sheet(meeting: Meeting, sheet: Sheet) -> list[tuple[Row, Plan]]:
    return Checker(meeting).check(sheet)

"""The sections of a submission (案由 / 理由 / 办法 …): the meeting's policy and its checks.

A meeting's `sections` policy is a list of {key, label, required, min_length, max_length}; an
empty list means the default of its body: 政协 案由 / 理由 / 办法, 人大 a single 内容. An item
stores what was written per section in `Proposal.sections` ([{key, label, text}], the label as
it was when written) and, in `Proposal.body`, the texts of all sections joined by blank lines:
search, similar items, the reply's context and 智能交办 read `body` and so every section. Items
written before sections existed (or in a single-section meeting) have no `sections` and show
their `body` alone.

Imports nothing of the app but Body, so that models, forms, services and views can use it.
"""

from __future__ import annotations

import re
from typing import Any, TypedDict

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from accounts.models import Body

from .separators import enumeration


class SectionRule(TypedDict):
    key: str
    label: str
    required: bool
    min_length: int
    max_length: int


class SectionText(TypedDict):
    key: str
    label: str
    text: str


DEFAULT_MAX = 8000

CPPCC_DEFAULT: list[SectionRule] = [
    {"key": "subject", "label": "案由", "required": True, "min_length": 10, "max_length": 300},
    {"key": "reason", "label": "理由", "required": True, "min_length": 50, "max_length": 4000},
    {"key": "measures", "label": "办法", "required": True, "min_length": 30, "max_length": 4000},
]
NPC_DEFAULT: list[SectionRule] = [
    {"key": "content", "label": "内容", "required": True, "min_length": 0, "max_length": 8000},
]
KEY = re.compile(r"^[a-z][a-z0-9_]{0,29}$")


def default_sections(body: str) -> list[SectionRule]:
    return [dict(rule) for rule in (CPPCC_DEFAULT if body == Body.CPPCC else NPC_DEFAULT)]  # type: ignore[misc]


def policy_of(meeting: Any) -> list[SectionRule]:
    """The meeting's sections, its body's default when it names none. Every rule is complete
    (validate_policy has checked what the admin saved)."""
    rules = meeting.sections or default_sections(meeting.body)
    return [
        {
            "key": str(rule["key"]),
            "label": str(rule["label"]),
            "required": bool(rule.get("required", True)),
            "min_length": int(rule.get("min_length") or 0),
            "max_length": int(rule.get("max_length") or DEFAULT_MAX),
        }
        for rule in rules
    ]


def is_sectioned(meeting: Any) -> bool:
    """Whether items of the meeting are written in several sections (else one text, `body`)."""
    return len(policy_of(meeting)) > 1


def validate_policy(value: Any) -> None:
    """The admin's sections policy: a list of objects with a unique key (lowercase letters,
    digits, _), a label, required, and 0 ≤ min_length ≤ max_length. Empty: the default."""
    if value in (None, []):
        return
    if not isinstance(value, list):
        raise ValidationError(
            _("分项设置应为列表，每项包含 key、label、required、min_length、max_length。")
        )
    seen: set[str] = set()
    for index, rule in enumerate(value, start=1):
        where = _("第%(n)s项") % {"n": index}
        if not isinstance(rule, dict):
            raise ValidationError(_("%(where)s不是对象。") % {"where": where})
        unknown = set(rule) - {"key", "label", "required", "min_length", "max_length"}
        if unknown:
            raise ValidationError(
                _("%(where)s有不认识的设置：%(names)s。")
                % {"where": where, "names": enumeration(sorted(unknown))}
            )
        key = rule.get("key")
        if not isinstance(key, str) or not KEY.match(key):
            raise ValidationError(
                _("%(where)s的 key 须以小写字母开头，只含小写字母、数字和下划线，如 reason。")
                % {"where": where}
            )
        if key in seen:
            raise ValidationError(_("分项的 key 不能重复：%(key)s。") % {"key": key})
        seen.add(key)
        label = rule.get("label")
        if not isinstance(label, str) or not label.strip() or len(label) > 20:
            raise ValidationError(_("%(where)s须有名称（label，不超过20字）。") % {"where": where})
        if "required" in rule and not isinstance(rule["required"], bool):
            raise ValidationError(_("%(where)s的 required 须为 true 或 false。") % {"where": where})
        low, high = rule.get("min_length", 0), rule.get("max_length", DEFAULT_MAX)
        if not all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in (low, high)):
            raise ValidationError(_("%(where)s的字数须为不小于0的整数。") % {"where": where})
        if high == 0 or low > high:
            raise ValidationError(
                _("%(where)s的最少字数不能大于最多字数，最多字数须大于0。") % {"where": where}
            )


def length(text: str) -> int:
    """The length counted against the limits: characters without surrounding blanks."""
    return len((text or "").strip())


def section_problems(
    rules: list[SectionRule], texts: dict[str, str], *, only_too_long: bool = False
) -> list[tuple[str, str]]:
    """(key, message) for each section missing, shorter than its minimum or longer than its
    maximum: the errors that block submission (and, for the maximum, saving)."""
    problems = []
    for rule in rules:
        text = texts.get(rule["key"], "")
        n = length(text)
        if only_too_long:
            pass
        elif n == 0:
            if rule["required"]:
                problems.append((rule["key"], _("请填写“%(label)s”。") % {"label": rule["label"]}))
        elif n < rule["min_length"]:
            problems.append(
                (
                    rule["key"],
                    _("“%(label)s”至少 %(min)s 字，现为 %(n)s 字。")
                    % {"label": rule["label"], "min": rule["min_length"], "n": n},
                )
            )
        if n > rule["max_length"]:
            problems.append((rule["key"], too_long(rule, n)))
    return problems


def too_long(rule: SectionRule, n: int) -> str:
    return _("“%(label)s”最多 %(max)s 字，现为 %(n)s 字。") % {
        "label": rule["label"],
        "max": rule["max_length"],
        "n": n,
    }


def stored_sections(rules: list[SectionRule], texts: dict[str, str]) -> list[SectionText]:
    """What an item stores: every section of the policy with its label and text (blank ones
    too, so that the form shows them again)."""
    return [
        {"key": rule["key"], "label": rule["label"], "text": (texts.get(rule["key"]) or "").strip()}
        for rule in rules
    ]


def joined_text(sections: list[SectionText]) -> str:
    """The item's `body` for sections: their texts, blank lines between."""
    return "\n\n".join(section["text"] for section in sections if section["text"].strip())


def texts_of(proposal: Any) -> dict[str, str]:
    """The texts by key of an item as the form shows them: its sections; an item written as one
    body (before sections, or in a single-section meeting) in the meeting's first section."""
    if proposal.sections:
        return {s["key"]: s.get("text", "") for s in proposal.sections}
    rules = policy_of(proposal.meeting)
    return {rules[0]["key"]: proposal.body} if rules else {}


def shown_sections(proposal: Any) -> list[SectionText]:
    """The sections an item page shows with their labels; none for an item of one text."""
    sections = proposal.sections or []
    if len(sections) < 2:
        return []
    return [s for s in sections if (s.get("text") or "").strip()]


def labelled_text(proposal: Any) -> str:
    """The text with each section's label (exports): 案由：… 理由：…; or the body alone."""
    sections = shown_sections(proposal)
    if not sections:
        return proposal.body or ""
    return "\n".join(f"{s['label']}：{s['text']}" for s in sections)

"""The parts a reply letter carries besides its text, as the meeting's policy and the unit set
them: the class mark and the disclosure mark (printed or not, their labels and wording), 签发人
(nowhere, in the marks, or after the signature; only a real name), the lines some units print
after the date (承办负责人, 承办人 with the phone, 审核人), and the body's tables.

letter.html includes _letter_marks.html, _letter_notes.html and _letter_table.html with the
context `letter_parts` returns.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.utils.translation import gettext as _

from accounts.models import LetterContactStyle, Role
from proposals.models.items import (
    ClassMarkBrackets,
    ClassMarkLabels,
    PublicWording,
    SignerPlacement,
    WithheldWording,
)

from .models import Disclosure
from .tables import Table

STEMS = "甲乙丙丁戊己庚辛壬癸"
BRACKETS = {
    ClassMarkBrackets.NONE: ("", ""),
    ClassMarkBrackets.LENTICULAR: ("【", "】"),
    ClassMarkBrackets.ROUND: ("（", "）"),
}
# A 签发人 is a person's name. A login named after its role (负责人, 市民政局负责人, 局领导) or
# the role's own label is not one, and is never printed as if it were.
ROLE_WORDS = re.compile(r"(负责人|领导|签发人|承办人|承办员|管理员|办公室|督办)$")
ROLE_LABELS = {str(label) for label in Role.labels}


@dataclass(frozen=True)
class LetterPolicy:
    """The meeting's letter settings, with the defaults for a letter without a meeting (a
    preview of an unsaved reply)."""

    class_mark_shown: bool = True
    class_mark_labels: str = ClassMarkLabels.CODE
    class_mark_brackets: str = ClassMarkBrackets.NONE
    disclosure_mark_shown: bool = True
    public_wording: str = PublicWording.AGREED
    withheld_wording: str = WithheldWording.WITHHELD
    signer_placement: str = SignerPlacement.SIGNATURE
    result_codes: tuple[str, ...] = ()

    @classmethod
    def of(cls, meeting: Any) -> LetterPolicy:
        if meeting is None:
            return cls()
        return cls(
            class_mark_shown=meeting.letter_class_mark_shown,
            class_mark_labels=meeting.letter_class_mark_labels,
            class_mark_brackets=meeting.letter_class_mark_brackets,
            disclosure_mark_shown=meeting.letter_disclosure_mark_shown,
            public_wording=meeting.letter_public_wording,
            withheld_wording=meeting.letter_withheld_wording,
            signer_placement=meeting.letter_signer_placement,
            result_codes=tuple(
                str(entry.get("code")) for entry in meeting.result_classes or [] if entry
            ),
        )


def _meeting_of(reply: Any) -> Any:
    try:
        proposal = reply.proposal
    except ObjectDoesNotExist:  # a reply built in memory for a preview or a test
        return None
    try:
        return proposal.meeting if proposal is not None else None
    except ObjectDoesNotExist:
        return None


def _unit_of(reply: Any) -> Any:
    try:
        return reply.unit
    except ObjectDoesNotExist:
        return None


def class_mark(reply: Any, policy: LetterPolicy) -> str:
    """A, 【A】, 甲 or (乙) as the policy prints the reply's class; "" when it prints none."""
    code = reply.result_class or ""
    if not policy.class_mark_shown or not code:
        return ""
    label = code
    if policy.class_mark_labels == ClassMarkLabels.STEMS and code in policy.result_codes:
        position = policy.result_codes.index(code)
        label = STEMS[position] if position < len(STEMS) else code
    opening, closing = BRACKETS.get(ClassMarkBrackets(policy.class_mark_brackets), ("", ""))
    return f"{opening}{label}{closing}"


def disclosure_mark(reply: Any, policy: LetterPolicy) -> str:
    """同意公开 / 主动公开 / 依申请公开 / 不予公开 as the policy words it; "" when not printed."""
    if not policy.disclosure_mark_shown:
        return ""
    if reply.disclosure == Disclosure.WITHHELD:
        return str(policy.withheld_wording)
    return str(policy.public_wording)


def is_person_name(name: str) -> bool:
    """Whether a 签发人 name is a person's and not a role's placeholder (负责人)."""
    name = (name or "").strip()
    return bool(name) and name not in ROLE_LABELS and not ROLE_WORDS.search(name)


def signer_name(reply: Any) -> str:
    name = (reply.signer_name or "").strip()
    return name if is_person_name(name) else ""


def note_lines(reply: Any) -> list[str]:
    """The lines after the date: the contact line, or 承办人 and 联系电话 on lines of their own,
    and the unit's 承办负责人 and 审核人 where it has set them."""
    unit = _unit_of(reply)
    style = getattr(unit, "letter_contact_style", LetterContactStyle.CONTACT)
    person, phone = (reply.contact_person or "").strip(), (reply.contact_phone or "").strip()
    lines = []
    lead = (getattr(unit, "letter_lead_person", "") or "").strip()
    reviewer = (getattr(unit, "letter_reviewer", "") or "").strip()
    if style == LetterContactStyle.HANDLER:
        if lead:
            lines.append(_("承办负责人：%(name)s") % {"name": lead})
        if reviewer:
            lines.append(_("审核人：%(name)s") % {"name": reviewer})
        if person:
            lines.append(_("承办人：%(name)s") % {"name": person})
        if phone:
            lines.append(_("联系电话：%(phone)s") % {"phone": phone})
        return lines
    if person or phone:
        contact = _("联系人：%(name)s") % {"name": person} if person else ""
        if phone:
            contact += ("，" if contact else "") + _("联系电话：%(phone)s") % {"phone": phone}
        lines.append(f"（{contact}）")
    if lead:
        lines.append(_("承办负责人：%(name)s") % {"name": lead})
    if reviewer:
        lines.append(_("审核人：%(name)s") % {"name": reviewer})
    return lines


def letter_parts(reply: Any) -> dict[str, Any]:
    """The context of the letter's marks and notes."""
    policy = LetterPolicy.of(_meeting_of(reply))
    signer = signer_name(reply)
    return {
        "class_mark": class_mark(reply, policy),
        "disclosure_mark": disclosure_mark(reply, policy),
        "signer_in_marks": signer if policy.signer_placement == SignerPlacement.MARKS else "",
        "signer_after_signature": (
            signer if policy.signer_placement == SignerPlacement.SIGNATURE else ""
        ),
        "notes": note_lines(reply),
    }


def table_context(table: Table) -> dict[str, Any]:
    """A body table for _letter_table.html: column widths, header and body rows."""
    return {
        "widths": table.column_widths(),
        "head": table.rows[: table.header_rows],
        "rows": table.rows[table.header_rows :],
    }

"""A unit's document numbers (文号) as a template: 株民复字〔{year}〕{n}号, 厦市政园林〔{year}〕函字{n}号,
杭民函〔{year}〕{n:03}号 (zero padded to three digits).

The template is data of the unit (Unit.document_number_format); units without one keep the
default shape, prefix〔year〕n号. The serial itself comes from the unit's yearly counter
(replies.models.DocumentCounter), gap-free; this module only writes it out.
"""

from __future__ import annotations

import re
import string

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

# the longest 文号 a reply stores (Reply.document_number)
DOCUMENT_NUMBER_MAX_LENGTH = 60
# the widest values checked against that length: a four-digit year and a six-digit serial
WIDEST_YEAR, WIDEST_SERIAL = 9999, 999_999

PLACEHOLDERS = ("year", "n")
# {n:03} pads the serial with zeros to three digits; nothing else may follow a colon
PADDING = re.compile(r"0?[1-9]")


def _fields(template: str) -> list[tuple[str, str]]:
    """The (name, format spec) of each placeholder; ValueError for unbalanced braces."""
    return [
        (name, spec or "")
        for _literal, name, spec, _conversion in string.Formatter().parse(template)
        if name is not None
    ]


def validate_document_number_format(template: str) -> None:
    """Refuse a template a letter cannot be numbered with, in plain Chinese: it must contain
    {n}, may contain {year}, nothing else in braces, and must fit the 文号 field when written
    out."""
    if not template:
        return
    try:
        fields = _fields(template)
    except ValueError:
        raise ValidationError(
            _("文号格式中的花括号不成对；占位符只能写 {year}（年份）和 {n}（序号）。"),
            code="braces",
        ) from None
    unknown = sorted({name or "{}" for name, _spec in fields if name not in PLACEHOLDERS})
    if unknown:
        raise ValidationError(
            _("文号格式中有不认识的占位符：%(names)s。只能使用 {year}（年份）和 {n}（序号）。")
            % {"names": "、".join(unknown)},
            code="unknown",
        )
    if not any(name == "n" for name, _spec in fields):
        raise ValidationError(_("文号格式必须包含序号 {n}。"), code="serial")
    for name, spec in fields:
        if name == "year" and spec:
            raise ValidationError(_("年份 {year} 不能带格式。"), code="year_spec")
        if name == "n" and spec and not PADDING.fullmatch(spec):
            raise ValidationError(
                _("序号只能按位数补零，如 {n:03} 写作 001；不能写 %(spec)s。")
                % {"spec": "{n:" + spec + "}"},
                code="serial_spec",
            )
    longest = render_document_number(template, year=WIDEST_YEAR, serial=WIDEST_SERIAL)
    if len(longest) > DOCUMENT_NUMBER_MAX_LENGTH:
        raise ValidationError(
            _("文号格式太长：写出的文号最多%(max)s个字，这个格式会写出%(length)s个字。")
            % {"max": DOCUMENT_NUMBER_MAX_LENGTH, "length": len(longest)},
            code="length",
        )


def render_document_number(template: str, *, year: int, serial: int) -> str:
    """The template written out for the year and serial (the template is a valid one)."""
    out = []
    for literal, name, spec, _conversion in string.Formatter().parse(template):
        out.append(literal)
        if name == "year":
            out.append(str(year))
        elif name == "n":
            width = int(spec) if spec else 0
            out.append(str(serial).zfill(width))
    return "".join(out)


def default_document_number_format(prefix: str) -> str:
    """The shape used before units had templates: prefix〔year〕n号."""
    # braces in a prefix are literal text, not placeholders
    escaped = prefix.replace("{", "{{").replace("}", "}}")
    return escaped + "〔{year}〕{n}号"


def unit_document_number(unit: object, *, year: int, serial: int) -> str:
    """The unit's 文号 for the serial: its template if it has one, else its prefix (or short
    name)〔year〕n号 as before."""
    template = getattr(unit, "document_number_format", "") or default_document_number_format(
        getattr(unit, "document_prefix", "") or getattr(unit, "short_name", "")
    )
    return render_document_number(template, year=year, serial=serial)

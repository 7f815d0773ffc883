"""Dates per language (issue 17): Chinese pages look as they always did, English pages get
"7 Dec 2026"; config/formats/ holds the project's formats."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from django.template import Context, Template
from django.utils import translation
from django.utils.formats import date_format

DAY = date(2026, 12, 7)
MOMENT = datetime(2026, 12, 7, 14, 3)


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        (
            "zh-hans",
            {
                "DATE_FORMAT": "2026年12月7日",
                "DATETIME_FORMAT": "2026年12月7日 14:03",
                "SHORT_DATE_FORMAT": "2026-12-07",
                "SHORT_DATETIME_FORMAT": "2026-12-07 14:03",
            },
        ),
        (
            "en",
            {
                "DATE_FORMAT": "7 Dec 2026",
                "DATETIME_FORMAT": "7 Dec 2026 14:03",
                "SHORT_DATE_FORMAT": "2026-12-07",
                "SHORT_DATETIME_FORMAT": "2026-12-07 14:03",
            },
        ),
    ],
)
def test_the_named_formats_per_language(language: str, expected: dict[str, str]) -> None:
    with translation.override(language):
        shown = {name: date_format(MOMENT, name) for name in expected}
    assert shown == expected


def test_templates_and_the_due_tag_follow_the_language() -> None:
    template = Template(
        '{% load deadlines %}{{ day|date:"DATE_FORMAT" }} | {{ day|date:"SHORT_DATE_FORMAT" }}'
        " | {% due day running=False %}"
    )
    with translation.override("zh-hans"):
        assert (
            template.render(Context({"day": DAY})) == "2026年12月7日 | 2026-12-07 | 2026年12月7日"
        )
    with translation.override("en"):
        assert template.render(Context({"day": DAY})) == "7 Dec 2026 | 2026-12-07 | 7 Dec 2026"


def test_the_input_formats_stay_djangos() -> None:
    """The project's format modules name only output formats; Chinese date input (2026/12/07,
    2026年12月7日) still comes from Django's zh_Hans module."""
    from django.utils.formats import get_format

    with translation.override("zh-hans"):
        assert "%Y/%m/%d" in get_format("DATE_INPUT_FORMATS")

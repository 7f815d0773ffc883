"""{{ names|enumeration }} (市民政局、市交通局) and {{ statements|clauses }} (…；…): `join` with
the separator of the page's language (proposals/separators.py), escaping like `join`."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import template
from django.utils.html import format_html_join
from django.utils.safestring import SafeString

from .. import separators

register = template.Library()


def _joined(items: Iterable[Any], separator: str, autoescape: bool) -> SafeString | str:
    if not autoescape:
        return separator.join(str(item) for item in items)
    return format_html_join(separator, "{}", ((item,) for item in items))


@register.filter(needs_autoescape=True)
def enumeration(items: Iterable[Any], autoescape: bool = True) -> SafeString | str:
    return _joined(items, separators.enumeration_separator(), autoescape)


@register.filter(needs_autoescape=True)
def clauses(items: Iterable[Any], autoescape: bool = True) -> SafeString | str:
    return _joined(items, separators.clause_separator(), autoescape)

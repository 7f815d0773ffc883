"""The punctuation that joins translated pieces, through the catalogue like any other UI text:
Chinese lists use 、 and ；, English ", " and "; ". Letters and 文号 do not use these.
Templates: the filters of proposals/templatetags/separators.py."""

from __future__ import annotations

from collections.abc import Iterable

from accounts.language import clause_separator as phrase_separator
from accounts.language import list_separator as enumeration_separator
from accounts.language import semicolon_separator as clause_separator

__all__ = ["clause_separator", "clauses", "enumeration", "enumeration_separator", "phrases"]


def enumeration(items: Iterable[str]) -> str:
    """A list of names: 市民政局、市交通局."""
    return enumeration_separator().join(items)


def clauses(items: Iterable[str]) -> str:
    """Several statements or messages in one sentence: 缺少案由；理由不足 50 字."""
    return clause_separator().join(items)


def phrases(items: Iterable[str]) -> str:
    """Short phrases of one statement: 至少 10 字，最多 300 字."""
    return phrase_separator().join(items)

"""Text of replies: Chinese punctuation, the body's safe HTML subset, and its paragraphs."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

import nh3

# Chinese punctuation lives with the items (the pre-check of a submission uses it too):
# replies import proposals, never the other way round.
from proposals.punctuation import (  # noqa: F401
    CJK,
    CJK_CHAR,
    count_halfwidth_punctuation,
    fix_punctuation,
)

from .tables import Table, clean_tables, parse_table, plain_blocks, plain_rows

# --- the body ----------------------------------------------------------------------------------

ALLOWED_TAGS = {"p", "br", "strong", "b", "h2", "h3", "h4"}
# tables pasted from Word / WPS stay tables (replies/tables.py cleans them); of all attributes
# only the cells' spans survive
TABLE_TAGS = {"table", "thead", "tbody", "tfoot", "tr", "td", "th"}
TABLE_ATTRIBUTES = {"td": {"colspan", "rowspan"}, "th": {"colspan", "rowspan"}}


def clean_body(raw: str) -> str:
    """The body as safe HTML: paragraphs, headings and bold only; no attributes, no links, no
    images, no scripts. Plain text (no tags) becomes one paragraph per line."""
    raw = raw.replace("\r\n", "\n").strip()
    if not raw:
        return ""
    if not re.search(r"<[a-zA-Z/!]", raw):
        # one paragraph a line; tab-separated lines (a table pasted from Word / WPS) a table
        return "".join(plain_blocks(raw))
    cleaned = nh3.clean(
        raw,
        tags=ALLOWED_TAGS | TABLE_TAGS,
        attributes=TABLE_ATTRIBUTES,
        strip_comments=True,
        link_rel=None,
    )
    cleaned = clean_tables(cleaned)
    # text outside any block becomes a paragraph of its own: nothing typed is dropped
    parts, position = [], 0
    for match in BLOCK.finditer(cleaned):
        parts.extend(_loose(cleaned[position : match.start()]))
        parts.append(match.group(0))
        position = match.end()
    parts.extend(_loose(cleaned[position:]))
    return "".join(parts)


def _loose(fragment: str) -> list[str]:
    lines = [line.strip() for line in re.split(r"<br\s*/?>|\n", fragment)]
    return [f"<p>{line}</p>" for line in lines if TAG.sub("", line).strip()]


@dataclass(frozen=True)
class Paragraph:
    """One paragraph of the body: its kind is its heading level (GB/T 9704: 一、 in 黑体,
    （一） in 楷体, 1. and （1） in 仿宋), `heading` how many of its first characters are the
    heading itself (a heading may run on into its paragraph: 一、总体情况。我市…), and `runs` keeps
    bold spans."""

    kind: str  # "h1", "h2", "h3", "p" or "table"
    runs: tuple[tuple[str, bool], ...]  # (text, bold)
    heading: int = 0
    table: Table | None = None  # the rows and cells of a "table"

    @property
    def text(self) -> str:
        return "".join(text for text, _ in self.runs)


NUMERAL = "一二三四五六七八九十"
# the standard forms first, then what pasted text brings: 一. 一． (一) (1) 1． 1、
HEADING_PATTERNS = [
    ("h1", re.compile(rf"^\s*([{NUMERAL}]+)\s*[、.．]\s*")),
    ("h2", re.compile(rf"^\s*[（(]\s*([{NUMERAL}]+)\s*[)）]\s*")),
    ("h3", re.compile(r"^\s*(\d{1,2})\s*[.．、](?!\d)\s*")),
    ("h4", re.compile(r"^\s*[（(]\s*(\d{1,2})\s*[)）]\s*")),
]
STANDARD_MARKER = {"h1": "{}、", "h2": "（{}）", "h3": "{}.", "h4": "（{}）"}
# a heading that runs on ends at its first full stop (or question or exclamation mark)
HEADING_END = re.compile(r"[。！？]")
HEADING_MAX = 40  # characters: a longer first sentence is a paragraph, not a heading
BLOCK = re.compile(r"<(p|h2|h3|h4|table)>(.*?)</\1>", re.DOTALL)
BOLD = re.compile(r"<(strong|b)>(.*?)</\1>", re.DOTALL)
TAG = re.compile(r"<[^>]+>")


def heading_of(text: str) -> tuple[str, str, int]:
    """(kind, text with the marker in its standard form, length of the heading): 一. 1．
    (一) (1) become 一、 1. （一） （1）; kind "p" and 0 where the text is no heading."""
    for kind, pattern in HEADING_PATTERNS:
        match = pattern.match(text)
        if match is None:
            continue
        rest = text[match.end() :]
        if not rest.strip():
            continue  # a numeral alone is no heading
        text = STANDARD_MARKER[kind].format(match.group(1)) + rest
        marker = len(text) - len(rest)
        end = HEADING_END.search(rest)
        if end is None or end.end() == len(rest):
            length = len(text)
        elif end.end() <= HEADING_MAX:
            length = marker + end.end()
        else:
            length = marker  # a long first sentence: only the marker is the heading's
        return ("h3" if kind == "h4" else kind), text, length
    return "p", text, 0


def paragraphs(body_html: str) -> list[Paragraph]:
    """Split the cleaned body into paragraphs with their kind, heading and bold runs."""
    result = []
    for tag, inner in BLOCK.findall(body_html):
        if tag == "table":
            table = parse_table(inner)
            result.append(Paragraph(kind="table", runs=((table.text, False),), table=table))
            continue
        for line in re.split(r"<br\s*/?>", inner):
            runs: list[tuple[str, bool]] = []
            position = 0
            for match in BOLD.finditer(line):
                runs.append((html.unescape(TAG.sub("", line[position : match.start()])), False))
                runs.append((html.unescape(TAG.sub("", match.group(2))), True))
                position = match.end()
            runs.append((html.unescape(TAG.sub("", line[position:])), False))
            runs = [(text, bold) for text, bold in runs if text]
            if not runs:
                continue
            text = "".join(t for t, _ in runs).strip()
            if not text:
                continue
            kind, normalised, heading = heading_of(text)
            if kind != "p":
                # the marker's new form replaces the old in the first runs
                old_marker = len(text) - (len(normalised) - _marker_length(normalised, kind))
                runs = _replace_prefix(
                    runs, old_marker, normalised[: _marker_length(normalised, kind)]
                )
            elif tag != "p":
                kind = {"h2": "h1", "h3": "h2", "h4": "h3"}[tag]
                heading = len(text)
            result.append(Paragraph(kind=kind, runs=tuple(runs), heading=heading))
    return result


def _marker_length(text: str, kind: str) -> int:
    """Length of the standard marker at the start of text."""
    if kind == "h1":
        return text.index("、") + 1
    if text.startswith("（"):
        return text.index("）") + 1
    return text.index(".") + 1


def _replace_prefix(
    runs: list[tuple[str, bool]], length: int, replacement: str
) -> list[tuple[str, bool]]:
    """The runs with their first `length` characters (after leading whitespace) replaced."""
    first_text, first_bold = runs[0]
    runs = [(first_text.lstrip(), first_bold), *runs[1:]]
    out: list[tuple[str, bool]] = []
    remaining = length
    for index, (text, bold) in enumerate(runs):
        if remaining <= 0:
            out.append((text, bold))
            continue
        cut = min(remaining, len(text))
        remaining -= cut
        kept = (replacement if index == 0 else "") + text[cut:]
        if kept:
            out.append((kept, bold if index else runs[0][1]))
    if not out:
        out.append((replacement, False))
    return out


def body_for_editing(body_html: str) -> str:
    """What the draft form shows: plain lines when the body is plain paragraphs (as typed),
    the cleaned HTML when it carries headings tags or bold."""
    if re.search(r"<(strong|b|h[2-4])>", body_html):
        return body_html
    lines = []
    for paragraph in paragraphs(body_html):
        rows = plain_rows(paragraph.table) if paragraph.table else [paragraph.text]
        if rows is None:  # a table with spans or a header: only HTML keeps it
            return body_html
        lines += rows
    return "\n".join(lines)


def body_text(body_html: str) -> str:
    """The body as plain text, one paragraph per line (search, public pages, tests)."""
    return "\n".join(paragraph.text for paragraph in paragraphs(body_html))

"""Chinese full-text search without a segmenter: overlapping character bigrams.

Every run of Chinese characters becomes its bigrams (养老服务 → 养老 老服 服务; a single character
stays itself) and every Latin or digit run one lowercase word. The stored text also keeps each
run's last character alone (务), so that every character of the text begins some stored term.
On PostgreSQL the terms are stored as a `tsvector` literal (quoted lexemes, so no text-search
parser or locale is involved) under a GIN index, and a query is the AND of its own terms: a
two-character word is one exact lexeme, a longer phrase all of its bigrams, checked against the
text afterwards, and a single character a prefix match (养 finds 养老 and 抚养). Elsewhere (the
embedded SQLite run) search falls back to substring matching.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from itertools import combinations
from typing import Any

from django.db import connection
from django.db.models import Model, Q, QuerySet
from django.utils.safestring import SafeString, mark_safe

HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+")
# Latin words longer than 200 characters are split: PostgreSQL refuses a lexeme over 2047 bytes
# (a pasted 3000-character run failed the whole save).
WORD = re.compile(r"[A-Za-z0-9]{1,200}")
TOKEN = re.compile(f"{HAN.pattern}|{WORD.pattern}")


def terms(text: str) -> list[str]:
    """The search terms of a text, in order, without duplicates."""
    found: list[str] = []
    for run in HAN.findall(text or ""):
        if len(run) == 1:
            found.append(run)
        else:
            found.extend(run[i : i + 2] for i in range(len(run) - 1))
    found.extend(word.lower() for word in WORD.findall(text or ""))
    return list(dict.fromkeys(found))


def uses_index() -> bool:
    return connection.vendor == "postgresql"


def _quote(term: str) -> str:
    return "'" + term.replace("\\", "\\\\").replace("'", "''") + "'"


TITLE_MARK = "t:"  # a title term's second lexeme (vector_literal); never a query term


def tsquery(text: str, *, any_term: bool = False) -> str:
    """A tsquery literal for the text's terms (quoted lexemes: no parser involved). A single
    Chinese character matches every term that begins with it (a prefix match)."""
    quoted = [
        _quote(term) + (":*" if len(term) == 1 and HAN.fullmatch(term) else "")
        for term in terms(text)
    ]
    return (" | " if any_term else " & ").join(quoted)


def vector_literal(title: str, text: str) -> str:
    """A tsvector literal: each term with its positions, title terms weighted A, so that ts_rank
    prefers items with the word in the title and more often. Quoted lexemes, no parser."""
    positions: dict[str, list[str]] = {}
    position = 0
    for part, weight in ((title, "A"), (text, "")):
        for match in TOKEN.finditer(part or ""):
            run = match.group(0)
            if WORD.fullmatch(run):
                found = [run.lower()]
            elif len(run) == 1:
                found = [run]
            else:  # the bigrams, then the last character alone (for one-character queries)
                found = [run[i : i + 2] for i in range(len(run) - 1)] + [run[-1]]
            for term in found:
                position = min(position + 1, 16383)
                entries = positions.setdefault(term, [])
                if len(entries) < 256:
                    entries.append(f"{position}{weight}")
    # each title term once more as "t:term": similar_items asks the index for titles that share
    # terms exactly (a weight-restricted query, term:A, would make PostgreSQL re-read every
    # candidate's vector from the table)
    titled = [
        (TITLE_MARK + term, [mark for mark in marks if mark.endswith("A")])
        for term, marks in positions.items()
        if marks[0].endswith("A")
    ]
    return " ".join(
        _quote(term) + ":" + ",".join(marks) for term, marks in [*positions.items(), *titled]
    )


def update_vectors(model: type[Model], rows: Iterable[tuple[int, str, str]]) -> None:
    """Store the terms of (pk, title, text) rows in the model's `search_vector` (PostgreSQL)."""
    if not uses_index():
        return
    table = model._meta.db_table
    batch = [(pk, vector_literal(title, text)) for pk, title, text in rows]
    with connection.cursor() as cursor:
        for start in range(0, len(batch), 1000):
            chunk = batch[start : start + 1000]
            cursor.execute(
                f"UPDATE {table} AS t SET search_vector = v.doc::tsvector "
                "FROM unnest(%s::bigint[], %s::text[]) AS v(id, doc) WHERE t.id = v.id",
                [[pk for pk, _ in chunk], [doc for _, doc in chunk]],
            )


# Ranking reads every candidate's vector, so only the newest matches are ranked: a common word
# (教育 in half of 100 000 items) then costs milliseconds, not seconds (bench/search.py). The list
# says "more than 500" when there are more.
MAX_RANKED = 500
# A phrase's bigrams can all occur apart from each other; the text check (LIKE) runs on index
# matches newest first, in batches (CHECK_BATCH first, each next one twice as large), and once
# something is found stops after CHECK_LIMIT of them, so that a phrase made of common bigrams
# does not read every body. The first batch is little more than MAX_RANKED: where most index
# matches are true ones, one batch fills the page without reading thousands of bodies.
CHECK_BATCH = 600
CHECK_LIMIT = 20_000


def _newest_matches(
    matches: QuerySet[Any], text: str, fields: tuple[str, ...], phrase: bool
) -> tuple[list[int], bool]:
    """The ids of the newest MAX_RANKED rows that match, and whether there are more."""
    if not phrase:
        ids = list(matches.order_by("-pk").values_list("pk", flat=True)[: MAX_RANKED + 1])
        return ids[:MAX_RANKED], len(ids) > MAX_RANKED
    lookup = "icontains" if WORD.search(text) else "contains"
    guard = Q()
    for field in fields:
        guard |= Q(**{f"{field}__{lookup}": text})
    found: list[int] = []
    checked = 0
    size = CHECK_BATCH
    below: int | None = None
    while checked < CHECK_LIMIT or not found:  # with nothing found yet, go on to the end
        batch = matches if below is None else matches.filter(pk__lt=below)
        candidates = list(batch.order_by("-pk").values_list("pk", flat=True)[:size])
        if not candidates:
            return found, False
        checked += len(candidates)
        below = candidates[-1]
        wanted = MAX_RANKED + 1 - len(found)
        confirmed = matches.model._default_manager.filter(guard, pk__in=candidates)
        found.extend(confirmed.order_by("-pk").values_list("pk", flat=True)[:wanted])
        if len(found) > MAX_RANKED:
            return found[:MAX_RANKED], True
        if len(candidates) < size:
            return found, False
        size *= 2
    return found, True  # more candidates left unchecked


def search(
    queryset: QuerySet[Any], text: str, fields: tuple[str, ...], *, indexed: bool | None = None
) -> QuerySet[Any]:
    """Filter `queryset` to rows containing `text` in any of `fields`, best first.

    On PostgreSQL: the index finds the matches; the newest MAX_RANKED of them are ranked, and
    every row carries `search_capped` (true when older matches were left out). A single term (a
    two-character word, one character) is exact from the index alone; a longer phrase is checked
    against the text (LIKE; Chinese has no case to fold) so that bigrams in different places do
    not match. `indexed`: whether to use the index (default: on PostgreSQL), so that tests can
    run the embedded run's substring search on PostgreSQL too."""
    text = text.strip()
    if not text:
        return queryset
    found_terms = terms(text)
    if indexed is None:
        indexed = uses_index()
    if not indexed or not found_terms:
        contains = Q()
        for field in fields:
            contains |= Q(**{f"{field}__icontains": text})
        return queryset.filter(contains)
    query = tsquery(text)
    table = queryset.model._meta.db_table
    matches = queryset.extra(where=[f"{table}.search_vector @@ %s::tsquery"], params=[query])
    newest, capped = _newest_matches(matches, text, fields, phrase=len(found_terms) > 1)
    return (
        queryset.filter(pk__in=newest)
        .extra(
            select={
                "search_rank": f"ts_rank('{{0.1, 0.2, 0.4, 1.0}}', {table}.search_vector, %s::tsquery)",
                "search_capped": "true" if capped else "false",
            },
            select_params=[query],
        )
        .order_by("-search_rank", "-pk")
    )


def capped(rows: Iterable[Any]) -> bool:
    """Whether a search left older matches out (see MAX_RANKED)."""
    return any(getattr(row, "search_capped", False) for row in rows)


def highlight(text: str, query: str, *, width: int = 120) -> SafeString:
    """An escaped snippet of `text` around the first match of `query`, matches in <mark>."""
    text = text or ""
    query = query.strip()
    position = text.find(query) if query else -1
    start = max(0, position - width // 3) if position >= 0 else 0
    snippet = text[start : start + width]
    # split the raw text and escape each piece, so that a query like "lt" never lands inside
    # an entity (&lt;) that escaping made
    if query:
        mark = f"<mark>{html.escape(query)}</mark>"
        escaped = mark.join(html.escape(part) for part in snippet.split(query))
    else:
        escaped = html.escape(snippet)
    prefix = "…" if start > 0 else ""
    suffix = "…" if start + width < len(text) else ""
    return mark_safe(prefix + escaped + suffix)


# Words every title shares: they say nothing about what an item is about.
TITLE_NOISE = re.compile(r"^关于|的(建议|提案)$|(建议|提案)$")
# The verbs titles open with (关于进一步加快推进…): two items are not alike because both ask to
# 加快推进 something. Cut out (leaving a gap, so no bigram bridges them) before taking terms.
TITLE_VERBS = re.compile(
    "进一步|加快|推进|推动|加强|完善|提升|优化|促进|支持|规范|大力|切实|着力|全面|健全|建立"
)


def _topic(text: str, *, title: bool) -> set[str]:
    if title:
        text = TITLE_VERBS.sub(" ", TITLE_NOISE.sub("", text or ""))
    return {term for term in terms(text) if "的" not in term}


def topic_terms(proposal: Any) -> list[str]:
    """The terms that say what an item is about: its title without 关于…的建议, and the start of
    its body; bigrams across the function word 的 are dropped."""
    return sorted(
        _topic(proposal.title, title=True) | _topic((proposal.body or "")[:160], title=False)
    )


MIN_SHARED_TITLE_TERMS = 2
SIMILAR_POOL = 300  # the newest items sharing enough title terms that are ranked


def similar_items(proposal: Any, candidates: QuerySet[Any], limit: int = 5) -> list[Any]:
    """The candidates most like `proposal`, best first (the item itself excluded).

    Candidates come from the index (any shared term), then are scored on what their titles
    share: an item is similar only when at least two title terms (e.g. 未成 成年 年人 保护) are
    shared, so that everyday words (服务, 建设) do not make 托育 look like 养老."""
    title_terms = _topic(proposal.title, title=True)
    body_terms = _topic((proposal.body or "")[:160], title=False)
    wanted = title_terms | body_terms
    candidates = candidates.exclude(pk=proposal.pk)
    if not wanted or len(title_terms) < MIN_SHARED_TITLE_TERMS:
        return []  # nothing could share enough title terms
    if uses_index():
        query = " | ".join("'" + term.replace("'", "''") + "'" for term in sorted(wanted))
        table = candidates.model._meta.db_table
        # Only an item with MIN_SHARED_TITLE_TERMS of the title's terms in its own title can
        # pass (below): the index finds those exactly through the "t:" lexemes, and only the
        # newest SIMILAR_POOL of them are ranked (ranking reads each vector: ranking every item
        # sharing 服务 and 能力 took seconds at 100 000 items).
        enough = " | ".join(
            "(" + " & ".join(_quote(TITLE_MARK + term) for term in group) + ")"
            for group in combinations(sorted(title_terms), MIN_SHARED_TITLE_TERMS)
        )
        newest = list(
            candidates.extra(where=[f"{table}.search_vector @@ %s::tsquery"], params=[enough])
            .order_by("-pk")
            .values_list("pk", flat=True)[:SIMILAR_POOL]
        )
        pool = list(
            candidates.filter(pk__in=newest)
            .extra(
                select={"similarity": f"ts_rank({table}.search_vector, %s::tsquery, 0)"},
                select_params=[query],
            )
            .order_by("-similarity", "-pk")[:100]
        )
    else:  # embedded run: the most recent candidates
        pool = list(candidates.order_by("-pk")[:500])
    scored = []
    for candidate in pool:
        shared_title = len(title_terms & _topic(candidate.title, title=True))
        if shared_title < MIN_SHARED_TITLE_TERMS:
            continue
        shared_body = len(body_terms & _topic((candidate.body or "")[:160], title=False))
        scored.append((2 * shared_title + shared_body, candidate.pk, candidate))
    scored.sort(key=lambda row: (-row[0], -row[1]))
    return [candidate for _, _, candidate in scored[:limit]]

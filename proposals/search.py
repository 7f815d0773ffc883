"""Chinese full-text search without a segmenter: overlapping character bigrams.

Every run of Chinese characters becomes its bigrams (养老服务 → 养老 老服 服务; a single character
stays itself) and every Latin or digit run one lowercase word. On PostgreSQL the terms are stored
as a `tsvector` (built with array_to_tsvector, so no text-search parser or locale is involved)
under a GIN index, and a query is the AND of its own terms: a two-character word is one exact
lexeme, a longer phrase all of its bigrams, checked against the text afterwards. Elsewhere
(the embedded SQLite run) search falls back to substring matching.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from typing import Any

from django.db import connection
from django.db.models import Model, Q, QuerySet
from django.utils.safestring import SafeString, mark_safe

HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+")
WORD = re.compile(r"[A-Za-z0-9]+")


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


def tsquery(text: str, *, any_term: bool = False) -> str:
    """A tsquery literal for the text's terms (quoted lexemes: no parser involved)."""
    quoted = ["'" + term.replace("'", "''").replace("\\", "\\\\") + "'" for term in terms(text)]
    return (" | " if any_term else " & ").join(quoted)


def update_vectors(model: type[Model], rows: Iterable[tuple[int, str]]) -> None:
    """Store the terms of (pk, text) rows in the model's `search_vector` (PostgreSQL only)."""
    if not uses_index():
        return
    table = model._meta.db_table
    batch = [(pk, terms(text)) for pk, text in rows]
    with connection.cursor() as cursor:
        for start in range(0, len(batch), 1000):
            chunk = batch[start : start + 1000]
            cursor.execute(
                f"UPDATE {table} AS t SET search_vector = array_to_tsvector("
                "ARRAY(SELECT json_array_elements_text(v.doc::json))) "
                "FROM unnest(%s::bigint[], %s::text[]) AS v(id, doc) WHERE t.id = v.id",
                [[pk for pk, _ in chunk], [_json(found) for _, found in chunk]],
            )


def _json(values: list[str]) -> str:
    import json

    return json.dumps(values, ensure_ascii=False)


def search(queryset: QuerySet[Any], text: str, fields: tuple[str, ...]) -> QuerySet[Any]:
    """Filter `queryset` to rows containing `text` in any of `fields`, best first."""
    text = text.strip()
    if not text:
        return queryset
    contains = Q()
    for field in fields:
        contains |= Q(**{f"{field}__icontains": text})
    if not uses_index() or not terms(text):
        return queryset.filter(contains)
    query = tsquery(text)
    table = queryset.model._meta.db_table
    return (
        queryset.extra(
            where=[f"{table}.search_vector @@ %s::tsquery"],
            params=[query],
            select={"search_rank": f"ts_rank({table}.search_vector, %s::tsquery)"},
            select_params=[query],
        )
        .filter(contains)
        .order_by("-search_rank", "-pk")
    )


def highlight(text: str, query: str, *, width: int = 120) -> SafeString:
    """An escaped snippet of `text` around the first match of `query`, matches in <mark>."""
    text = text or ""
    query = query.strip()
    position = text.find(query) if query else -1
    start = max(0, position - width // 3) if position >= 0 else 0
    snippet = text[start : start + width]
    escaped = html.escape(snippet)
    if query:
        escaped = escaped.replace(html.escape(query), f"<mark>{html.escape(query)}</mark>")
    prefix = "…" if start > 0 else ""
    suffix = "…" if start + width < len(text) else ""
    return mark_safe(prefix + escaped + suffix)


# Words every title shares: they say nothing about what an item is about.
TITLE_NOISE = re.compile(r"^关于|的(建议|提案)$|(建议|提案)$")


def topic_terms(proposal: Any) -> list[str]:
    """The terms that say what an item is about: its title without 关于…的建议, and the start of
    its body; bigrams across the function word 的 are dropped."""
    title = TITLE_NOISE.sub("", proposal.title or "")
    found = terms(f"{title}\n{(proposal.body or '')[:160]}")
    return [term for term in found if "的" not in term]


def similar_items(proposal: Any, candidates: QuerySet[Any], limit: int = 5) -> list[Any]:
    """The candidates most like `proposal`, best first (the item itself excluded)."""
    wanted = topic_terms(proposal)
    candidates = candidates.exclude(pk=proposal.pk)
    if not wanted:
        return []
    if uses_index():
        query = " | ".join("'" + term.replace("'", "''") + "'" for term in wanted)
        table = candidates.model._meta.db_table
        return list(
            candidates.extra(
                where=[f"{table}.search_vector @@ %s::tsquery"],
                params=[query],
                select={"similarity": f"ts_rank({table}.search_vector, %s::tsquery, 0)"},
                select_params=[query],
            ).order_by("-similarity", "-pk")[:limit]
        )
    # embedded run: compare term sets over the most recent candidates
    wanted_set = set(wanted)
    scored = []
    for candidate in candidates.order_by("-pk")[:500]:
        overlap = len(wanted_set & set(topic_terms(candidate)))
        if overlap:
            scored.append((overlap, candidate.pk, candidate))
    scored.sort(key=lambda row: (-row[0], -row[1]))
    return [candidate for _, _, candidate in scored[:limit]]

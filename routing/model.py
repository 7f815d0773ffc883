"""The lead-unit suggestion model (智能交办): which unit type should lead the handling of an item.

Plain and explainable. A title is cleaned of boilerplate (关于……的建议, 加强, 进一步 …) and cut
into character 1-, 2- and 3-grams. Two sources vote for each unit type:

- the duties (职责) of each unit type, one text per type as in its 三定 plan: BM25 of the title's
  grams against each duties text. This alone gives sensible suggestions in a new deployment;
- the history of earlier assignments: BM25 nearest neighbours among earlier titles (an inverted
  index, so a suggestion costs the postings of the title's grams, not a loop over all items), each
  neighbour voting for the unit that led it.

Each source's votes are turned into shares over the unit types and mixed; the history's share of
the mix grows with how close the nearest earlier item is. The confidence is the mixed share. The
reasons are the nearest earlier items with their units and the duty phrases the title matched.

The core is independent of files and of the database: `Router.fit(examples, duties)` takes any
iterable of `Example` and a mapping unit type -> duties text.
"""

from __future__ import annotations

import heapq
import math
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

# Words that say nothing about the subject: the form of a title and the usual verbs of urging.
BOILERPLATE = (
    "关于",
    "的建议",
    "的提案",
    "的议案",
    "的意见",
    "建议",
    "提案",
    "议案",
    "意见",
    "对策",
    "加快",
    "加强",
    "加大",
    "进一步",
    "推进",
    "推动",
    "全面",
    "切实",
    "积极",
    "大力",
    "尽快",
    "尽早",
    "早日",
    "抓紧",
    "请求",
    "要求",
    "恳请",
    "帮助",
    "给予",
    "解决",
    "有关",
    "问题",
    "事项",
    "力度",
    "工作",
    "规范",
    "完善",
    "优化",
    "提升",
    "提高",
    "改善",
    "促进",
    "重视",
    "继续",
    "相关",
    "我县",
    "我市",
    "我区",
    "我州",
    "我省",
    "我镇",
    "我乡",
    "全县",
    "全市",
    "全区",
    "全州",
    "全省",
)
_BOILERPLATE_RE = re.compile(
    "|".join(re.escape(w) for w in sorted(BOILERPLATE, key=len, reverse=True))
)
# runs of Chinese characters, or of Latin letters (APP, 5G)
_RUN_RE = re.compile(r"[\u4e00-\u9fff]+|[a-z]{2,}")
# where a duties text is cut into the phrases shown as reasons
_PHRASE_SPLIT_RE = re.compile(r"[，,、；;。：:（）()]+")


def clean(text: str) -> list[str]:
    """The runs of meaningful text of a title: NFKC, lower case, boilerplate removed."""
    text = unicodedata.normalize("NFKC", text).lower()
    text = _BOILERPLATE_RE.sub(" ", text)
    return _RUN_RE.findall(text)


def grams(text: str, sizes: tuple[int, ...] = (1, 2, 3)) -> Counter[str]:
    """Character n-grams of the cleaned text, never across punctuation or removed words."""
    out: Counter[str] = Counter()
    for run in clean(text):
        if run.isascii():
            out[run] += 1
            continue
        for n in sizes:
            for i in range(len(run) - n + 1):
                out[run[i : i + n]] += 1
    return out


@dataclass(frozen=True)
class Example:
    """One earlier item: its title and the unit type that led its handling."""

    title: str
    unit: str
    co_units: tuple[str, ...] = ()
    body: str | None = None  # 人大 / 政协
    ref: str | None = None  # an id to link the reason to (e.g. the item's pk)


@dataclass(frozen=True)
class Neighbour:
    """An earlier item like the new one, shown as a reason."""

    title: str
    unit: str
    similarity: float  # 0..1, relative to the title's similarity with itself
    ref: str | None = None


@dataclass(frozen=True)
class Suggestion:
    unit: str
    confidence: float  # 0..1; the confidences of all unit types sum to 1
    neighbours: tuple[Neighbour, ...] = ()  # the similar earlier items this unit led
    duty_phrases: tuple[str, ...] = ()  # the phrases of the unit's duties the title matched
    duty_share: float = 0.0
    history_share: float = 0.0


@dataclass(frozen=True)
class Weights:
    """The few tuned numbers of the model, chosen by 5-fold cross-validation on the history file
    (`manage.py evaluate_assignment_suggestions --cross-validate 5`)."""

    gram_weights: tuple[float, float, float] = (1.0, 1.0, 1.0)  # for 1-, 2-, 3-grams
    k1: float = 1.2
    b: float = 0.75
    duty_b: float = 0.0  # length normalisation of the duties texts (they differ much in length)
    neighbours: int = 8  # nearest earlier items that vote
    neighbour_power: float = 1.0  # a vote is similarity ** power
    duty_power: float = 2.0  # sharpening of the duties scores before they become shares
    history_half: float = (
        0.25  # the history's share of the mix is s / (s + half), s = best similarity
    )
    history_max: float = 0.5
    # A gram more common than this in a large history (more than max(frequent_df, share * n)
    # items) only adds to the items that rarer grams found, through a lookup per candidate
    # instead of a walk over its postings: a suggestion stays fast with 100 000 items. Below
    # frequent_df items (any history of a few hundred) every gram is scored in full.
    frequent_df: int = 1000
    frequent_share: float = 0.01


def _idf(df: int, n: int) -> float:
    return math.log(1.0 + (n - df + 0.5) / (df + 0.5))


class _Index:
    """A BM25 inverted index: gram -> [(doc, term-frequency part)], with per-gram idf."""

    def __init__(self, docs: list[Counter[str]], weights: Weights, b: float | None = None) -> None:
        self.n = len(docs)
        gw = weights.gram_weights
        lengths = [sum(c.values()) for c in docs]
        avg = (sum(lengths) / self.n) if self.n else 1.0
        postings: dict[str, list[tuple[int, float]]] = defaultdict(list)
        k1 = weights.k1
        b = weights.b if b is None else b
        for i, counts in enumerate(docs):
            norm = k1 * (1 - b + b * lengths[i] / (avg or 1.0))
            for g, tf in counts.items():
                postings[g].append((i, tf * (k1 + 1) / (tf + norm)))
        self.postings = dict(postings)
        self.idf = {
            g: _idf(len(p), self.n) * gw[min(len(g), 3) - 1] for g, p in self.postings.items()
        }
        limit = max(weights.frequent_df, int(weights.frequent_share * self.n))
        # the frequent grams' postings also as doc -> part, for the lookups
        self.frequent = {g: dict(p) for g, p in self.postings.items() if len(p) > limit}

    def score(self, query: Counter[str]) -> dict[int, float]:
        acc: dict[int, float] = defaultdict(float)
        frequent = []
        for g in query:
            plist = self.postings.get(g)
            if plist is None:
                continue
            if g in self.frequent:
                frequent.append(g)
                continue
            w = self.idf[g]
            for doc, part in plist:
                acc[doc] += w * part
        if not acc and frequent:
            # only frequent grams: the rarest of them finds the candidates
            frequent.sort(key=lambda g: len(self.frequent[g]))
            first = frequent.pop(0)
            w = self.idf[first]
            for doc, part in self.postings[first]:
                acc[doc] += w * part
        for g in frequent:
            w = self.idf[g]
            parts = self.frequent[g]
            if len(acc) < len(parts):
                for doc in acc:
                    found = parts.get(doc)
                    if found is not None:
                        acc[doc] += w * found
            else:
                for doc, part in self.postings[g]:
                    if doc in acc:
                        acc[doc] += w * part
        return acc

    def self_score(self, query: Counter[str], weights: Weights) -> float:
        """The score of a document equal to the query (the scale of similarities)."""
        k1 = weights.k1
        return sum(self.idf.get(g, 0.0) * (k1 + 1) / (1 + k1) for g in query) or 1.0


@dataclass
class Router:
    weights: Weights = field(default_factory=Weights)
    units: list[str] = field(default_factory=list)
    duties: dict[str, str] = field(default_factory=dict)
    examples: list[Example] = field(default_factory=list)

    def fit(self, examples: Iterable[Example], duties: Mapping[str, str]) -> Router:
        """Build from earlier items (may be none) and the duties text of each unit type. Units of
        examples without a duties text are still suggested, from the history alone."""
        self.duties = {u: d for u, d in duties.items() if u}
        self.examples = [e for e in examples if e.unit and e.title]
        seen = dict.fromkeys(self.duties)
        for e in self.examples:
            seen.setdefault(e.unit)
        self.units = list(seen)
        self._unit_pos = {u: i for i, u in enumerate(self.units)}
        # the unit's name is part of its duties text (a title naming 殡葬 finds 民政局 by duties,
        # one naming 公安 finds 公安局 by name)
        self._duty_docs = [grams(u + "，" + self.duties.get(u, "")) for u in self.units]
        self._duties_index = _Index(self._duty_docs, self.weights, self.weights.duty_b)
        self._history_index = _Index([grams(e.title) for e in self.examples], self.weights)
        self._history_units = [self._unit_pos[e.unit] for e in self.examples]
        self._phrases = {
            u: [p for p in _PHRASE_SPLIT_RE.split(self.duties.get(u, "")) if p] for u in self.units
        }
        return self

    # --- the two sources -----------------------------------------------------------------

    def _duty_scores(self, query: Counter[str]) -> dict[int, float]:
        return self._duties_index.score(query)

    def _neighbours(self, query: Counter[str]) -> list[tuple[int, float]]:
        """The nearest earlier items as (example index, similarity 0..1), best first."""
        if not self.examples:
            return []
        scores = self._history_index.score(query)
        if not scores:
            return []
        scale = self._history_index.self_score(query, self.weights)
        k = self.weights.neighbours
        best = heapq.nlargest(k, scores.items(), key=lambda kv: kv[1])
        return [(i, min(1.0, s / scale)) for i, s in best]

    def suggest(
        self, title: str, body: str | None = None, k: int = 3, reasons: int = 3
    ) -> list[Suggestion]:
        """The k most likely lead unit types for a new item, best first. `body` (人大 / 政协) is
        accepted for the callers' sake; the model does not use it (it did not help in
        cross-validation)."""
        w = self.weights
        query = grams(title)
        n_units = len(self.units)
        if not n_units:
            return []
        duty = [0.0] * n_units
        for u, s in self._duty_scores(query).items():
            duty[u] = s**w.duty_power
        duty_total = sum(duty)
        duty_share = [d / duty_total for d in duty] if duty_total else [1.0 / n_units] * n_units

        neighbours = self._neighbours(query)
        hist = [0.0] * n_units
        for i, sim in neighbours:
            hist[self._history_units[i]] += sim**w.neighbour_power
        hist_total = sum(hist)
        if hist_total:
            best = neighbours[0][1]
            lam = w.history_max * best / (best + w.history_half)
            hist_share = [h / hist_total for h in hist]
        else:
            lam = 0.0
            hist_share = [0.0] * n_units
        if not duty_total and not hist_total:
            # nothing matched: the most frequent units of the history, else the duties' order
            counts = Counter(self._history_units)
            total = sum(counts.values())
            mixed = [(counts.get(u, 0) + 0.1) / (total + 0.1 * n_units) for u in range(n_units)]
        else:
            mixed = [(1 - lam) * d + lam * h for d, h in zip(duty_share, hist_share, strict=True)]
        order = sorted(range(n_units), key=lambda u: mixed[u], reverse=True)[:k]
        out = []
        for u in order:
            unit = self.units[u]
            near = tuple(
                Neighbour(self.examples[i].title, unit, round(sim, 3), self.examples[i].ref)
                for i, sim in neighbours
                if self._history_units[i] == u
            )[:reasons]
            out.append(
                Suggestion(
                    unit=unit,
                    confidence=round(mixed[u], 4),
                    neighbours=near,
                    duty_phrases=self._matched_phrases(unit, query, reasons),
                    duty_share=round(duty_share[u], 4),
                    history_share=round(hist_share[u], 4),
                )
            )
        return out

    def similar(self, title: str, k: int = 5) -> list[Neighbour]:
        """The k earlier items most like the title, whatever their unit."""
        neighbours = self._neighbours(grams(title))[:k]
        return [
            Neighbour(
                self.examples[i].title, self.examples[i].unit, round(s, 3), self.examples[i].ref
            )
            for i, s in neighbours
        ]

    def _matched_phrases(self, unit: str, query: Counter[str], limit: int) -> tuple[str, ...]:
        """The duty phrases sharing the most weight of the title's 2- and 3-grams."""
        idf = self._duties_index.idf
        keys = [g for g in query if len(g) >= 2 and g in idf]
        if not keys:
            return ()
        scored = []
        for phrase in self._phrases.get(unit, ()):
            s = sum(idf[g] for g in keys if g in phrase)
            if s > 0:
                scored.append((s, phrase))
        scored.sort(key=lambda t: t[0], reverse=True)
        return tuple(p for _, p in scored[:limit])

"""Measuring the suggestions: top-1 / top-3 on a test set, and k-fold cross-validation."""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from .model import Example, Router, Weights


@dataclass(frozen=True)
class Score:
    top1: int
    top3: int
    n: int

    @property
    def top1_rate(self) -> float:
        return self.top1 / self.n if self.n else 0.0

    @property
    def top3_rate(self) -> float:
        return self.top3 / self.n if self.n else 0.0

    def line(self) -> str:
        return line(self.top1_rate, self.top3_rate, self.n)


def line(top1: float, top3: float, n: int) -> str:
    """The result line of the evaluation command (its last line)."""
    return f"top-1 {100 * top1:.1f}% top-3 {100 * top3:.1f}% ({n} items)"


def evaluate(router: Router, test: Sequence[Example]) -> Score:
    top1 = top3 = 0
    for e in test:
        units = [s.unit for s in router.suggest(e.title, body=e.body, k=3, reasons=0)]
        top1 += bool(units) and units[0] == e.unit
        top3 += e.unit in units
    return Score(top1, top3, len(test))


def folds(examples: Sequence[Example], k: int, seed: int = 0) -> list[list[Example]]:
    """k folds of about equal size, stratified by unit (each unit's items dealt round the folds
    in a shuffled order)."""
    rng = random.Random(seed)
    by_unit: dict[str, list[Example]] = {}
    for e in examples:
        by_unit.setdefault(e.unit, []).append(e)
    out: list[list[Example]] = [[] for _ in range(k)]
    start = 0
    for unit in sorted(by_unit):
        items = by_unit[unit]
        rng.shuffle(items)
        for i, e in enumerate(items):
            out[(start + i) % k].append(e)
        start += len(items)
    return out


def cross_validate(
    examples: Sequence[Example],
    duties: Mapping[str, str],
    k: int,
    weights: Weights | None = None,
    seed: int = 0,
    use_history: bool = True,
) -> list[Score]:
    """One score per fold: trained on the other folds (or on the duties alone)."""
    parts = folds(examples, k, seed)
    scores = []
    for i, test in enumerate(parts):
        train = [e for j, p in enumerate(parts) if j != i for e in p] if use_history else []
        router = Router(weights or Weights()).fit(train, duties)
        scores.append(evaluate(router, test))
    return scores


def mean(scores: Sequence[Score]) -> tuple[float, float]:
    """Mean top-1 and top-3 rates over folds."""
    return (
        sum(s.top1_rate for s in scores) / len(scores),
        sum(s.top3_rate for s in scores) / len(scores),
    )

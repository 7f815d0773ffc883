"""Lead-unit suggestion benchmark: fit time and suggest latency with 100 000 items of history.

Not a test: it prints figures. No database or other service is needed:

    .venv/bin/python bench/suggestions.py [--items 100000] [--queries 500] [--seed 1]

The history is synthetic: each item's unit is drawn as often as in the real history file
(../shared/data/assignment-history.csv, or --history; every unit type of the duties equally when
the file is absent), and its title is `关于` + a made-up place (村/镇/路/社区 names from random
characters, so that the rare grams of real titles exist) + a real title of that unit stripped of
its form, or one or two phrases of the unit's duties, + `的建议` / `的提案`. Queries are the real
titles and fresh synthetic titles, asked one at a time after the fit.

Exit status: 0 ran and met the target (p95 <= 50 ms), 3 ran but missed it.
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from common import percentile  # noqa: E402

from routing.datasets import DataError, load_duties, load_items  # noqa: E402
from routing.model import Example, Router  # noqa: E402

TARGET_MS = 50.0
DEFAULT_HISTORY = ROOT.parent / "shared" / "data" / "assignment-history.csv"
PLACE_CHARS = (
    "东南西北中上下大小新老长高平安和兴福康宁山河湖桥塘坝湾岭坪沟田园林石青红白金龙凤云"
    "阳溪泉桃李杨柳松竹梅兰花"
)
PLACE_KINDS = ("村", "镇", "乡", "路", "社区", "街道", "片区", "小区", "村委会", "组")
FORM = re.compile(r"^关于|(的)?(建议|提案|议案)$")


def synthetic(
    rng: random.Random, unit: str, titles: dict[str, list[str]], phrases: dict[str, list[str]]
) -> str:
    place = "".join(rng.choice(PLACE_CHARS) for _ in range(rng.randint(2, 3))) + rng.choice(
        PLACE_KINDS
    )
    own = titles.get(unit)
    if own and rng.random() < 0.6:
        core = FORM.sub("", rng.choice(own))
    else:
        pool = phrases[unit] or [unit]
        core = "".join(rng.sample(pool, min(len(pool), rng.randint(1, 2))))
    return f"关于{place}{core}{rng.choice(('的建议', '的提案'))}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=500)
    parser.add_argument("--history", default=str(DEFAULT_HISTORY))
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)

    units = load_duties()
    try:
        real = load_items(args.history, "历史记录", units).examples
    except DataError as exc:
        print(f"{exc}; units drawn equally from the duties")
        real = []
    titles: dict[str, list[str]] = {}
    for e in real:
        titles.setdefault(e.unit, []).append(e.title)
    phrases = {
        u: [p for p in re.split(r"[，、；。（）]+", d) if 2 <= len(p) <= 20]
        for u, d in units.duties.items()
    }
    weights = [len(titles.get(u, ())) or (0 if real else 1) for u in units.duties]
    unit_list = list(units.duties)

    t0 = time.perf_counter()
    drawn = rng.choices(unit_list, weights=weights, k=args.items)
    history = [
        Example(synthetic(rng, u, titles, phrases), u, ref=str(i)) for i, u in enumerate(drawn)
    ]
    made = time.perf_counter() - t0
    t0 = time.perf_counter()
    router = Router().fit(history, units.duties)
    fit = time.perf_counter() - t0

    queries = [e.title for e in real][: args.queries // 2]
    queries += [
        synthetic(rng, u, titles, phrases)
        for u in rng.choices(unit_list, weights=weights, k=args.queries - len(queries))
    ]
    for q in queries[:20]:  # warm up
        router.suggest(q)
    times = []
    for q in queries:
        t0 = time.perf_counter()
        router.suggest(q, k=3)
        times.append((time.perf_counter() - t0) * 1000)
    p50, p95 = percentile(times, 0.50), percentile(times, 0.95)
    print(
        f"history: {len(history)} synthetic items ({made:.1f} s to make), {len(unit_list)} unit types"
    )
    print(f"fit: {fit:.1f} s")
    print(
        f"suggest (k=3, with reasons), {len(times)} queries: p50 {p50:.1f} ms, p95 {p95:.1f} ms, "
        f"max {max(times):.1f} ms, mean {statistics.mean(times):.1f} ms (target p95 <= {TARGET_MS:.0f} ms)"
    )
    return 0 if p95 <= TARGET_MS else 3


if __name__ == "__main__":
    sys.exit(main())

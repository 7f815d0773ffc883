"""Reading the files of the evaluation: the unit duties and a history / test file of items.

Errors are `DataError` with a message in Chinese for the person who named the file.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from .model import Example

DEFAULT_DUTIES = Path(__file__).resolve().parent / "data" / "unit_duties.csv"

HISTORY_COLUMNS = ("title", "unit_type")
DUTIES_COLUMNS = ("unit_type", "duties")


class DataError(Exception):
    """A file is missing, unreadable or lacks columns; the message is for the user (Chinese)."""


@dataclass(frozen=True)
class UnitDuties:
    duties: dict[str, str]  # unit type -> duties text
    aliases: dict[str, str]  # other name -> unit type (the unit types themselves included)

    def canonical(self, name: str, loose: bool = False) -> str | None:
        """The unit type a name stands for: itself, an alias, or None. `loose`: also a name
        ending with a unit type or alias (抚顺市民政局, 县文旅局), the longest one winning."""
        name = name.strip()
        found = self.aliases.get(name)
        if found is not None or not loose:
            return found
        best = ""
        for alias in self.aliases:
            if len(alias) > len(best) and len(alias) >= 3 and name.endswith(alias):
                best = alias
        return self.aliases[best] if best else None


def _read_rows(path: str | Path, what: str, columns: tuple[str, ...]) -> list[dict[str, str]]:
    p = Path(path)
    if not p.exists():
        raise DataError(f"{what}文件不存在：{p}")
    if not p.is_file():
        raise DataError(f"{what}文件不是普通文件：{p}")
    try:
        text = p.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise DataError(f"{what}文件不是 UTF-8 编码的 CSV 文件：{p}") from None
    except OSError as exc:
        raise DataError(f"无法读取{what}文件：{p}（{exc.strerror}）") from None
    if "\x00" in text:
        raise DataError(f"{what}文件不是 CSV 文本文件：{p}")
    try:
        reader = csv.DictReader(text.splitlines())
        header = [h.strip() for h in (reader.fieldnames or [])]
        missing = [c for c in columns if c not in header]
        if missing:
            raise DataError(
                f"{what}文件缺少列：{'、'.join(missing)}（应有列：{'、'.join(columns)}）：{p}"
            )
        reader.fieldnames = header
        return [
            {k: (v or "").strip() for k, v in row.items() if isinstance(k, str)} for row in reader
        ]
    except csv.Error as exc:
        raise DataError(f"{what}文件不是有效的 CSV 文件：{p}（{exc}）") from None


def load_duties(path: str | Path = DEFAULT_DUTIES) -> UnitDuties:
    rows = _read_rows(path, "单位职责", DUTIES_COLUMNS)
    duties: dict[str, str] = {}
    aliases: dict[str, str] = {}
    for row in rows:
        unit = row["unit_type"]
        if not unit:
            continue
        duties[unit] = row["duties"]
        aliases[unit] = unit
        for alias in row.get("aliases", "").split(";"):
            if alias.strip():
                aliases.setdefault(alias.strip(), unit)
    if not duties:
        raise DataError(f"单位职责文件没有任何单位：{path}")
    return UnitDuties(duties, aliases)


@dataclass(frozen=True)
class Items:
    examples: list[Example]
    skipped: list[str]  # unit_type values that are not a canonical unit type


def load_items(path: str | Path, what: str, units: UnitDuties) -> Items:
    """Rows with a title and a canonical unit type (an alias is mapped to its type)."""
    rows = _read_rows(path, what, HISTORY_COLUMNS)
    examples, skipped = [], []
    for n, row in enumerate(rows, start=2):
        unit = units.canonical(row["unit_type"])
        if not row["title"]:
            continue
        if unit is None:
            skipped.append(row["unit_type"])
            continue
        co_units = tuple(
            c
            for c in (
                units.canonical(x, loose=True) for x in row.get("co_units", "").split(";") if x
            )
            if c
        )
        examples.append(
            Example(
                title=row["title"],
                unit=unit,
                co_units=co_units,
                body=row.get("body") or None,
                ref=f"{Path(path).name}:{n}",
            )
        )
    return Items(examples, skipped)

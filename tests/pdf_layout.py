"""Reading a letter PDF back with poppler's pdftotext -bbox-layout: pages, lines and glyph boxes."""

from __future__ import annotations

import re
import subprocess
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from xml.etree import ElementTree

MM = 72 / 25.4
PAGE_W, PAGE_H = 210 * MM, 297 * MM
LEFT, RIGHT = 28 * MM, PAGE_W - 26 * MM
TOP, BOTTOM = 37 * MM, PAGE_H - 35 * MM


@dataclass
class Line:
    text: str
    x_min: float
    x_max: float
    y_min: float
    y_max: float

    @property
    def width_in_chars(self) -> float:
        """Full-width characters count 1, half-width (digits, Latin) ½."""
        return sum(0.5 if unicodedata.east_asian_width(c) in ("Na", "H") else 1 for c in self.text)


@dataclass
class Page:
    width: float
    height: float
    lines: list[Line]


def read_layout(pdf: Path) -> list[Page]:
    xml = subprocess.run(
        ["pdftotext", "-bbox-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    xml = re.sub(r"<!DOCTYPE[^>]*>", "", xml)
    root = ElementTree.fromstring(xml)
    ns = {"x": "http://www.w3.org/1999/xhtml"}
    pages = []
    for page in root.iter("{http://www.w3.org/1999/xhtml}page"):
        # pdftotext may split a justified (stretched) line into several; regroup words by baseline
        rows: dict[int, list[tuple[float, float, float, float, str]]] = {}
        for word in page.iterfind(".//x:word", ns):
            box = tuple(float(word.get(k, 0)) for k in ("xMin", "yMin", "xMax", "yMax"))
            rows.setdefault(round(box[3]), []).append((*box, word.text or ""))  # type: ignore[arg-type]
        lines = []
        for _, words in sorted(rows.items()):
            words.sort()
            lines.append(
                Line(
                    text="".join(w[4] for w in words),
                    x_min=words[0][0],
                    x_max=max(w[2] for w in words),
                    y_min=min(w[1] for w in words),
                    y_max=max(w[3] for w in words),
                )
            )
        pages.append(Page(float(page.get("width", 0)), float(page.get("height", 0)), lines))
    return pages


def plain_text(pdf: Path) -> str:
    return subprocess.run(
        ["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout


def fonts(pdf: Path) -> list[dict[str, str]]:
    out = subprocess.run(
        ["pdffonts", str(pdf)], capture_output=True, text=True, check=True
    ).stdout.splitlines()
    rows = []
    for row in out[2:]:
        parts = row.split()
        # name, type (may contain spaces), encoding, emb, sub, uni, object, id
        rows.append(
            {"name": parts[0], "type": " ".join(parts[1:-6]), "emb": parts[-5], "sub": parts[-4]}
        )
    return rows

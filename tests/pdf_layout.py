"""Reading a letter PDF back with poppler's pdftotext -bbox-layout: pages, lines and glyph boxes."""

from __future__ import annotations

import itertools
import re
import subprocess
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree import ElementTree

MM = 72 / 25.4
PAGE_W, PAGE_H = 210 * MM, 297 * MM
LEFT, RIGHT = 28 * MM, PAGE_W - 26 * MM
TOP, BOTTOM = 37 * MM, PAGE_H - 35 * MM

# the page number of GB/T 9704: "— 7 —" (pdftotext may drop the spaces)
PAGE_NUMBER = re.compile(r"—\s*(\d+)\s*—")


@dataclass
class Word:
    """A run of glyphs pdftotext keeps together; its box spans the glyphs' advances."""

    text: str
    x_min: float
    x_max: float


@dataclass
class Line:
    text: str
    x_min: float
    x_max: float
    y_min: float
    y_max: float
    words: list[Word] = field(default_factory=list)

    @property
    def width_in_chars(self) -> float:
        """Full-width characters count 1, half-width (digits, Latin) ½."""
        return sum(0.5 if unicodedata.east_asian_width(c) in ("Na", "H") else 1 for c in self.text)


@dataclass
class Page:
    width: float
    height: float
    lines: list[Line]

    @property
    def page_number(self) -> Line | None:
        """The foot line `— N —` below the text block, if the page has one."""
        last = self.lines[-1] if self.lines else None
        if last is not None and last.y_min > BOTTOM and PAGE_NUMBER.fullmatch(last.text):
            return last
        return None

    @property
    def text_lines(self) -> list[Line]:
        """The lines of the page without its page number."""
        return self.lines[:-1] if self.page_number is not None else list(self.lines)


def read_layout(pdf: Path) -> list[Page]:
    xml = subprocess.run(
        ["pdftotext", "-bbox-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    xml = re.sub(r"<!DOCTYPE[^>]*>", "", xml)
    root = ElementTree.fromstring(xml)
    ns = {"x": "http://www.w3.org/1999/xhtml"}
    pages = []
    for page in root.iter("{http://www.w3.org/1999/xhtml}page"):
        # pdftotext may split a justified (stretched) line into several; regroup words by their
        # bottom edge, one row per baseline (words of a row differ by rounding only)
        boxes = []
        for word in page.iterfind(".//x:word", ns):
            x_min, y_min, x_max, y_max = (
                float(word.get(k, 0)) for k in ("xMin", "yMin", "xMax", "yMax")
            )
            boxes.append((y_max, x_min, y_min, x_max, word.text or ""))
        rows: list[list[tuple[float, float, float, float, str]]] = []
        for box in sorted(boxes):
            if rows and box[0] - rows[-1][0][0] < 1.0:
                rows[-1].append(box)
            else:
                rows.append([box])
        lines = []
        for row in rows:
            row.sort(key=lambda box: box[1])
            lines.append(
                Line(
                    text="".join(box[4] for box in row),
                    x_min=row[0][1],
                    x_max=max(box[3] for box in row),
                    y_min=min(box[2] for box in row),
                    y_max=max(box[0] for box in row),
                    words=[Word(box[4], box[1], box[3]) for box in row],
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


# --- comparing text ----------------------------------------------------------------------------

# full-width and half-width forms of the same mark compare equal
_SAME_MARK = str.maketrans("，：；（）！？", ",:;()!?")
_WHITESPACE = re.compile(r"\s+")


def normalise(text: str) -> str:
    """Text without any whitespace and with one form of , : ; ( ) ! ?"""
    return _WHITESPACE.sub("", text).translate(_SAME_MARK)


def layout_text(pages: Sequence[Page]) -> str:
    """The text of the pages line by line, top to bottom and left to right, without page numbers
    (pdftotext's own reading order can put the second half of a line broken inside a URL first).
    """
    return "\n".join(line.text for page in pages for line in page.text_lines)


# --- lines of paragraphs -----------------------------------------------------------------------


def natural_width(line: Line, letter_spacing: float) -> float:
    """The width the line's glyphs took before justification stretched it, from the line's
    first glyph to the end of the letter-spacing after its last.

    pdftotext ends a word at each space. The letter puts a width-cancelled space at every place a
    line may break, and justification stretches each of those spaces by the same amount: the
    narrowest gap between words is letter-spacing plus that stretch. Typed whitespace that the
    letter does not cancel (an en space, say) makes a wider gap and counts as part of the line.
    """
    words = line.words
    gaps = [b.x_min - a.x_max for a, b in itertools.pairwise(words)]
    stretch = min(gaps) - letter_spacing if gaps else 0.0
    return line.x_max - line.x_min + letter_spacing - len(gaps) * stretch


@dataclass
class ParagraphLines:
    text: str  # the paragraph as typed
    lines: list[Line]  # its lines in the PDF, in order, across pages
    pages: list[int]  # the page number (from 1) of each line


def locate_paragraphs(pages: Sequence[Page], texts: Sequence[str]) -> list[ParagraphLines]:
    """Find the lines of consecutive paragraphs among the pages' text lines: the first paragraph
    starts at the first line whose text starts it, every line continues the paragraph exactly
    until it is complete, and the next paragraph starts on the next line. AssertionError says
    where they part."""
    flow = [(number, line) for number, page in enumerate(pages, 1) for line in page.text_lines]
    found, position = [], 0
    for text in texts:
        wanted = normalise(text)
        start = next(
            (
                i
                for i in range(position, len(flow))
                if normalise(flow[i][1].text) and wanted.startswith(normalise(flow[i][1].text))
            ),
            None,
        )
        assert start is not None, f"no line starts the paragraph {text[:40]!r}…"
        assert not found or start == position, (
            f"lines between two paragraphs, before {text[:40]!r}…: "
            f"{[line.text for _, line in flow[position:start]]}"
        )
        lines, numbers, done = [], [], ""
        i = start
        while len(done) < len(wanted):
            assert i < len(flow), f"the paragraph {text[:40]!r}… runs past the last line"
            number, line = flow[i]
            piece = normalise(line.text)
            assert wanted.startswith(done + piece), (
                f"page {number}: line {line.text!r} does not continue the paragraph "
                f"{text[:40]!r}… after {done[-20:]!r}"
            )
            lines.append(line)
            numbers.append(number)
            done += piece
            i += 1
        found.append(ParagraphLines(text, lines, numbers))
        position = i
    return found


# --- drawings and fonts of the text ------------------------------------------------------------


@dataclass(frozen=True)
class Band:
    """A filled horizontal stripe of a colour (a rule, or one line of a double rule), in pt from
    the page's top-left corner."""

    x_min: float
    x_max: float
    top: float
    bottom: float

    @property
    def thickness(self) -> float:
        return self.bottom - self.top


def red_bands(pdf: Path) -> list[list[Band]]:
    """The red stripes of each page, top to bottom. WeasyPrint paints a border side as a clip
    polygon (m l l l) filled in the border's colour: the polygon's box is the stripe."""
    from pypdf import PdfReader
    from pypdf.generic import ContentStream

    reader = PdfReader(str(pdf))
    pages = []
    for page in reader.pages:
        height = float(page.mediabox.height)
        matrix: tuple[float, ...] = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)
        stack: list[tuple[float, ...]] = []
        path: list[tuple[float, float]] = []
        bands = []
        for operands, operator in ContentStream(page.get_contents(), reader).operations:
            if operator == b"q":
                stack.append(matrix)
            elif operator == b"Q":
                matrix = stack.pop() if stack else matrix
            elif operator == b"cm":
                a, b, c, d, e, f = (float(x) for x in operands)
                ma, mb, mc, md, me, mf = matrix
                matrix = (
                    a * ma + b * mc,
                    a * mb + b * md,
                    c * ma + d * mc,
                    c * mb + d * md,
                    e * ma + f * mc + me,
                    e * mb + f * md + mf,
                )
            elif operator in (b"m", b"l"):
                x, y = (float(v) for v in operands)
                ma, mb, mc, md, me, mf = matrix
                point = (ma * x + mc * y + me, mb * x + md * y + mf)
                path = [point] if operator == b"m" else [*path, point]
            elif operator == b"rg":
                red, green, blue = (float(v) for v in operands)
                if len(path) == 4 and red > 0.5 and green < 0.2 and blue < 0.2:
                    xs, ys = [p[0] for p in path], [height - p[1] for p in path]
                    bands.append(Band(min(xs), max(xs), min(ys), max(ys)))
                path = []
        pages.append(sorted(set(bands), key=lambda band: band.top))
    return pages


def text_fonts(pdf: Path) -> list[tuple[int, str, str]]:
    """(page number from 1, text, font name without its subset tag) of every text run."""
    from pypdf import PdfReader

    runs: list[tuple[int, str, str]] = []
    for number, page in enumerate(PdfReader(str(pdf)).pages, 1):

        def visit(
            text: str, cm: object, tm: object, font: object, size: object, number: int = number
        ) -> None:
            if text.strip() and font is not None:
                name = str(font.get("/BaseFont", ""))  # type: ignore[attr-defined]
                runs.append((number, text, name.lstrip("/").split("+")[-1]))

        page.extract_text(visitor_text=visit)
    return runs

"""Chinese line breaking for the letters: the lines are decided here, not by WeasyPrint.

Each character's advance comes from the font file (fontTools, cached per font). A paragraph is
broken into lines of the 156 mm measure line by line, each break chosen among the few near the
end of the measure by a cost (in the manner of Knuth and Plass, with a look one line ahead rather
than a search over the paragraph: ~5 µs a character) that keeps the 避头尾 rules: a closing mark
never starts a line, an opening mark never ends one. Where a closing mark would otherwise start the next line, it is pulled onto the line and
set half-width (标点挤压, push-in), with a second mark of the line compressed where there is one so
that the line keeps its 28 cells; a character is pushed down (push-out) only where push-in cannot
work. Each line but a paragraph's last is then justified to the right edge by its own
letter-spacing, so lines with Latin letters and digits fill the measure too.

Half-width marks are printed from a small font derived once from the body font: the marks'
glyphs with half advances, shifted as the font's own `halt` feature says (an opening bracket
keeps its right half), or by the usual convention where the font has no `halt`.
"""

from __future__ import annotations

import hashlib
import itertools
import logging
import os
import re
import tempfile
import unicodedata
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

# 避头尾: no line starts with these ...
CLOSING = set("，。、；：？！）》〉」』”’〕】］｝…—%·‰℃")
# ... and none ends with these.
OPENING = set("（《〈「『“‘〔【［｛")
# Marks that may be set half-width (the dash and the ellipsis are two cells that never shrink).
COMPRESSIBLE = set("，。、；：？！）》〉」』”’〕】］｝（《〈「『“‘〔【［｛")
# where a font has no `halt` feature: opening brackets keep their right half
SHIFT_LEFT = set("（《〈「『“‘〔【［｛")

SHRINK_LIMIT = 0.02  # em per gap a justified line may tighten (0.32 pt at 3号)
STRETCH_SCALE = 0.01  # em per gap: badness grows with the square of (change / scale)
COMPRESSION_COST = 1.0  # each mark set half-width
EXTRA_COMPRESSION_COST = 4.0  # each beyond the first in a line
HYPHENLESS_BREAK_COST = 30.0  # a break inside a Latin word or number (only when it cannot fit)
LONE_LAST_CHARACTER_COST = 8.0  # a paragraph's last line of one character
INFINITY = float("inf")
UNFIT_COST = 1000.0  # a line that cannot be set within the measure at all
MAX_SLACK = 2.5  # em: a justified line shorter than the measure by more is not considered


def is_wide(char: str) -> bool:
    return unicodedata.east_asian_width(char) in ("W", "F", "A") or char in "“”‘’—…·"


@dataclass(frozen=True)
class FontMetrics:
    """Advances of characters in em, as HarfBuzz sets them for Simplified Chinese (the `locl`
    substitutions of the font's ZHS language system applied)."""

    advances: dict[str, float]

    def advance(self, char: str) -> float:
        found = self.advances.get(char)
        if found is not None:
            return found
        return 1.0 if is_wide(char) else 0.5


def _single_substitutions(font: Any, feature: str, script: str, language: str) -> dict[str, str]:
    """glyph -> glyph of the font's single substitutions for a feature and language system."""
    tables = font.keys()
    if "GSUB" not in tables:
        return {}
    gsub = font["GSUB"].table
    indices: list[int] = []
    for record in gsub.ScriptList.ScriptRecord:
        if record.ScriptTag != script:
            continue
        for lang in record.Script.LangSysRecord:
            if lang.LangSysTag == language:
                indices = list(lang.LangSys.FeatureIndex)
    mapping: dict = {}
    for index in indices:
        feature_record = gsub.FeatureList.FeatureRecord[index]
        if feature_record.FeatureTag != feature:
            continue
        for lookup_index in feature_record.Feature.LookupListIndex:
            lookup = gsub.LookupList.Lookup[lookup_index]
            for subtable in lookup.SubTable:
                if lookup.LookupType == 7:
                    subtable = subtable.ExtSubTable
                mapping.update(getattr(subtable, "mapping", {}) or {})
    return mapping


@cache
def font_metrics(path: str, index: int = 0) -> FontMetrics:
    """Advances of every character the font maps, read once per font."""
    from fontTools.ttLib import TTFont

    with TTFont(path, fontNumber=index, lazy=True) as font:
        cmap = font.getBestCmap()
        metrics = font["hmtx"]
        units = float(font["head"].unitsPerEm)
        local = _single_substitutions(font, "locl", "hani", "ZHS ")
        advances = {
            chr(code): metrics[local.get(glyph, glyph)][0] / units for code, glyph in cmap.items()
        }
    return FontMetrics(advances)


# --- half-width marks ---------------------------------------------------------------------------


def _halt_values(font: Any) -> dict[str, tuple[int, int]]:
    """glyph -> (x placement, x advance change) from the font's `halt` feature."""
    if "GPOS" not in font:
        return {}
    gpos = font["GPOS"].table
    values: dict[str, tuple[int, int]] = {}
    for record in gpos.FeatureList.FeatureRecord:
        if record.FeatureTag != "halt":
            continue
        for lookup_index in record.Feature.LookupListIndex:
            lookup = gpos.LookupList.Lookup[lookup_index]
            for subtable in lookup.SubTable:
                if lookup.LookupType == 9:
                    subtable = subtable.ExtSubTable
                if getattr(subtable, "LookupType", 1) != 1 or not hasattr(subtable, "Coverage"):
                    continue
                glyphs = subtable.Coverage.glyphs
                records = [subtable.Value] * len(glyphs) if subtable.Format == 1 else subtable.Value
                for glyph, value in zip(glyphs, records, strict=False):
                    if value is None:
                        continue
                    placement = getattr(value, "XPlacement", 0) or 0
                    change = getattr(value, "XAdvance", 0) or 0
                    values.setdefault(glyph, (placement, change))
        break
    return values


def build_half_marks_font(path: str, index: int, target: Path) -> None:
    """A small font holding the compressible marks of the font at `path`, each at half its
    advance and shifted as the font's `halt` says (written to `target`)."""
    from fontTools import subset
    from fontTools.pens.t2CharStringPen import T2CharStringPen
    from fontTools.pens.transformPen import TransformPen
    from fontTools.pens.ttGlyphPen import TTGlyphPen
    from fontTools.ttLib import TTFont

    font = TTFont(path, fontNumber=index)
    cmap = font.getBestCmap()
    local = _single_substitutions(font, "locl", "hani", "ZHS ")
    halt = _halt_values(font)
    wanted = {
        char: local.get(cmap[ord(char)], cmap[ord(char)])
        for char in COMPRESSIBLE
        if ord(char) in cmap
    }
    plan = {}
    for char, glyph in wanted.items():
        advance = font["hmtx"][glyph][0]
        if glyph in halt:
            placement, change = halt[glyph]
        else:
            placement, change = (-advance // 2 if char in SHIFT_LEFT else 0), -advance // 2
        plan[char] = (glyph, placement, advance + change)
    options = subset.Options()
    options.layout_features = []
    options.notdef_outline = True
    options.name_IDs = ["*"]
    options.desubroutinize = True
    options.glyph_names = True
    subsetter = subset.Subsetter(options)
    subsetter.populate(glyphs=[glyph for glyph, _, _ in plan.values()])
    subsetter.subset(font)
    # the substituted (locl) glyphs are reached by the marks' own code points
    mapping = {ord(char): glyph for char, (glyph, _, _) in plan.items()}
    for table in font["cmap"].tables:
        table.cmap = dict(mapping) if table.isUnicode() else {}
    glyph_set = font.getGlyphSet()
    for glyph, placement, advance in plan.values():
        if placement:
            if "CFF " in font:
                cff = font["CFF "].cff
                top = cff[cff.fontNames[0]]
                pen = T2CharStringPen(advance, glyph_set)
                glyph_set[glyph].draw(TransformPen(pen, (1, 0, 0, 1, placement, 0)))
                charstring = pen.getCharString(
                    private=top.CharStrings[glyph].private, globalSubrs=top.GlobalSubrs
                )
                top.CharStrings[glyph] = charstring
            elif "glyf" in font:
                pen2 = TTGlyphPen(glyph_set)
                glyph_set[glyph].draw(TransformPen(pen2, (1, 0, 0, 1, placement, 0)))
                font["glyf"][glyph] = pen2.glyph()
        left = font["hmtx"][glyph][1] + placement
        font["hmtx"][glyph] = (advance, left)
    for record in font["name"].names:
        if record.nameID in (1, 3, 4, 6, 16):
            text = record.toUnicode()
            suffix = "-HalfMarks" if record.nameID == 6 else " Half Marks"
            record.string = text.split(" ")[0] + suffix if record.nameID == 6 else text + suffix
    for table in ("GSUB", "GPOS", "VORG", "vhea", "vmtx", "BASE"):
        if table in font:
            del font[table]
    if "hhea" in font:
        font["hhea"].advanceWidthMax = max(advance for _, _, advance in plan.values())
    target.parent.mkdir(parents=True, exist_ok=True)
    # each process writes its own file and moves it in place: workers may build it at once
    handle, partial = tempfile.mkstemp(suffix=".part", dir=target.parent)
    with os.fdopen(handle, "wb") as out:
        font.save(out)
    os.replace(partial, target)


def half_marks_font_path(path: str, index: int, folder: Path) -> Path | None:
    """The derived font for `path`, built once and kept in `folder` (None where it cannot be:
    the letter then sets every mark full width and never pushes one in)."""
    source = Path(path)
    try:
        stat = source.stat()
    except OSError:
        return None
    key = hashlib.sha256(
        f"{source.resolve()}|{index}|{stat.st_size}|{stat.st_mtime_ns}|1".encode()
    ).hexdigest()[:16]
    target = folder / f"half-marks-{key}.otf"
    if target.is_file():
        return target
    try:
        build_half_marks_font(path, index, target)
    except Exception:  # a font we cannot derive from: the marks stay full width
        logger.warning("could not derive half-width marks from %s", path, exc_info=True)
        return None
    return target


# --- breaking paragraphs into lines -------------------------------------------------------------


@dataclass(frozen=True)
class Glyph:
    char: str
    run: int  # index of the run (style) it belongs to
    advance: float  # em, full width
    compressible: bool = False  # a mark its font can print half-width


@dataclass(frozen=True)
class LaidLine:
    """One line of a paragraph: its glyphs, which of them are set half-width, and the
    letter-spacing (em) that makes it reach the right edge (or the natural one for a last line)."""

    glyphs: tuple[Glyph, ...]
    halves: frozenset[int]  # indexes into glyphs
    letter_spacing: float
    indent: float  # em


def _is_latin(char: str) -> bool:
    return (char.isascii() and (char.isalnum() or char in ".,:;%+-/_@#&=?'()[]")) or char in "½"


def may_break(before: str, after: str) -> bool:
    """May a line break between two characters?"""
    if after in CLOSING or before in OPENING:
        return False
    if after == " ":
        return False  # a line breaks after a space, and the space disappears at the break
    if before == " ":
        return True
    # not inside a Latin word or a number
    return not (_is_latin(before) and _is_latin(after))


def glyphs_of(
    runs: Sequence[str], metrics: Sequence[FontMetrics], halvable: Sequence[bool] | None = None
) -> list[Glyph]:
    """The runs' characters as glyphs; whitespace next to Chinese is dropped (the letter used to
    cancel it), whitespace between Latin words is one space. `halvable[run]`: the run's font can
    print its marks half-width."""
    chars: list[tuple[str, int]] = [(char, run) for run, text in enumerate(runs) for char in text]
    result: list[Glyph] = []
    for position, (char, run) in enumerate(chars):
        if char == "\u3000" and result:
            pass  # an ideographic space typed inside the text is a character cell of its own
        elif char.isspace():
            before = result[-1].char if result else ""
            after = next((c for c, _ in chars[position + 1 :] if not c.isspace()), "")
            if not before or not after or before == " " or is_wide(before) or is_wide(after):
                continue
            char = " "
        compressible = char in COMPRESSIBLE and (halvable is None or halvable[run])
        result.append(Glyph(char, run, metrics[run].advance(char), compressible))
    return result


def break_lines(
    glyphs: Sequence[Glyph],
    measure: float,
    *,
    natural_spacing: float,
    first_indent: float = 0.0,
    justify_last: bool = False,
) -> list[LaidLine]:
    """Lines of at most `measure` em (less `first_indent` on the first). Line by line, the
    furthest break that could fit (every mark of the line compressed, the spacing at its
    tightest) is found by bisection, and the breaks the rules allow a little before it are
    weighed: tightening or loosening of the letter-spacing, compressed marks, a paragraph's
    last line of one character. For Chinese text, where a break is allowed almost anywhere, the
    choice is local (with a look one line ahead), so this costs a few dozen evaluations a line
    rather than a search over the whole paragraph. A break inside a Latin word happens only where no allowed one is near, and one
    that breaks 避头尾 only where the text leaves no other (a run of marks longer than a line)."""
    count = len(glyphs)
    if count == 0:
        return []
    allowed = [True] * (count + 1)  # allowed[i]: a break before glyph i
    latin_inside = [False] * (count + 1)
    for i in range(1, count):
        before, after = glyphs[i - 1].char, glyphs[i].char
        allowed[i] = may_break(before, after)
        latin_inside[i] = not allowed[i] and _is_latin(before) and _is_latin(after)
    step = natural_spacing - SHRINK_LIMIT
    prefix = [0.0]
    compressible_prefix = [0]
    full_width_prefix = [0]
    tightest = [0.0]  # the narrowest a run of glyphs can be set, as a prefix
    for i, glyph in enumerate(glyphs, 1):
        prefix.append(prefix[-1] + glyph.advance)
        compressible_prefix.append(compressible_prefix[-1] + glyph.compressible)
        full_width_prefix.append(full_width_prefix[-1] + (glyph.advance >= 0.99))
        tightest.append(prefix[i] - 0.5 * compressible_prefix[i] + i * step)

    def evaluate(start: int, end: int, available: float) -> tuple[float, int, float]:
        width = prefix[end] - prefix[start]
        glyph_count = end - start
        if glyphs[end - 1].char == " " and glyph_count > 1:
            width -= glyphs[end - 1].advance  # the space at a break takes no room
            glyph_count -= 1
        last = end == count
        cost, halves, spacing = line_cost(
            width,
            glyph_count,
            compressible_prefix[end] - compressible_prefix[start],
            full_width_prefix[end] - full_width_prefix[start],
            available,
            natural_spacing=natural_spacing,
            justify=justify_last or not last,
        )
        if count - end == 1:
            cost += LONE_LAST_CHARACTER_COST  # the next line would be the last, of one glyph
        return cost, halves, spacing

    def choose(start: int, lookahead: bool) -> tuple[float, int, int, float]:
        """(cost, end, halves, spacing) of the best line from `start`; with `lookahead`, the
        cost of the best line after it counts too (a line of three closing marks is then seen
        coming one line early)."""
        available = measure - (first_indent if start == 0 else 0.0)
        # the furthest end whose line could still be set within the measure
        limit = bisect_right(tightest, available + tightest[start] + step + 1e-9, start + 1) - 1
        limit = min(max(limit, start + 1), count)
        best: tuple[float, int, int, float] | None = None
        emergency: list[int] = []
        end = limit
        while end > start:
            if end == count or allowed[end]:
                cost, halves, spacing = evaluate(start, end, available)
                if cost < INFINITY and lookahead and end < count:
                    cost += choose(end, False)[0]
                if cost < INFINITY and (best is None or cost < best[0]):
                    best = (cost, end, halves, spacing)
            elif latin_inside[end]:
                emergency.append(end)
            room = available - (prefix[end] - prefix[start]) - (end - start - 1) * natural_spacing
            if room > MAX_SLACK and best is not None:
                break  # shorter lines only get looser
            end -= 1
        if best is not None and best[0] >= HYPHENLESS_BREAK_COST and emergency:
            for end in emergency:  # a long word: break inside it rather than leave a gap
                cost, halves, spacing = evaluate(start, end, available)
                cost += HYPHENLESS_BREAK_COST
                if cost < best[0]:
                    best = (cost, end, halves, spacing)
        if best is None:  # no break keeps the rules: break at the furthest end that fits
            cost, halves, spacing = evaluate(start, limit, available)
            if cost == INFINITY:
                cost, halves, spacing = UNFIT_COST, 0, natural_spacing
            best = (cost, limit, halves, spacing)
        return best

    lines: list[LaidLine] = []
    start = 0
    while start < count:
        _, end, halves, spacing = choose(start, True)
        line = tuple(glyphs[start:end])
        if len(line) > 1 and line[-1].char == " ":
            line = line[:-1]
        lines.append(
            LaidLine(line, _halved(line, halves), spacing, first_indent if start == 0 else 0.0)
        )
        start = end
    return lines


def _halved(line: Sequence[Glyph], count: int) -> frozenset[int]:
    """Which marks to set half-width: the line's last glyph first (a mark pushed in), then
    marks beside other marks, then the others from the end."""
    if count == 0:
        return frozenset()
    candidates = [i for i, glyph in enumerate(line) if glyph.compressible]

    def rank(i: int) -> tuple[int, int]:
        beside = (i > 0 and line[i - 1].compressible) or (
            i + 1 < len(line) and line[i + 1].compressible
        )
        return (0 if i == len(line) - 1 else 1 if beside else 2, -i)

    return frozenset(sorted(candidates, key=rank)[:count])


def line_cost(
    width: float,
    glyph_count: int,
    compressible: int,
    full_width_glyphs: int,
    available: float,
    *,
    natural_spacing: float,
    justify: bool,
) -> tuple[float, int, float]:
    """(badness, marks to halve, letter-spacing) of one line of `glyph_count` glyphs that are
    `width` em wide at their full advances, the cheapest way."""
    gaps = glyph_count - 1 if glyph_count > 1 else 1  # one glyph stretches its one "gap"
    # a line of Chinese holds 28 cells and a compressed mark, not more glyphs
    crowded = 50.0 if full_width_glyphs == glyph_count and glyph_count > available + 1.5 else 0.0
    best_cost, best_halves, best_spacing = INFINITY, 0, natural_spacing
    most = compressible if compressible < 3 else 3
    for halves in range(most + 1):
        spacing = (available - width + 0.5 * halves) / gaps
        change = spacing - natural_spacing
        if change < -SHRINK_LIMIT - 1e-9:
            continue
        if not justify and change >= 0:
            cost = COMPRESSION_COST * halves + crowded
            if cost < best_cost:
                return cost, halves, natural_spacing  # a last line that fits needs no more
            break
        cost = (change / STRETCH_SCALE) ** 2 + COMPRESSION_COST * halves + crowded
        if halves > 1:
            cost += EXTRA_COMPRESSION_COST * (halves - 1)
        if cost < best_cost:
            best_cost, best_halves, best_spacing = cost, halves, spacing
    return best_cost, best_halves, best_spacing


# --- titles, salutations, signatures ------------------------------------------------------------

# words a title line must not split (no jieba here: the phrases titles of replies are made of)
N = r"[\d一二三四五六七八九十百零〇]+"
TITLE_WORDS = re.compile(
    rf"第?{N}届(?:人大|政协)?(?:常委会|委员会)?第?{N}次(?:会议)?"
    rf"|第{N}[号件届次]"
    r"|[\d一二三四五六七八九十百零〇]+(?:届|次会议|号|件)"
    r"|〔\d+〕|\d+"
    r"|关于|的答复函|的答复|的复函|答复函|答复|复函"
    r"|代表|委员会?|人大|政协|常委会|提案|建议|议案|意见|会议|市政府|人民政府"
)
# places a reader breaks a title: before 关于 and before the 的 of 的答复, after 会议 and 号
GOOD_BREAK_BEFORE = re.compile(r"关于|的答复|的复函|第[\d一二三四五六七八九十百零〇]+号")
FAIR_BREAK = re.compile(r"(?<=[的和与及对])|(?=[的和与及])")
GOOD_BREAK_AFTER = re.compile(r"会议|[号件](?=的|建议|提案|议案)|建议|提案|议案")


def _word_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of the title's words: the protected phrases, each other character alone."""
    spans: list[tuple[int, int]] = []
    position = 0
    for match in TITLE_WORDS.finditer(text):
        spans.extend((i, i + 1) for i in range(position, match.start()))
        spans.append(match.span())
        position = match.end()
    spans.extend((i, i + 1) for i in range(position, len(text)))
    return spans


def title_lines(title: str, capacity: int) -> list[str]:
    """The title broken between words into lines of at most `capacity` characters, the upper
    lines longer (a trapezoid) or the middle one longest (a diamond), no line of a lone
    character or beginning with a closing mark, good places preferred (before 关于, before
    的答复, after 会议)."""
    title = title.strip()
    if len(title) <= capacity:
        return [title]
    spans = _word_spans(title)
    breaks = [start for start, _ in spans[1:]]
    breaks = [b for b in breaks if title[b] not in CLOSING and title[b - 1] not in OPENING]
    good = {m.start() for m in GOOD_BREAK_BEFORE.finditer(title)} | {
        m.end() for m in GOOD_BREAK_AFTER.finditer(title)
    }
    fair = {m.start() for m in FAIR_BREAK.finditer(title)}
    best: tuple[float, tuple[int, ...]] | None = None
    minimum = -(-len(title) // capacity)
    for count in range(minimum, minimum + 2):
        for cuts in _combinations(breaks, count - 1):
            edges = [0, *cuts, len(title)]
            lengths = [b - a for a, b in itertools.pairwise(edges)]
            if max(lengths) > capacity:
                continue
            cost = _title_cost(lengths) + 8.0 * (count - minimum)
            cost -= sum(5.0 if cut in good else 1.0 if cut in fair else 0.0 for cut in cuts)
            if best is None or cost < best[0]:
                best = (cost, cuts)
    if best is None:  # no break between words fits: break by the measure
        return [title[i : i + capacity] for i in range(0, len(title), capacity)]
    edges = [0, *best[1], len(title)]
    return [title[a:b] for a, b in itertools.pairwise(edges)]


def _combinations(items: list[int], size: int) -> list[tuple[int, ...]]:
    from itertools import combinations

    if size > 3:
        return []
    return list(combinations(items, size))


def _title_cost(lengths: list[int]) -> float:
    mean = sum(lengths) / len(lengths)
    cost = sum(abs(length - mean) for length in lengths) * 0.5
    cost += sum(30.0 for length in lengths if length < 4)
    if len(lengths) == 2:
        upper, lower = lengths
        cost += 0 if upper >= lower else 6.0 + (lower - upper)
    elif len(lengths) >= 3:
        trapezoid = all(a >= b for a, b in itertools.pairwise(lengths))
        diamond = lengths[1] >= lengths[0] and lengths[1] >= lengths[-1]
        cost += 0 if trapezoid or diamond else 6.0
    return cost


def salutation_lines(
    salutation: str, capacity: float, metrics: FontMetrics, spacing: float = 0.0
) -> list[str]:
    """The salutation on one line, or broken only after 、 (a name is never split); a piece
    between two 、 longer than a line (a long body's name) is cut where it must."""
    pieces = re.findall(r"[^、]+(?:、|$)", salutation.strip())
    lines: list[str] = []

    def fits(text: str) -> bool:
        # 28 characters at the letter's spacing overrun the 156 mm by 0.1 pt: they fit
        return _width(text, metrics) + (len(text) - 1) * spacing <= capacity + 0.02

    for piece in pieces:
        if lines and fits(lines[-1] + piece):
            lines[-1] += piece
            continue
        while not fits(piece):
            cut = 1
            while fits(piece[: cut + 1]):
                cut += 1
            if piece[cut] in CLOSING and cut > 1:
                cut -= 1  # 避头尾: the mark stays with what it closes
            lines.append(piece[:cut])
            piece = piece[cut:]
        lines.append(piece)
    return lines


def _width(text: str, metrics: FontMetrics) -> float:
    return sum(metrics.advance(char) for char in text)


def split_units(signing_unit: str) -> list[str]:
    """The signing units of a reply: one, or several for a joint reply (联合行文), written
    with 、，； or spaces between them."""
    return [unit for unit in re.split(r"[、，,；;\s]+", signing_unit.strip()) if unit]


def signature_offsets(
    units: Sequence[str], date: str, metrics: FontMetrics, *, measure: float, spacing: float
) -> tuple[list[float], float]:
    """Left offsets (em) of each unit's name and of the date: the date right-aligned with four
    characters of space on its right (右空四字), each name centred over the date; a name too long
    for that moves left, never beyond the left edge, and never breaks."""
    cell = 1 + spacing

    def width(text: str) -> float:
        return _width(text, metrics) + (len(text) - 1) * spacing

    date_left = max(0.0, measure - 4 * cell - width(date))
    centre = date_left + width(date) / 2
    offsets = []
    for unit in units:
        left = centre - width(unit) / 2
        left = min(left, measure - width(unit))  # a long name moves left ...
        offsets.append(max(0.0, left))  # ... as far as the left edge
    return offsets, date_left

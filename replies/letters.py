"""Official letter PDFs (GB/T 9704-2012, 信函格式) with WeasyPrint.

The text block is 156 × 225 mm: 22 lines of 28 characters in 3号 (16 pt). 16 pt characters need
a letter-spacing of about -0.21 pt for 28 to fit a line. The running text (opening, body, thanks)
is broken into lines here, not by WeasyPrint (replies/typeset.py: 避头尾, push-in with half-width
marks); each line is emitted with its own letter-spacing so that it reaches the right edge, in a
paragraph that never wraps by itself. Titles break between words, the salutation only after 、,
and the signature is placed from the measured widths (the date 右空四字, the unit centred over it).
Other text (the 抄送 line) keeps the older way: a width-cancelled space at each break opportunity,
so that WeasyPrint's justification has something to stretch.

Fonts: 仿宋_GB2312 and 方正小标宋 (and 黑体, 楷体) are used when their files are in
settings.LETTER_FONT_DIR; otherwise the free Noto CJK fonts. Rendering never fetches anything from
the network, nor files outside the project's static folder, the font folder and the folder of
fonts derived from them (the half-width marks).
"""

from __future__ import annotations

import atexit
import hashlib
import html
import logging
import os
import re
import tempfile
import zlib
from dataclasses import dataclass, replace
from functools import cache, lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.safestring import SafeString, mark_safe

from . import fonts as reduced
from .text import CJK_CHAR, paragraphs
from .typeset import (
    CLOSING,
    OPENING,
    FontMetrics,
    Glyph,
    LaidLine,
    break_lines,
    font_metrics,
    glyphs_of,
    half_marks_font_path,
    salutation_lines,
    signature_offsets,
    split_units,
    title_lines,
)

logger = logging.getLogger(__name__)

FONT_SIZE_PT = 16.0
LETTER_SPACING_PT = -0.21
LINE_HEIGHT_MM = 10.227  # 225 mm / 22 lines, rounded down so that the 22nd line fits

# Chinese line-breaking rules (避头尾): no break before closing marks, none after opening ones.
NO_BREAK_BEFORE = CLOSING
NO_BREAK_AFTER = OPENING
RUNNING_TEXT_ROLES = ("body", "hei", "kai")


@dataclass(frozen=True)
class LetterFont:
    family: str  # CSS family name used in the letter (first of `css`)
    path: Path | None  # a licensed font file from LETTER_FONT_DIR, or None for a system font
    space_em: float  # advance of U+0020 in em, cancelled by word-spacing
    file: tuple[str, int] | None = None  # the file (and index in a collection) it comes from
    half_marks: Path | None = None  # its compressible marks at half width (typeset.py)
    # the reduced copy first, the full font after it (fonts.py)
    choice: reduced.FontChoice | None = None

    @property
    def em_box_shift(self) -> float:
        """How far (em) the em box of a line one em tall sits below the line box's top: the
        half-leading by the font's ascent and descent (hhea), less the ascender of the em box."""
        if self.file is None:
            return 0.0
        try:
            return em_box_shift(*self.file)
        except Exception:
            logger.warning("could not read the ascent of %s", self.file, exc_info=True)
            return 0.0

    @property
    def half_family(self) -> str:
        return f"{self.family} half marks"

    @property
    def metrics(self) -> FontMetrics:
        if self.file is None:
            return FontMetrics({})
        try:
            return font_metrics(*self.file)
        except Exception:  # an unreadable font: full-width CJK and half-width Latin guesses
            logger.warning("could not read the metrics of %s", self.file, exc_info=True)
            return FontMetrics({})

    @property
    def css(self) -> SafeString:
        """The font-family value: the family, then the fallbacks."""
        names = [self.family, *(self.choice.fallbacks if self.choice else ())]
        return mark_safe(", ".join(f'"{html.escape(name)}"' for name in names))

    @property
    def word_spacing(self) -> str:
        # net advance of an inserted space: its width + word-spacing + letter-spacing = 0
        return f"calc({-self.space_em:.4f}em + {-LETTER_SPACING_PT}pt)"


# role -> (licensed file names to look for, free fallback family, fontconfig pattern)
FONT_ROLES = {
    "body": (
        ("仿宋_GB2312.ttf", "FangSong_GB2312.ttf", "仿宋_GB2312.TTF", "FS_GB2312.ttf"),
        "Noto Serif CJK SC",
    ),
    "title": (
        ("方正小标宋简体.ttf", "FZXBSJW.TTF", "方正小标宋_GBK.ttf", "FZXBSK.TTF"),
        "Noto Serif CJK SC",
    ),
    "hei": (("黑体.ttf", "simhei.ttf", "SIMHEI.TTF"), "Noto Sans CJK SC"),
    "kai": (
        ("楷体_GB2312.ttf", "KaiTi_GB2312.ttf", "simkai.ttf", "SIMKAI.TTF"),
        "Noto Serif CJK SC",
    ),
}


def _space_em(path: str, index: int = 0) -> float:
    from fontTools.ttLib import TTFont

    with TTFont(path, fontNumber=index, lazy=True) as font:
        glyph = font.getBestCmap()[32]
        return float(font["hmtx"][glyph][0]) / float(font["head"].unitsPerEm)


@cache
def em_box_shift(path: str, index: int = 0) -> float:
    from fontTools.ttLib import TTFont

    with TTFont(path, fontNumber=index, lazy=True) as font:
        units = float(font["head"].unitsPerEm)
        ascent, descent = font["hhea"].ascent / units, -font["hhea"].descent / units
        em_ascent = font["OS/2"].sTypoAscender / units
        em_descent = -font["OS/2"].sTypoDescender / units
        if em_ascent + em_descent <= 0:
            em_ascent = 0.88
    baseline = (1 - (ascent + descent)) / 2 + ascent
    return baseline - em_ascent


@cache
def letter_fonts() -> dict[str, LetterFont]:
    """The fonts of the letter, found once per process."""
    folder = Path(settings.LETTER_FONT_DIR)
    fonts = {}
    for role, (names, fallback) in FONT_ROLES.items():
        licensed = next((folder / name for name in names if (folder / name).is_file()), None)
        if licensed is not None:
            file = (str(licensed), 0)
            choice = reduced.licensed_choice(role, licensed, fallback)
            font = LetterFont(choice.family, licensed, _space_em(str(licensed)), file, None, choice)
        else:
            matched = reduced.fc_match(fallback)
            system = (str(matched[0]), matched[1]) if matched else None
            try:
                space = _space_em(*system) if system else 0.25
            except Exception:  # an unreadable font file: a near guess keeps the letter legible
                logger.warning("could not read the space width of %s", fallback, exc_info=True)
                space = 0.25
            choice = reduced.system_choice(fallback)
            font = LetterFont(choice.family, None, space, system, None, choice)
        # the running text's fonts print pushed-in marks half-width (the title never needs to)
        half = None
        if font.file is not None and role in RUNNING_TEXT_ROLES:
            half = half_marks_font_path(*font.file, _cache_folder())
        fonts[role] = replace(font, half_marks=half)
    return fonts


@cache
def _cache_folder() -> Path:
    """Where fonts derived from the letter's fonts are kept (built once, reused by every
    process): settings.LETTER_FONT_CACHE_DIR (where fonts.py keeps the reduced fonts too), or a
    folder of this user's in the temporary directory where that one is not writable."""
    candidates = [
        reduced.cache_dir(),
        Path(tempfile.gettempdir()) / f"letter-fonts-{os.getuid()}",
    ]
    for folder in candidates:
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError:
            continue
        if os.access(folder, os.W_OK):
            return folder
    return candidates[-1]


def prepare_fonts() -> list[tuple[str, reduced.FontChoice]]:
    """Build every reduced copy the letters need now (the management command, a starting
    worker). It lives here, not in fonts.py, so that fonts.py never imports this module back."""
    letter_fonts.cache_clear()
    reduced.system_choice.cache_clear()
    return [
        (role, font.choice or reduced.FontChoice(font.family))
        for role, font in letter_fonts().items()
    ]


def spaced(text: str) -> SafeString:
    """Escape `text` and put a breakable, width-cancelled space at each place a Chinese line may
    break, so that justified lines get a straight right edge. A space typed between Latin words
    becomes U+2005 (a four-per-em space), which word-spacing leaves alone."""
    out: list[str] = []
    for index, char in enumerate(text):
        if (
            char == " "
            and 0 < index < len(text) - 1
            and not (CJK_CHAR.fullmatch(text[index - 1]) or CJK_CHAR.fullmatch(text[index + 1]))
        ):
            out.append("\u2005")
            continue
        out.append(html.escape(char, quote=False))
        following = text[index + 1] if index + 1 < len(text) else ""
        if not following or char.isspace() or following.isspace():
            continue
        if not (CJK_CHAR.fullmatch(char) or CJK_CHAR.fullmatch(following)):
            continue  # inside a Latin word or number
        if following in NO_BREAK_BEFORE or char in NO_BREAK_AFTER:
            continue
        out.append(" ")
    return mark_safe("".join(out))


MEASURE_EM = (210 - 28 - 26) / 25.4 * 72 / FONT_SIZE_PT  # the 156 mm line in em of 3号
NATURAL_SPACING_EM = LETTER_SPACING_PT / FONT_SIZE_PT
INDENT_EM = 2 * (1 + NATURAL_SPACING_EM)  # 两字 at the letter's spacing
ROLE_OF_STYLE = {"h1": "hei", "h2": "kai"}


def typeset(
    runs: list[tuple[str, str]], *, indent: bool = True, justify_last: bool = False
) -> SafeString:
    """A paragraph as explicit lines: `runs` are (text, CSS class) pairs ("h1", "h2", "b",
    "h1 b", "" …). Every line but the last reaches the right edge; the lines are separated by
    newlines in a paragraph set `white-space: pre` (no <br> elements: fewer boxes to lay out);
    glyphs_of has made every whitespace typed in the text one space or none."""
    fonts = letter_fonts()
    classes = [style for _, style in runs]
    metrics = [fonts[_role(style)].metrics for style in classes]
    halvable = [fonts[_role(style)].half_marks is not None for style in classes]
    glyphs = glyphs_of([text for text, _ in runs], metrics, halvable)
    lines = break_lines(
        glyphs,
        MEASURE_EM,
        natural_spacing=NATURAL_SPACING_EM,
        first_indent=INDENT_EM if indent else 0.0,
        justify_last=justify_last,
    )
    return mark_safe("\n".join(_line_html(line, classes, fonts) for line in lines))


def _role(style: str) -> str:
    return next((ROLE_OF_STYLE[name] for name in style.split() if name in ROLE_OF_STYLE), "body")


def _line_html(line: LaidLine, classes: list[str], fonts: dict[str, LetterFont]) -> str:
    spacing = line.letter_spacing * FONT_SIZE_PT
    # a line at the paragraph's own spacing (most lines of Chinese text) needs no box of its own:
    # fewer boxes make the letter faster to lay out
    natural = abs(spacing - LETTER_SPACING_PT) < 0.01  # at most 0.3 pt over 28 characters
    out = [] if natural else [f'<span class="ln {spacing_class(spacing)}">']
    pieces: list[tuple[str, list[Glyph]]] = []
    for index, glyph in enumerate(line.glyphs):
        style = classes[glyph.run]
        half = index in line.halves and fonts[_role(style)].half_marks is not None
        key = f"{style} hm".strip() if half else style
        if pieces and pieces[-1][0] == key and not half:
            pieces[-1][1].append(glyph)
        else:
            pieces.append((key, [glyph]))
    for key, glyphs in pieces:
        text = html.escape("".join(glyph.char for glyph in glyphs), quote=False)
        out.append(f'<span class="{key}">{text}</span>' if key else text)
    if not natural:
        out.append("</span>")
    return "".join(out)


def fonts_context(fonts: dict[str, LetterFont]) -> dict[str, Any]:
    """What the letter's stylesheet (letter.css) depends on: the fonts and the grid."""
    return {
        "fonts": fonts,
        "font_faces": list(
            dict.fromkeys(
                face for font in fonts.values() if font.choice for face in font.choice.faces
            )
        ),
        "font_size": FONT_SIZE_PT,
        "letter_spacing": LETTER_SPACING_PT,
        "line_height": LINE_HEIGHT_MM,
    }


def spacing_class(spacing: float) -> str:
    """The class of a line set at `spacing` pt ("lsm0_215" for -0.215 pt), defined in the
    letter's <style> (spacing_rules): a class costs less to lay out than a style attribute."""
    return "ls" + f"{spacing:.3f}".replace("-", "m").replace(".", "_")


SPACING_CLASS = re.compile(r'class="ln ls(m?)(\d+)_(\d+)"')


def spacing_rules(*parts: str) -> list[tuple[str, str]]:
    """(class, letter-spacing) of every line class used in `parts` (typeset's output)."""
    found = {match.groups() for part in parts for match in SPACING_CLASS.finditer(part)}
    return [
        (f"ls{sign}{whole}_{fraction}", f"{'-' if sign else ''}{whole}.{fraction}pt")
        for sign, whole, fraction in sorted(found)
    ]


def letter_context(reply: Any, *, preview: bool = False) -> dict[str, Any]:
    from .letter_parts import letter_parts, table_context

    fonts = letter_fonts()
    body = [
        {"table": table_context(paragraph.table), "html": ""}
        if paragraph.table
        else {"table": None, "html": typeset(_styled_runs(paragraph))}
        for paragraph in paragraphs(reply.body_html)
    ]
    title = reply.title + ("（更正）" if reply.corrects_id else "")
    opening = typeset([(reply.opening, "")])
    thanks = typeset([(reply.thanks, "")]) if reply.thanks else ""
    return {
        "reply": reply,
        "preview": preview,
        **fonts_context(fonts),
        **letter_parts(reply),
        "title_lines": title_lines(title, TITLE_CAPACITY),
        **letterhead(reply.signing_unit),
        "salutation_lines": salutation_lines(
            reply.salutation, MEASURE_EM, fonts["body"].metrics, NATURAL_SPACING_EM
        ),
        "signature": signature(reply),
        "opening": opening,
        "body": body,
        "thanks": thanks,
        "spacings": spacing_rules(opening, thanks, *(str(paragraph["html"]) for paragraph in body)),
        "cc": spaced(cc_text(reply.cc)),
    }


LETTERHEAD_SIZE_PT = 26.0
LETTERHEAD_TRACKING = 0.1  # em between the letterhead's characters
LETTERHEAD_RULE_GAP_MM = 4.0
LETTERHEAD_TOP_MM = 30.0  # from the page's top edge (the text block starts at 37 mm)


def letterhead(unit: str) -> dict[str, float]:
    """The letterhead's size (smaller for a name too long for the line at 26 pt) and the gap
    that sets the red rule 4 mm under its em box (the line box is one em tall; the em box sits a
    little lower in it by the font's ascent and descent)."""
    fonts = letter_fonts()
    count = max(1, len(unit))
    size = min(LETTERHEAD_SIZE_PT, MEASURE_EM * FONT_SIZE_PT / (count * (1 + LETTERHEAD_TRACKING)))
    shift = fonts["title"].em_box_shift  # em box below the line box's top, in em
    gap = LETTERHEAD_RULE_GAP_MM * 72 / 25.4 + shift * size
    # the line box starts 7 mm above the text block, less the em box's shift within it
    margin = -(37.0 - LETTERHEAD_TOP_MM) * 72 / 25.4 - shift * size
    return {"letterhead_size": size, "letterhead_margin": margin, "redline_gap": gap}


TITLE_SIZE_PT = 22.0
TITLE_CAPACITY = int(MEASURE_EM * FONT_SIZE_PT / TITLE_SIZE_PT)  # characters of 2号 a line


def signature(reply: Any) -> dict[str, Any]:
    """The signing units and the date, each on one line with its left offset (pt): GB/T 9704
    §7.3.5, the date 右空四字 and each unit's name centred over it."""
    day = reply.signed_on
    date = f"{day.year}年{day.month}月{day.day}日" if day else "　　年　月　日"
    units = split_units(reply.signing_unit) or [reply.signing_unit]
    offsets, date_left = signature_offsets(
        units,
        date,
        letter_fonts()["body"].metrics,
        measure=MEASURE_EM,
        spacing=NATURAL_SPACING_EM,
    )
    return {
        "units": [
            (unit, offset * FONT_SIZE_PT) for unit, offset in zip(units, offsets, strict=True)
        ],
        "date": date,
        "date_left": date_left * FONT_SIZE_PT,
    }


def cc_text(cc: str) -> str:
    """The 抄送 units as written, but a space typed between two Chinese names becomes 、 (the
    letter would otherwise run them together)."""
    text = re.sub(r"(?<=[^\s、，,；;])[ \t\u3000]+(?=[^\s、，,；;])", _cc_separator, cc.strip())
    return text


def _cc_separator(match: re.Match[str]) -> str:
    text = match.string
    before, after = text[match.start() - 1], text[match.end()]
    if CJK_CHAR.fullmatch(before) or CJK_CHAR.fullmatch(after):
        return "、"
    return match.group(0)


def _styled_runs(paragraph: Any) -> list[tuple[str, str]]:
    """The paragraph's runs with their CSS classes: the heading's own characters in its level's
    class (一、 黑体, （一） 楷体), bold as "b"."""
    styled: list[tuple[str, str]] = []
    left = paragraph.heading if paragraph.kind in ("h1", "h2") else 0
    for text, bold in paragraph.runs:
        parts = [(text[:left], paragraph.kind), (text[left:], "")] if left > 0 else [(text, "")]
        left = max(0, left - len(text))
        for part, style in parts:
            if part:
                styled.append((part, f"{style} b".strip() if bold else style))
    return styled


def letter_html(reply: Any, *, preview: bool = False) -> str:
    """The letter's document; its <style> holds only this letter's rules: render it with
    letter_stylesheets() (render_letter, letter_pdf). Always in Chinese: a letter is an
    official document whatever language its drafter reads the system in."""
    with translation.override(settings.LANGUAGE_CODE):
        return render_to_string("replies/letter.html", letter_context(reply, preview=preview))


def letter_stylesheets() -> list[Any]:
    """The letter's stylesheet (letter.css) as a parsed WeasyPrint CSS, made once per process,
    font configuration and set of fonts: parsing it and loading its @font-face rules for every
    letter cost about a tenth of the letter's CPU time."""
    fonts = letter_fonts()
    return [_fonts_stylesheet(reduced.font_configuration(), tuple(sorted(fonts.items())))]


@lru_cache(maxsize=8)
def _fonts_stylesheet(font_config: Any, fonts: tuple[tuple[str, LetterFont], ...]) -> Any:
    from weasyprint import CSS

    css = render_to_string("replies/letter.css", fonts_context(dict(fonts)))
    return CSS(
        string=css, base_url=_base_url(), url_fetcher=safe_url_fetcher(), font_config=font_config
    )


# before fonts.close (atexit runs the later registration first): the cached stylesheets hold
# their font configurations, which must be freed while the interpreter can still run WeasyPrint
atexit.register(_fonts_stylesheet.cache_clear)


def letter_pdf(document_html: str) -> bytes:
    """A letter's document (letter_html, changed or not) to PDF, as render_letter does it."""
    return bytes(
        render_document(document_html, stylesheets=letter_stylesheets(), letter=True).write_pdf()
    )


def _allowed_roots() -> list[Path]:
    roots = [Path(settings.LETTER_FONT_DIR).resolve(), _cache_folder().resolve()]
    roots.append(reduced.cache_dir().resolve())
    roots += [Path(folder).resolve() for folder in settings.STATICFILES_DIRS]
    return roots


def _allowed_path(url: str) -> bool:
    parsed = urlparse(url)
    if parsed.scheme != "file":
        return False
    path = Path(unquote(parsed.path)).resolve()
    return any(path.is_relative_to(root) for root in _allowed_roots())


def safe_url_fetcher() -> Any:
    """A WeasyPrint fetcher for the project's static files and the font folder only; never the
    network, never another file."""
    from weasyprint.urls import URLFetcher

    class SafeURLFetcher(URLFetcher):  # type: ignore[misc]
        def fetch(self, url: str, headers: Any = None) -> Any:
            if not _allowed_path(url):
                logger.warning("letter rendering refused to fetch %s", url)
                raise ValueError(f"refused to fetch {url}")
            return super().fetch(url, headers)

    return SafeURLFetcher(allowed_protocols={"file"}, allow_redirects=False)


def write_pdf(document_html: str) -> bytes:
    """HTML to PDF with the restricted fetcher; fonts are embedded as subsets."""
    return bytes(render_document(document_html).write_pdf())


def _base_url() -> str:
    return Path(settings.STATICFILES_DIRS[0]).resolve().as_uri() + "/"


def render_document(
    document_html: str, *, stylesheets: list[Any] | None = None, letter: bool = False
) -> Any:
    """The laid-out WeasyPrint document, with this process's font configuration (fonts.py) and
    `stylesheets` (parsed with that configuration) after the document's own. A `letter` (the
    document of letter_html) gets the letters' own user-agent stylesheet (letter_ua.css)."""
    from weasyprint import HTML

    reduce_compression_effort()
    font_config = reduced.font_configuration()
    document_class = letter_document_class() if letter else HTML
    return document_class(
        string=document_html, base_url=_base_url(), url_fetcher=safe_url_fetcher()
    ).render(font_config=font_config, stylesheets=stylesheets)


@cache
def letter_document_class() -> Any:
    """WeasyPrint's HTML with the user-agent stylesheet of letter_ua.css instead of the full one
    of every HTML element: a letter uses a score of elements, and matching each against every
    rule of the full sheet cost about a twentieth of its rendering."""
    from weasyprint import CSS, HTML

    user_agent = CSS(filename=str(Path(__file__).with_name("letter_ua.css")))

    class LetterHTML(HTML):  # type: ignore[misc]
        def _ua_stylesheets(self, forms: bool = False) -> list[Any]:
            return [user_agent]

    return LetterHTML


# zlib level of the PDFs' streams (fonts, page contents). pydyf, which writes WeasyPrint's PDFs,
# compresses at level 9; level 6 takes about half the time for streams 0.5 % larger, which saves
# about a twentieth of a letter's rendering.
PDF_COMPRESSION_LEVEL = 6


class _ZlibAtLevel:
    """zlib for pydyf: compressobj at PDF_COMPRESSION_LEVEL whatever level pydyf asks for;
    everything else zlib's own."""

    def __getattr__(self, name: str) -> Any:
        return getattr(zlib, name)

    @staticmethod
    def compressobj(level: int = -1, *args: Any, **kwargs: Any) -> Any:
        return zlib.compressobj(PDF_COMPRESSION_LEVEL, *args, **kwargs)


@cache
def reduce_compression_effort() -> None:
    """Give pydyf the zlib of PDF_COMPRESSION_LEVEL (once per process; a pydyf that no longer
    compresses through its module's `zlib` is left as it is)."""
    import pydyf

    if getattr(pydyf, "zlib", None) is zlib:
        pydyf.zlib = _ZlibAtLevel()


@dataclass(frozen=True)
class RenderedLetter:
    content: bytes
    sha256: str
    page_count: int


def render_letter(reply: Any, *, preview: bool = False) -> RenderedLetter:
    document = render_document(
        letter_html(reply, preview=preview), stylesheets=letter_stylesheets(), letter=True
    )
    content = bytes(document.write_pdf())
    pages = len(document.pages)
    return RenderedLetter(
        content=content, sha256=hashlib.sha256(content).hexdigest(), page_count=pages
    )

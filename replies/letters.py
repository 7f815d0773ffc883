"""Official letter PDFs (GB/T 9704-2012, 信函格式) with WeasyPrint.

The text block is 156 × 225 mm: 22 lines of 28 characters in 3号 (16 pt). 16 pt characters need
a letter-spacing of about -0.21 pt for 28 to fit a line. WeasyPrint justifies by stretching spaces
only, so every break opportunity between Chinese characters gets an ordinary space whose width
`word-spacing` cancels: the line keeps the grid, and justification has something to stretch.

Fonts: 仿宋_GB2312 and 方正小标宋 (and 黑体, 楷体) are used when their files are in
settings.LETTER_FONT_DIR; otherwise the free Noto CJK fonts. Rendering never fetches anything from
the network, nor files outside the project's static folder and the font folder.
"""

from __future__ import annotations

import hashlib
import html
import logging
import subprocess
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from django.conf import settings
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe

from . import fonts as reduced
from .text import CJK_CHAR, paragraphs

logger = logging.getLogger(__name__)

FONT_SIZE_PT = 16.0
LETTER_SPACING_PT = -0.21
LINE_HEIGHT_MM = 10.227  # 225 mm / 22 lines, rounded down so that the 22nd line fits

# Chinese line-breaking rules (避头尾): no break before closing marks, none after opening ones.
NO_BREAK_BEFORE = set("，。、；：？！）》〉」』”’…—%·")
NO_BREAK_AFTER = set("（《〈「『“‘")


@dataclass(frozen=True)
class LetterFont:
    family: str  # CSS family name used in the letter (first of `css`)
    path: Path | None  # a licensed font file from LETTER_FONT_DIR, or None for a system font
    space_em: float  # advance of U+0020 in em, cancelled by word-spacing
    # the reduced copy first, the full font after it (fonts.py)
    choice: reduced.FontChoice | None = None

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


def _system_font_file(family: str) -> tuple[str, int] | None:
    try:
        found = subprocess.run(
            ["fc-match", "-f", "%{file}|%{index}", family],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    path, _, index = found.partition("|")
    return (path, int(index or 0)) if path else None


@cache
def letter_fonts() -> dict[str, LetterFont]:
    """The fonts of the letter, found once per process."""
    folder = Path(settings.LETTER_FONT_DIR)
    fonts = {}
    for role, (names, fallback) in FONT_ROLES.items():
        licensed = next((folder / name for name in names if (folder / name).is_file()), None)
        if licensed is not None:
            choice = reduced.licensed_choice(role, licensed, fallback)
            fonts[role] = LetterFont(choice.family, licensed, _space_em(str(licensed)), choice)
            continue
        system = _system_font_file(fallback)
        try:
            space = _space_em(*system) if system else 0.25
        except Exception:  # an unreadable font file: a near guess keeps the letter legible
            logger.warning("could not read the space width of %s", fallback, exc_info=True)
            space = 0.25
        choice = reduced.system_choice(fallback)
        fonts[role] = LetterFont(choice.family, None, space, choice)
    return fonts


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


def letter_context(reply: Any, *, preview: bool = False) -> dict[str, Any]:
    from .services import class_and_disclosure

    fonts = letter_fonts()
    body = [
        {"kind": paragraph.kind, "runs": [(spaced(text), bold) for text, bold in paragraph.runs]}
        for paragraph in paragraphs(reply.body_html)
    ]
    class_mark, disclosure_mark = class_and_disclosure(reply)
    return {
        "reply": reply,
        "preview": preview,
        "fonts": fonts,
        "font_faces": list(
            dict.fromkeys(
                face for font in fonts.values() if font.choice for face in font.choice.faces
            )
        ),
        "font_size": FONT_SIZE_PT,
        "letter_spacing": LETTER_SPACING_PT,
        "line_height": LINE_HEIGHT_MM,
        "class_mark": class_mark,
        "disclosure_mark": disclosure_mark,
        "salutation": spaced(reply.salutation),
        "opening": spaced(reply.opening),
        "body": body,
        "thanks": spaced(reply.thanks),
        "cc": spaced(reply.cc),
    }


def letter_html(reply: Any, *, preview: bool = False) -> str:
    return render_to_string("replies/letter.html", letter_context(reply, preview=preview))


def _allowed_roots() -> list[Path]:
    roots = [Path(settings.LETTER_FONT_DIR).resolve(), reduced.cache_dir().resolve()]
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


def render_document(document_html: str) -> Any:
    """The laid-out WeasyPrint document, with this process's font configuration (fonts.py)."""
    from weasyprint import HTML

    base = Path(settings.STATICFILES_DIRS[0]).resolve().as_uri() + "/"
    font_config = reduced.font_configuration()
    return HTML(string=document_html, base_url=base, url_fetcher=safe_url_fetcher()).render(
        font_config=font_config
    )


@dataclass(frozen=True)
class RenderedLetter:
    content: bytes
    sha256: str
    page_count: int


def render_letter(reply: Any, *, preview: bool = False) -> RenderedLetter:
    document = render_document(letter_html(reply, preview=preview))
    content = bytes(document.write_pdf())
    pages = len(document.pages)
    return RenderedLetter(
        content=content, sha256=hashlib.sha256(content).hexdigest(), page_count=pages
    )

"""The letter PDFs read back with poppler: complete text, A4, nothing outside the text block,
page numbers, 28-cell lines (push-in, 避头尾, a straight right edge), 22-line pages, embedded fonts
(GB/T 9704-2012, 信函格式), no fetching of anything while rendering; the letterhead and red rules
where 信函格式 puts them, the signature on one line each, titles broken between words, the
salutation never splitting a name, the 抄送 at the foot of the last page, headings in their
fonts, and check_letter.py passing on every letter.

The three sample letters and a ~20-page letter whose body is the long policy text are rendered
once per module; each check runs over all four.
"""

from __future__ import annotations

import http.server
import io
import itertools
import re
import shutil
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import pytest
from django.conf import settings
from django.test import override_settings
from fontTools.ttLib import TTFont
from pypdf import PdfReader

from proposals.demo.data import sample_replies, sample_text
from replies.fonts import fc_match
from replies.letters import (
    FONT_SIZE_PT,
    LETTER_SPACING_PT,
    PDF_COMPRESSION_LEVEL,
    letter_fonts,
    letter_html,
    letter_pdf,
    letter_stylesheets,
    render_document,
    render_letter,
    safe_url_fetcher,
)
from replies.models import Reply
from replies.text import clean_body, fix_punctuation
from replies.typeset import CLOSING, COMPRESSIBLE, OPENING, build_half_marks_font

from .pdf_layout import (
    BOTTOM,
    LEFT,
    MM,
    PAGE_H,
    PAGE_W,
    RIGHT,
    TOP,
    Line,
    Page,
    fonts,
    layout_text,
    locate_paragraphs,
    normalise,
    read_layout,
    red_bands,
    text_fonts,
)

ADVANCE = FONT_SIZE_PT + LETTER_SPACING_PT  # one full-width character of the body, in pt
BLOCK_WIDTH = RIGHT - LEFT  # 156 mm
INDENT = 2 * ADVANCE
LINES_PER_PAGE = 22
LINE_PITCH = 225 / 22 * MM
CHARS_PER_LINE = 28
GLYPH_TOLERANCE = 1.5  # pt: glyph boxes are advance boxes, a hair wider than the ink
PAGE_NUMBER_SIZE = 14.0  # 4号; the number stands one such character in from the block's edge


# --- the letters -------------------------------------------------------------------------------


class Frame(NamedTuple):
    """What a sample leaves to the unit: who signs, the number, the title, the 抄送."""

    key: str
    unit: str
    document_number: str
    title: str
    cc: str


# by the title of the sample's item
FRAMES = {
    "关于引导社会组织参与未成年人保护的建议": Frame(
        "hangzhou",
        "杭州市民政局",
        "杭民函〔2023〕26号",
        "杭州市民政局关于市十四届人大三次会议萧山39号建议的答复",
        "市人大常委会代表工作委员会，市政府督查室，团市委，市财政局，市委宣传部。",
    ),
    "关于建立城乡帮困工作长效机制的建议": Frame(
        "zhuzhou",
        "株洲市民政局",
        "株民复字〔2020〕11号",
        "株洲市民政局关于市十五届人大四次会议第1230号建议的答复",
        "市人大常委会人事代表工作委员会，市人民政府督查室。",
    ),
    "关于加强全区未成年人关爱保护工作的建议": Frame(
        "chaotian",
        "广元市朝天区民政局",
        "朝民函〔2023〕15号",
        "广元市朝天区民政局关于区政协七届三次会议第15号提案的答复",
        "区政协提案委员会，区政府督查室，区教科局，区司法局，区公安分局，区妇联。",
    ),
}
LONG_LETTER = "policy"
LONG_LETTER_MIN_PAGES = 18  # it renders to 20; a long letter is what exercises page breaks


@dataclass(frozen=True)
class Source:
    """A letter as typed: the reply and its body paragraphs (punctuation fixed)."""

    key: str
    reply: Reply
    body: list[str]

    @property
    def date_line(self) -> str:
        day = self.reply.signed_on
        assert day is not None
        return f"{day.year}年{day.month}月{day.day}日"

    @property
    def contact_line(self) -> str:
        reply = self.reply
        return f"（联系人：{reply.contact_person}，联系电话：{reply.contact_phone}）"

    @property
    def paragraphs(self) -> list[str]:
        """The indented paragraphs of running text: opening, body, thanks."""
        reply = self.reply
        return [reply.opening, *self.body, *([reply.thanks] if reply.thanks else [])]

    @property
    def parts(self) -> list[str]:
        """Everything typed, in the order the letter shows it."""
        reply = self.reply
        return [
            reply.signing_unit,  # letterhead
            reply.title,
            reply.salutation,
            *self.paragraphs,
            reply.signing_unit,
            self.date_line,
            self.contact_line,
            f"抄送：{reply.cc}",
        ]


def make_source(key: str, frame: Frame, sample: dict[str, Any], body: list[str]) -> Source:
    """An unsaved reply as the seed makes it: punctuation fixed, the body as plain-text lines
    through clean_body."""
    fixed = [fix_punctuation(line.strip()) for line in body if line.strip()]
    reply = Reply(
        title=frame.title,
        salutation=fix_punctuation(sample["salutation"]),
        opening=fix_punctuation(sample["opening"]),
        body_html=clean_body("\n".join(fixed)),
        thanks=fix_punctuation(sample["thanks"]),
        signing_unit=frame.unit,
        signed_on=sample["signed_on"],
        document_number=frame.document_number,
        contact_person=sample["contact_person"],
        contact_phone=sample["contact_phone"],
        result_class=sample["result_class"],
        cc=frame.cc,
    )
    return Source(key, reply, fixed)


def sources() -> dict[str, Source]:
    samples = sample_replies()
    found = {
        FRAMES[title].key: make_source(FRAMES[title].key, FRAMES[title], sample, sample["body"])
        for title, sample in samples.items()
    }
    # the long one: every non-empty line of the policy text, in the first sample's frame
    title = "关于引导社会组织参与未成年人保护的建议"
    policy = sample_text("policy-hubei-child-welfare-2022.txt").splitlines()
    found[LONG_LETTER] = make_source(LONG_LETTER, FRAMES[title], samples[title], policy)
    return found


SOURCES = sources()


@dataclass(frozen=True)
class Rendered:
    source: Source
    path: Path
    page_count: int
    pages: list[Page]


@pytest.fixture(scope="module", params=sorted(SOURCES), ids=str)
def letter(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Rendered:
    source = SOURCES[request.param]
    rendered = render_letter(source.reply)
    path = tmp_path_factory.mktemp(source.key) / "letter.pdf"
    path.write_bytes(rendered.content)
    return Rendered(source, path, rendered.page_count, read_layout(path))


def where(page: int, line: Line) -> str:
    """Page, text and box of a line, for assertion messages."""
    return (
        f"page {page}, line {line.text!r} "
        f"(x {line.x_min:.2f}–{line.x_max:.2f}, y {line.y_min:.2f}–{line.y_max:.2f})"
    )


# --- 1. every character is in the PDF ----------------------------------------------------------


def test_every_character_of_the_source_is_in_the_pdf(letter: Rendered) -> None:
    pdf = normalise(layout_text(letter.pages))
    position = 0
    for part in letter.source.parts:
        wanted = normalise(part)
        found = pdf.find(wanted, position)
        if found < 0:
            kept = 0  # how much of the part the PDF does hold, to say where it goes wrong
            while pdf.find(wanted[: kept + 1], position) >= 0:
                kept += 1
            pytest.fail(
                f"{letter.source.key}: {part[:30]!r}… is not in the PDF text (in order): it "
                f"holds {wanted[max(kept - 15, 0) : kept]!r} but then not "
                f"{wanted[kept : kept + 15]!r}"
            )
        position = found + len(wanted)
    reply = letter.source.reply
    for mark in (reply.result_class, "同意公开", reply.document_number):
        assert normalise(mark) in pdf, f"{letter.source.key}: the mark {mark!r} is missing"


# --- 2. A4 ---------------------------------------------------------------------------------------


def test_pages_are_a4(letter: Rendered) -> None:
    assert len(letter.pages) == letter.page_count
    for number, page in enumerate(letter.pages, 1):
        assert abs(page.width - PAGE_W) <= 0.5 and abs(page.height - PAGE_H) <= 0.5, (
            f"{letter.source.key}: page {number} is {page.width:.2f} × {page.height:.2f} pt"
        )


# --- 3. the text block and the page numbers ----------------------------------------------------


def test_no_glyph_outside_the_text_block(letter: Rendered) -> None:
    """Nothing outside the text block but the letterhead (信函格式: 30 mm from the top edge,
    above the block) and the page numbers."""
    for number, page in enumerate(letter.pages, 1):
        for line in page.text_lines:
            if number == 1 and line is page.lines[0] and line.y_min < TOP:
                assert line.text == letter.source.reply.signing_unit, line
                continue
            assert (
                line.x_min >= LEFT - GLYPH_TOLERANCE
                and line.x_max <= RIGHT + GLYPH_TOLERANCE
                and line.y_min >= TOP - GLYPH_TOLERANCE
                and line.y_max <= BOTTOM + GLYPH_TOLERANCE
            ), (
                f"{letter.source.key}: outside the block "
                f"(x {LEFT:.2f}–{RIGHT:.2f}, y {TOP:.2f}–{BOTTOM:.2f}): {where(number, line)}"
            )


def test_page_numbers_in_the_foot_from_page_two(letter: Rendered) -> None:
    assert letter.page_count >= 2, "every letter here runs over more than one page"
    first = letter.pages[0]
    assert first.page_number is None, f"page 1 has a page number: {first.lines[-1].text!r}"
    for number, page in enumerate(letter.pages[1:], 2):
        line = page.page_number
        assert line is not None, (
            f"{letter.source.key}: page {number} has no page number in its foot; its last line "
            f"is {page.lines[-1].text!r}"
        )
        assert line.text.replace(" ", "") == f"—{number}—", where(number, line)
        # 7 mm below the block: the number's glyph box starts below that mark, within a character
        assert BOTTOM + 7 * MM - GLYPH_TOLERANCE <= line.y_min <= BOTTOM + 7 * MM + PAGE_NUMBER_SIZE
        if number % 2:  # odd pages: right, one character in
            assert abs(line.x_max - (RIGHT - PAGE_NUMBER_SIZE)) <= GLYPH_TOLERANCE, (
                f"{letter.source.key}: odd page number not right-aligned: {where(number, line)}"
            )
        else:  # even pages: left, one character in
            assert abs(line.x_min - (LEFT + PAGE_NUMBER_SIZE)) <= GLYPH_TOLERANCE, (
                f"{letter.source.key}: even page number not left-aligned: {where(number, line)}"
            )


# --- 4. full lines hold 28 characters ----------------------------------------------------------


PURE_CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff01-\uff0f\uff1a-\uff20“”‘’—…·]+")
# full-width marks that push-in (标点挤压) may set half-width
COMPRESSIBLE_MARKS = set(COMPRESSIBLE)


def cells(line: Line, first: bool) -> float:
    """Character cells a line takes: full-width characters 1, Latin letters and digits ½,
    a first line's two-character indent 2."""
    return line.width_in_chars + (2 if first else 0)


def test_full_lines_hold_28_cells_and_reach_the_right_edge(letter: Rendered) -> None:
    """Every line of a paragraph but its last reaches the right edge; a line of Chinese holds
    its 28 cells: 28 characters, or 29 where a mark is set half-width (push-in) — then the line
    carries such a mark. Push-out (27 characters) may happen only where push-in cannot: at most
    5 % of the lines, as check_letter.py wants."""
    key = letter.source.key
    pure, short = 0, []
    for paragraph in locate_paragraphs(letter.pages, letter.source.paragraphs):
        pairs = list(zip(paragraph.lines, paragraph.pages, strict=True))
        for index, (line, page) in enumerate(pairs):
            first = index == 0
            indent = line.x_min - LEFT
            assert abs(indent - (INDENT if first else 0)) <= 0.5, (
                f"{key}: {'first' if first else 'running'} line indented {indent:.2f} pt: "
                f"{where(page, line)}"
            )
            if index == len(pairs) - 1:
                continue  # the last line of a paragraph may be short
            assert abs(line.x_max - RIGHT) <= GLYPH_TOLERANCE, (
                f"{key}: line does not reach the block's right edge {RIGHT:.2f}: "
                f"{where(page, line)}"
            )
            if not PURE_CJK.fullmatch(line.text):
                continue  # Latin letters and digits: the right edge is the rule
            pure += 1
            width = cells(line, first)
            if width == CHARS_PER_LINE + 1:
                assert COMPRESSIBLE_MARKS & set(line.text), (
                    f"{key}: 29 characters without a mark to set half-width: {where(page, line)}"
                )
            elif width != CHARS_PER_LINE:
                assert width == CHARS_PER_LINE - 1, f"{key}: {width} cells: {where(page, line)}"
                short.append(where(page, line))
    assert pure, f"{key}: no full line of Chinese to measure"
    assert len(short) <= 0.05 * pure, f"{key}: {len(short)} of {pure} lines pushed out: {short[:3]}"


def test_no_running_line_starts_with_a_closing_mark_or_follows_an_opening_one(
    letter: Rendered,
) -> None:
    """避头尾: a paragraph may begin with ——, but no line it runs on to may."""
    for paragraph in locate_paragraphs(letter.pages, letter.source.paragraphs):
        lines = list(zip(paragraph.lines, paragraph.pages, strict=True))
        for (line, page), (following, next_page) in itertools.pairwise(lines):
            assert line.text[-1] not in OPENING, (
                f"{letter.source.key}: a line ends with an opening mark: {where(page, line)}"
            )
            assert following.text[0] not in CLOSING, (
                f"{letter.source.key}: a line starts with a closing mark: "
                f"{where(next_page, following)}"
            )


# --- 5. full pages hold 22 lines ---------------------------------------------------------------


def test_full_pages_hold_22_lines(letter: Rendered) -> None:
    if letter.source.key == LONG_LETTER:
        assert letter.page_count >= LONG_LETTER_MIN_PAGES, f"{letter.page_count} pages"
    unit = letter.source.reply.signing_unit
    for number, page in enumerate(letter.pages[1:-1], 2):
        lines = page.text_lines
        following = letter.pages[number].text_lines
        if following and following[0].text == unit and len(lines) >= LINES_PER_PAGE - 2:
            # the signature (name and date, never parted) did not fit under the blank line
            # that sets it off: the page ends early by at most those rows
            continue
        # rows of the grid the page fills: a blank line (before the signature) is a row too
        rows = round((lines[-1].y_max - lines[0].y_max) / LINE_PITCH) + 1
        assert rows == LINES_PER_PAGE and len(lines) >= LINES_PER_PAGE - 1, (
            f"{letter.source.key}: page {number} fills {rows} rows with {len(lines)} lines, from "
            f"{lines[0].text!r} to {lines[-1].text!r}"
        )


# --- 6. fonts --------------------------------------------------------------------------------


def test_fonts_are_embedded_and_not_type_3(letter: Rendered) -> None:
    found = fonts(letter.path)
    assert found, "no fonts"
    for font in found:
        assert font["emb"] == "yes", f"{letter.source.key}: {font} is not embedded"
        assert font["type"] != "Type 3", f"{letter.source.key}: {font} is a Type 3 font"


# --- 7. rendering fetches nothing --------------------------------------------------------------


@pytest.fixture
def listener() -> Iterator[tuple[int, list[str]]]:
    """A loopback HTTP server that counts the requests it gets."""
    hits: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            hits.append(f"{self.command} {self.path}")
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.end_headers()

        do_HEAD = do_POST = do_GET

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1], hits
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def hostile_body(port: int) -> str:
    base = f"http://127.0.0.1:{port}"
    return (
        f'<p>图片<img src="{base}/x.png">之后</p>'
        f'<link rel=stylesheet href="{base}/s.css">'
        f"<style>@import url({base}/import.css); p {{ background: url({base}/style-bg) }}</style>"
        '<p><a href="file:///etc/passwd">file:///etc/passwd</a></p>'
        '<p><a rel="attachment" href="file:///etc/passwd">附件</a></p>'
        f"<script>fetch('{base}/')</script>"
        f'<iframe src="{base}/frame"></iframe>'
        '<object data="file:///etc/passwd"></object>'
        f'<embed src="{base}/embed">'
        '<img src="file:///etc/passwd">'
        f'<p style="background:url({base}/bg)">背景</p>'
        "<p>正文到此为止。</p>"
    )


def with_body(body_html: str) -> Reply:
    """The chaotian letter with another body."""
    reply = SOURCES["chaotian"].reply
    names = (
        "title",
        "salutation",
        "opening",
        "thanks",
        "signing_unit",
        "signed_on",
        "document_number",
        "contact_person",
        "contact_phone",
        "result_class",
        "cc",
    )
    return Reply(body_html=body_html, **{name: getattr(reply, name) for name in names})


def assert_harmless(pdf: bytes) -> str:
    """A valid PDF without attachments or the password file; its text, normalised."""
    assert pdf.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) >= 1
    assert not reader.attachments, f"the PDF carries attachments: {list(reader.attachments)}"
    text = normalise("".join(page.extract_text() for page in reader.pages))
    assert "root:x:0:0" not in text and b"root:x:0:0" not in pdf
    return text


def test_cleaned_body_renders_without_fetching(listener: tuple[int, list[str]]) -> None:
    port, hits = listener
    body = clean_body(hostile_body(port))
    assert "127.0.0.1" not in body and "file:" not in body.replace(">file:///etc/passwd<", "")
    text = assert_harmless(render_letter(with_body(body)).content)
    assert "正文到此为止" in text and "file:///etc/passwd" in text, text  # the link's text stays
    assert hits == [], f"rendering made requests: {hits}"


def test_raw_body_renders_without_fetching(listener: tuple[int, list[str]]) -> None:
    """Had the body skipped clean_body, the letter would still keep only its paragraphs' text."""
    port, hits = listener
    document = letter_html(with_body(hostile_body(port)))
    body = document.split("</style>", 1)[1]
    for tag in ("<img", "<link", "<script", "<iframe", "<object", "<embed", "<a ", "background"):
        assert tag not in body, f"{tag} reached the letter"
    # no inline styles at all: a line's letter-spacing is a class of the letter's <style>
    assert re.findall(r'style="([^"]*)"', body) == []
    assert_harmless(letter_pdf(document))
    assert hits == [], f"rendering made requests: {hits}"


def test_fetcher_alone_keeps_markup_from_fetching(listener: tuple[int, list[str]]) -> None:
    """The hostile markup straight into the letter's HTML: the URL fetcher alone must refuse."""
    port, hits = listener
    raw = hostile_body(port)
    document = letter_html(SOURCES["chaotian"].reply).replace("</body>", raw + "</body>")
    assert raw in document
    assert_harmless(letter_pdf(document))
    assert hits == [], f"rendering made requests: {hits}"


def test_safe_url_fetcher_refuses_the_network_and_outside_files(
    listener: tuple[int, list[str]],
) -> None:
    port, hits = listener
    static = Path(settings.STATICFILES_DIRS[0]).resolve()
    for url in (
        f"http://127.0.0.1:{port}/x",
        f"https://127.0.0.1:{port}/x",
        "file:///etc/passwd",
        static.as_uri() + "/.." * len(static.parts) + "/etc/passwd",
    ):
        with pytest.raises(ValueError, match="refused"):
            safe_url_fetcher().fetch(url)
        assert hits == [], f"the fetcher made requests: {hits}"


def test_licensed_font_from_the_font_folder_is_embedded(tmp_path: Path) -> None:
    """A font file in LETTER_FONT_DIR (仿宋_GB2312 in production) is loaded through the URL
    fetcher; a stand-in TrueType font must end up in the PDF (for the digits it covers)."""
    matched = fc_match("Liberation Serif:fontformat=TrueType")
    found = str(matched[0]) if matched else ""
    if not found.endswith(".ttf"):
        pytest.skip("no TrueType font to stand in for 仿宋_GB2312")
    font = tmp_path / "仿宋_GB2312.ttf"
    shutil.copyfile(found, font)
    with TTFont(font) as opened:
        postscript_name = str(opened["name"].getDebugName(6))
    pdf = tmp_path / "letter.pdf"
    letter_fonts.cache_clear()
    try:
        with override_settings(LETTER_FONT_DIR=str(tmp_path)):
            body = letter_fonts()["body"]
            assert body.path == font
            pdf.write_bytes(render_letter(SOURCES["chaotian"].reply).content)
    finally:
        letter_fonts.cache_clear()  # the next letter looks again, with the usual settings
    # WeasyPrint names an @font-face font after its family ("Letter-body")
    names = {postscript_name, body.family.replace(" ", "-")}
    embedded = [row["name"].split("+")[-1] for row in fonts(pdf)]
    assert names & set(embedded), f"none of {names} among the PDF's fonts {embedded}"


def test_typed_spaces_between_latin_words_keep_their_width(tmp_path: Path) -> None:
    """Only the spaces the letter inserts between Chinese characters are width-cancelled; a
    space typed between two Latin words still separates them."""
    reply = with_body(clean_body("参见 World Health Organization 报告。"))
    pdf = tmp_path / "letter.pdf"
    pdf.write_bytes(render_letter(reply).content)
    line = next(line for page in read_layout(pdf) for line in page.lines if "World" in line.text)
    words = line.words
    world = next(i for i, word in enumerate(words) if word.text.endswith("World"))
    assert words[world + 1].text.startswith("Health"), [word.text for word in words]
    gap = words[world + 1].x_min - words[world].x_max
    assert gap >= 0.2 * FONT_SIZE_PT, f"{gap:.2f} pt between 'World' and 'Health'"


def test_tabs_and_line_separators_typed_in_a_paragraph_become_spaces(tmp_path: Path) -> None:
    """Lines are set one to a source line (white-space: pre): a tab or a line separator pasted
    into a paragraph must neither start a line of its own nor widen a line past the block."""
    text = "第一项\t资金已到位，Phase\tOne\u2028正在施工。" * 6
    reply = with_body(f"<p>{text}</p>")
    pdf = tmp_path / "letter.pdf"
    pdf.write_bytes(render_letter(reply).content)
    pages = read_layout(pdf)
    lines = [
        line for page in pages for line in page.lines if "施工" in line.text or "资金" in line.text
    ]
    assert lines
    for line in lines:
        assert line.x_min >= LEFT - 1.5 and line.x_max <= RIGHT + 1.5, line.text
    body = [line for page in pages for line in page.lines if "第" in line.text or "项" in line.text]
    # 6 × 25 cells: six lines at most, never a line per pasted fragment
    assert len(body) <= 6, [line.text for line in body]


# --- 8. 信函格式 geometry: letterhead, red rules, page numbers -------------------------------------

MM_TOLERANCE = 0.5 * MM


def em_box(line: Line, size: float) -> tuple[float, float]:
    """Top and bottom of a line's em box: pdftotext's box spans the font's hhea ascent and
    descent; the em box is the ideographic one (OS/2 typo ascender and descender)."""
    font_file = letter_fonts()["title"].file
    assert font_file is not None
    with TTFont(font_file[0], fontNumber=font_file[1], lazy=True) as font:
        units = float(font["head"].unitsPerEm)
        descent = -font["hhea"].descent / units
        em_ascent = font["OS/2"].sTypoAscender / units
    baseline = line.y_max - descent * size
    return baseline - em_ascent * size, baseline - em_ascent * size + size


def test_letterhead_30_mm_from_the_top_and_red_double_rules(letter: Rendered) -> None:
    """GB/T 9704 信函格式: the letterhead's top edge 30 mm from the page's top; under it (4 mm) a
    red double rule, thick over thin, and 20 mm above the bottom edge one thin over thick, both
    170 mm long and centred on the text block; nothing red on the other pages."""
    key = letter.source.key
    head = letter.pages[0].lines[0]
    assert normalise(head.text) == normalise(letter.source.reply.signing_unit), head.text
    top, bottom = em_box(head, 26.0)
    assert abs(top - 30 * MM) <= MM_TOLERANCE, f"{key}: letterhead top at {top / MM:.2f} mm"
    bands = red_bands(letter.path)
    assert len(bands[0]) == 4, f"{key}: page 1 red stripes {bands[0]}"
    upper_thick, upper_thin, lower_thin, lower_thick = bands[0]
    for band in bands[0]:
        assert abs(band.x_max - band.x_min - 170 * MM) <= MM_TOLERANCE, band
        assert abs((band.x_min + band.x_max) / 2 - (LEFT + RIGHT) / 2) <= MM_TOLERANCE, band
    assert upper_thick.thickness > 1.5 * upper_thin.thickness, "上粗下细 under the letterhead"
    assert lower_thick.thickness > 1.5 * lower_thin.thickness, "上细下粗 at the foot"
    assert abs(upper_thick.top - bottom - 4 * MM) <= MM_TOLERANCE, (
        f"{key}: the rule is {(upper_thick.top - bottom) / MM:.2f} mm under the letterhead"
    )
    assert 0 < upper_thin.top - upper_thick.bottom <= 1.5 * MM, "the two lines of the rule"
    assert abs(PAGE_H - lower_thick.bottom - 20 * MM) <= MM_TOLERANCE, (
        f"{key}: the foot rule is {(PAGE_H - lower_thick.bottom) / MM:.2f} mm above the edge"
    )
    assert 0 < lower_thick.top - lower_thin.bottom <= 1.5 * MM, "the two lines of the foot rule"
    assert all(not page for page in bands[1:]), f"{key}: red on later pages"


# --- 9. the signature ---------------------------------------------------------------------------


def signature_lines(pages: list[Page], units: list[str], date: str) -> tuple[list[Line], Line]:
    """The lines of the signing units and the date, the last time they appear."""
    flow = [line for page in pages for line in page.text_lines]
    date_index = max(i for i, line in enumerate(flow) if line.text == date)
    found = flow[date_index - len(units) : date_index]
    assert [line.text for line in found] == units, [line.text for line in found]
    return found, flow[date_index]


def assert_signature(pages: list[Page], units: list[str], date: str) -> None:
    unit_lines, date_line = signature_lines(pages, units, date)
    # 右空四字: the date ends four characters short of the right edge
    assert abs(date_line.x_max - (RIGHT - 4 * ADVANCE)) <= GLYPH_TOLERANCE, (
        f"the date ends at {date_line.x_max:.2f}, want {RIGHT - 4 * ADVANCE:.2f}"
    )
    centre = (date_line.x_min + date_line.x_max) / 2
    for line in unit_lines:
        assert line.x_max <= RIGHT + GLYPH_TOLERANCE and line.x_min >= LEFT - GLYPH_TOLERANCE
        if (line.x_max - line.x_min) / 2 <= RIGHT - centre + GLYPH_TOLERANCE:
            assert abs((line.x_min + line.x_max) / 2 - centre) <= GLYPH_TOLERANCE, (
                f"{line.text!r} is not centred over the date"
            )
        else:  # too long to centre: moved left, ending at the right edge
            assert abs(line.x_max - RIGHT) <= GLYPH_TOLERANCE, line


def test_signature_on_one_line_each_date_four_characters_in(letter: Rendered) -> None:
    reply = letter.source.reply
    assert_signature(letter.pages, [reply.signing_unit], letter.source.date_line)


@pytest.mark.parametrize(
    ("signing_unit", "units"),
    [
        ("新密市住房和城乡建设局", ["新密市住房和城乡建设局"]),
        ("朝天区交通运输局", ["朝天区交通运输局"]),
        ("政协新密市委员会提案工作委员会", ["政协新密市委员会提案工作委员会"]),
        ("市民政局、市财政局 市教育局", ["市民政局", "市财政局", "市教育局"]),
    ],
    ids=["long", "short", "longer-than-centred", "joint"],
)
def test_signature_never_wraps_and_joint_replies_sign_with_every_unit(
    tmp_path: Path, signing_unit: str, units: list[str]
) -> None:
    reply = with_body(clean_body("正文。"))
    reply.signing_unit = signing_unit
    pdf = tmp_path / "letter.pdf"
    pdf.write_bytes(render_letter(reply).content)
    pages = read_layout(pdf)
    assert_signature(pages, units, SOURCES["chaotian"].date_line)


# --- 10. titles and the salutation --------------------------------------------------------------

TITLE_SIZE = 22.0


def title_lines_of(page: Page) -> list[Line]:
    """The 2号 lines of the first page: the title's."""
    return [line for line in page.lines if abs(line.y_max - line.y_min - 22 / 16 * 23) < 4]


@pytest.mark.parametrize(
    "title",
    [
        "关于对市十六届人大二次会议第10号代表建议的答复函",
        "株洲市民政局关于市十五届人大四次会议第1230号建议的答复",
        "新密市住房和城乡建设局关于政协新密市第十届委员会第三次会议第128号提案的答复",
        "杭州市民政局关于市十四届人大三次会议萧山39号建议的答复",
        "关于政协第十四届全国委员会第一次会议第01234号提案答复的函",
    ],
)
def test_title_breaks_between_words_in_a_trapezoid_or_diamond(tmp_path: Path, title: str) -> None:
    reply = with_body(clean_body("正文。"))
    reply.title = title
    pdf = tmp_path / "letter.pdf"
    pdf.write_bytes(render_letter(reply).content)
    lines = [line.text for line in title_lines_of(read_layout(pdf)[0])]
    assert "".join(lines) == title, lines
    lengths = [len(line) for line in lines]
    assert all(length >= 4 for length in lengths), f"a lone word on a line: {lines}"
    for upper, lower in itertools.pairwise(lines):
        assert not (
            re.search(r"第[\d一二三四五六七八九十]*$", upper)
            and re.match(r"[\d一二三四五六七八九十]*[号届次]", lower)
        ), lines
        assert not (upper[-1].isdigit() and lower[0].isdigit()), f"a number split: {lines}"
        assert not upper.endswith("答") and not lower.startswith(("复", "函")), lines
        assert not lower.startswith(("的答复函", "答复函")) or len(lower) > 6, lines
    if len(lines) == 2:
        assert lengths[0] >= lengths[1], f"not a trapezoid: {lines}"
    elif len(lines) == 3:
        trapezoid = lengths[0] >= lengths[1] >= lengths[2]
        diamond = lengths[1] >= max(lengths[0], lengths[2])
        assert trapezoid or diamond, lines


def test_salutation_never_splits_a_name(tmp_path: Path) -> None:
    reply = with_body(clean_body("正文。"))
    names = ["欧阳明华", "司马相如", "诸葛孔明", "上官婉儿", "慕容复", "令狐冲", "东方不败"]
    reply.salutation = "、".join(names) + "代表："
    pdf = tmp_path / "letter.pdf"
    pdf.write_bytes(render_letter(reply).content)
    flow = [line.text for page in read_layout(pdf) for line in page.text_lines]
    start = next(i for i, text in enumerate(flow) if text.startswith(names[0]))
    end = next(i for i, text in enumerate(flow) if text.endswith("代表："))
    lines = flow[start : end + 1]
    assert len(lines) >= 2, f"the salutation should need two lines here: {lines}"
    assert "".join(lines) == reply.salutation
    assert all(line.endswith("、") for line in lines[:-1]), f"a name split: {lines}"


# --- 11. the 版记 ---------------------------------------------------------------------------------


def test_cc_at_the_foot_of_the_last_page(letter: Rendered) -> None:
    key = letter.source.key
    last = letter.pages[-1].text_lines
    index = next(i for i, line in enumerate(last) if line.text.startswith("抄送"))
    cc = last[index:]
    assert cc[-1].y_max >= BOTTOM - 8 * MM, (
        f"{key}: 抄送 ends {(BOTTOM - cc[-1].y_max) / MM:.1f} mm above the block's foot"
    )
    assert cc[-1].y_max <= BOTTOM + GLYPH_TOLERANCE
    if index:
        gap = cc[0].y_min - last[index - 1].y_max
        assert gap >= 0.5 * LINE_PITCH, f"{key}: 抄送 only {gap:.1f} pt under the text above"
    assert normalise("".join(line.text for line in cc)) == normalise(
        f"抄送：{letter.source.reply.cc}"
    )


def test_cc_units_typed_with_spaces_are_separated(tmp_path: Path) -> None:
    reply = with_body(clean_body("正文。"))
    reply.cc = "市督查局 市政协提案委　市财政局，Office of X"
    pdf = tmp_path / "letter.pdf"
    pdf.write_bytes(render_letter(reply).content)
    text = normalise(layout_text(read_layout(pdf)))
    assert normalise("抄送：市督查局、市政协提案委、市财政局，OfficeofX") in text, text


# --- 12. headings ---------------------------------------------------------------------------------


def font_of(runs: list[tuple[int, str, str]], text: str) -> set[str]:
    return {name for _, run, name in runs if text in run.replace("\n", "")}


def test_headings_in_their_fonts_only_the_heading_itself(tmp_path: Path) -> None:
    body = "\n".join(
        [
            "一.总体情况。我市社会组织参与未成年人保护工作稳步推进。",
            "(一)政策支持。市本级每年投入资金资助社会组织公益创投。",
            "1．儿童福利保障政策不断完善。我省基本建立了儿童福利政策体系。",
            "(1)孤儿养育水平大幅提升。建立孤儿养育标准自然增长机制。",
            "二、下步工作计划",
        ]
    )
    reply = with_body(clean_body(body))
    pdf = tmp_path / "letter.pdf"
    pdf.write_bytes(render_letter(reply).content)
    text = normalise(layout_text(read_layout(pdf)))
    for marker in ("一、总体情况", "（一）政策支持", "1.儿童福利", "（1）孤儿养育"):
        assert normalise(marker) in text, f"{marker} not normalised: {text[:200]}"
    runs = text_fonts(pdf)
    body_font = font_of(runs, "市本级每年投入")
    hei = font_of(runs, "总体情况")
    assert hei and hei.isdisjoint(body_font), f"一、 heading in {hei}, body in {body_font}"
    assert font_of(runs, "下步工作计划") == hei
    assert font_of(runs, "我市社会组织参与") == body_font, "the run-on text is not the heading's"
    kai_family = letter_fonts()["kai"]
    kai = font_of(runs, "政策支持")
    if kai_family.file != letter_fonts()["body"].file:
        assert kai.isdisjoint(body_font), f"（一） heading in {kai}"
    for text in ("儿童福利保障政策不断完善", "孤儿养育水平大幅提升"):
        assert font_of(runs, text) == body_font, f"{text} not in 仿宋 (the body's font)"
    assert not any("Bold" in name for name in body_font | font_of(runs, "孤儿养育水平")), runs
    names = {row["name"].split("+")[-1] for row in fonts(pdf)}
    assert hei <= names, f"{hei} not among pdffonts' {names}"


# --- 13. the measuring tool ------------------------------------------------------------------------

CHECK_LETTER = Path(settings.BASE_DIR).parent / "shared" / "tools" / "check_letter.py"


@pytest.mark.skipif(not CHECK_LETTER.is_file(), reason="../shared/tools/check_letter.py is absent")
def test_check_letter_passes_with_the_body_as_source(letter: Rendered, tmp_path: Path) -> None:
    source = tmp_path / "body.txt"
    source.write_text("\n".join(letter.source.parts), encoding="utf-8")
    result = subprocess.run(
        ["python3", str(CHECK_LETTER), str(letter.path), str(source)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "missing from the PDF: 0 of" in result.stdout, result.stdout


def test_without_half_width_marks_lines_push_out_and_stay_in_the_block(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Where no font with half-width marks can be derived (a read-only cache, a font fontTools
    cannot read), no mark is pushed in: lines push a character out instead, still reach the right
    edge and never pass it, and 避头尾 holds."""
    import replies.letters

    monkeypatch.setattr(replies.letters, "half_marks_font_path", lambda *args: None)
    letter_fonts.cache_clear()
    try:
        assert all(font.half_marks is None for font in letter_fonts().values())
        source = SOURCES["hangzhou"]
        pdf = tmp_path / "letter.pdf"
        pdf.write_bytes(render_letter(source.reply).content)
    finally:
        letter_fonts.cache_clear()
    pages = read_layout(pdf)
    widths = []
    for paragraph in locate_paragraphs(pages, source.paragraphs):
        for index, line in enumerate(paragraph.lines[:-1]):
            assert abs(line.x_max - RIGHT) <= GLYPH_TOLERANCE, line
            assert line.text[0] not in CLOSING and line.text[-1] not in OPENING, line
            if PURE_CJK.fullmatch(line.text):
                widths.append(cells(line, index == 0))
    assert max(widths) <= CHARS_PER_LINE, f"a line of {max(widths)} cells without half marks"
    assert CHARS_PER_LINE - 1 in widths, "pushed out lines expected in this letter"


MIXED_BODY = [
    "一、总体情况。详见https://www.example.gov.cn/very/long/path/to/a/document/that/is/longer/"
    "than/a/line/index.html页面，以及第一条\u3000内容。",
    "（一）English text: The quick brown fox jumps over the lazy dog, again and again, "
    "1234567890 times; 50% of 1,000 items (i.e. 500) were done.",
    "“引号”开头的段落，‘单引号’，《书名号》〔2023〕【方括号】——破折号……省略号。"
    "这是一个测试段落，测试标点挤压：！？；，。、。",
    "，。、；：？！）》」』”’〕】（《「『“‘〔【" * 3 + "测试",
    "ABCDEFGHIJKLMNOPQRSTUVWXYZ" * 4,
]


def test_latin_urls_and_runs_of_marks_fill_the_measure(tmp_path: Path) -> None:
    """Lines with Latin words, digits and a URL reach the right edge too; a word longer than the
    line breaks inside; a run of marks longer than a line (the rules cannot be kept) still makes
    full lines, not one mark a line; nothing leaves the text block."""
    reply = with_body(clean_body("\n".join(MIXED_BODY)))
    pdf = tmp_path / "letter.pdf"
    pdf.write_bytes(render_letter(reply).content)
    pages = read_layout(pdf)
    texts = [reply.opening, *MIXED_BODY, reply.thanks]
    for paragraph in locate_paragraphs(pages, texts):
        for line, page in zip(paragraph.lines[:-1], paragraph.pages, strict=False):
            assert abs(line.x_max - RIGHT) <= GLYPH_TOLERANCE, where(page, line)
        for line, page in zip(paragraph.lines, paragraph.pages, strict=True):
            assert line.x_min >= LEFT - GLYPH_TOLERANCE, where(page, line)
            assert line.x_max <= RIGHT + GLYPH_TOLERANCE, where(page, line)
        assert len(paragraph.lines) <= len(normalise(paragraph.text)) // 20 + 2, paragraph.text


# --- 14. the derived font of half-width marks ----------------------------------------------------


def glyph_box(font: TTFont, char: str) -> tuple[int, tuple[float, float, float, float] | None]:
    """(advance, ink box) of a character's glyph."""
    from fontTools.pens.boundsPen import BoundsPen

    glyph = font.getBestCmap()[ord(char)]
    pen = BoundsPen(font.getGlyphSet())
    font.getGlyphSet()[glyph].draw(pen)
    return font["hmtx"][glyph][0], pen.bounds


@pytest.mark.parametrize("source", ["noto", "truetype"])
def test_half_width_marks_keep_their_ink_in_half_the_advance(tmp_path: Path, source: str) -> None:
    """The derived font holds the marks at half their advance: a closing mark keeps its left
    half, an opening mark its right half (moved left), as the font's `halt` says or, for a font
    without `halt` (a TrueType 仿宋_GB2312), by that convention."""
    if source == "noto":
        body = letter_fonts()["body"].file
        assert body is not None
        path, index, pairs = body[0], body[1], [("，", "closing"), ("（", "opening")]
    else:
        matched = fc_match("DejaVu Sans:fontformat=TrueType")
        path = str(matched[0]) if matched else ""
        if not path.endswith(".ttf"):
            pytest.skip("no TrueType font with curly quotes")
        index, pairs = 0, [("”", "closing"), ("“", "opening")]
    target = tmp_path / "half.otf"
    build_half_marks_font(path, index, target)
    with TTFont(path, fontNumber=index) as original, TTFont(target) as derived:
        for char, kind in pairs:
            advance, ink = glyph_box(original, char)
            half, half_ink = glyph_box(derived, char)
            assert half * 2 in (advance, advance - 1), f"{char}: {half} of {advance}"
            assert ink is not None and half_ink is not None
            shift = half_ink[0] - ink[0]
            if kind == "closing":
                assert shift == 0, f"{char} moved by {shift}"
            else:
                assert abs(shift + advance / 2) <= 1, f"{char} moved by {shift}, not by half"


# --- the letters' own user-agent stylesheet and compression (issue 14, item 8) ----------------


def word_boxes(pdf: bytes, folder: Path) -> str:
    path = folder / "words.pdf"
    path.write_bytes(pdf)
    return subprocess.run(
        ["pdftotext", "-bbox", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


def outline_titles(pdf: bytes) -> list[str]:
    return [
        str(item.title) for item in PdfReader(io.BytesIO(pdf)).outline if not isinstance(item, list)
    ]


TABLE_BODY = (
    "<p>今年安排资金如下：</p><table><thead><tr><th>序号</th><th>项目名称</th>"
    "<th>资金（万元）</th></tr></thead><tbody><tr><td>1</td><td>城区老旧小区改造（含加装电梯、"
    "管网更新和停车位建设）</td><td>1200</td></tr><tr><td>2</td><td>乡镇敬老院提升</td>"
    "<td>300</td></tr></tbody></table><p>此复。</p>"
)


@pytest.mark.parametrize("key", [*sorted(SOURCES), "table"])
def test_the_letters_user_agent_stylesheet_lays_out_as_weasyprints_own(
    key: str, tmp_path: Path
) -> None:
    """Letters render with a user-agent stylesheet of their own elements only (letter_ua.css);
    every word stands where WeasyPrint's full default stylesheet puts it, tables included, and
    the title is still the PDF's bookmark."""
    reply = with_body(clean_body(TABLE_BODY)) if key == "table" else SOURCES[key].reply
    document_html = letter_html(reply)
    own = render_document(document_html, stylesheets=letter_stylesheets(), letter=True)
    full = render_document(document_html, stylesheets=letter_stylesheets())
    own_pdf, full_pdf = bytes(own.write_pdf()), bytes(full.write_pdf())
    assert len(own.pages) == len(full.pages)
    assert word_boxes(own_pdf, tmp_path) == word_boxes(full_pdf, tmp_path)
    assert outline_titles(own_pdf) == outline_titles(full_pdf) != []
    if key == "table":
        assert "1200" in word_boxes(own_pdf, tmp_path)


def test_pdf_streams_are_compressed_at_the_chosen_level() -> None:
    """pydyf (WeasyPrint's PDF writer) asks for zlib level 9; letters use level 6, about half
    the time for streams 0.5 % larger, and the PDF still reads."""
    import zlib

    import pydyf

    rendered = render_letter(SOURCES["chaotian"].reply)
    data = "株洲市民政局关于市十五届人大四次会议第1230号建议的答复".encode() * 200
    compressor = pydyf.zlib.compressobj(level=9)
    assert compressor.compress(data) + compressor.flush() == zlib.compress(
        data, PDF_COMPRESSION_LEVEL
    )
    assert PDF_COMPRESSION_LEVEL == 6
    reader = PdfReader(io.BytesIO(rendered.content))
    assert len(reader.pages) == rendered.page_count
    assert "答复" in reader.pages[0].extract_text()

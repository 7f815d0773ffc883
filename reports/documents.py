"""The report as documents: its text (templates/reports/report_body.html, official Chinese, so
rendered under the site's language like the letters), its charts (reports.charts), a Word file
(python-docx, headings as Word heading styles at the 公文 levels so that the navigation pane of
Word and WPS lists them) and a PDF (WeasyPrint, from templates/reports/report.html).

One HTML text feeds both files: the .docx is built from its headings, paragraphs, tables and
chart images, so the two never say different things."""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation

from accounts.models import Body

from .charts import bar_chart_png
from .figures import Figures

# 公文 heading levels: the HTML level, the Word heading style, and its East Asian font (the names
# Word and WPS know; the Latin font after them is their fallback for digits and letters)
HEADING_LEVELS = {
    "h2": (1, "黑体"),  # 一、
    "h3": (2, "楷体"),  # （一）
    "h4": (3, "仿宋"),  # 1.
    "h5": (4, "仿宋"),  # （1）
}
TITLE_FONT = "方正小标宋简体"
BODY_FONT = "仿宋"
LATIN_FONT = "Times New Roman"
DOCX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def chart_images(figures: Figures) -> dict[str, bytes]:
    """The report's charts as PNGs, by name."""
    return {
        "classes": bar_chart_png(
            "答复类别占比",
            [(label, rate.percent) for label, _n, rate in figures.class_rows()],
            percent=True,
        ),
        "satisfaction": bar_chart_png(
            "办理结果满意度",
            [(label, rate.percent) for label, _n, rate in figures.rating_rows("result")],
            percent=True,
        ),
        "categories": bar_chart_png(
            "按类别统计（立案件数）",
            [(name or "未分类", n) for name, n in figures.by_category],
        ),
        "units": bar_chart_png(
            "各承办单位按期答复率",
            [(row.name, row.on_time_rate.percent) for row in figures.by_unit],
            percent=True,
        ),
    }


def body_html(figures: Figures, charts: dict[str, bytes]) -> str:
    """The report's text with its charts, always in Chinese: an official document."""
    scope = figures.scope
    with translation.override(settings.LANGUAGE_CODE):
        npc = scope.body_code == Body.NPC
        scope_name = scope.meeting.name if scope.meeting is not None else f"{scope.year}年度"
        return render_to_string(
            "reports/report_body.html",
            {
                "f": figures,
                "c": figures.counts,
                "scope_name": scope_name,
                "member_word": "代表" if npc else "委员",
                "kind_word": "建议" if npc else "提案",
                "today": figures.today,
                "charts": {name: _data_uri(png) for name, png in charts.items()},
            },
        )


def report_html(body: str) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        return render_to_string("reports/report.html", {"body": body})


# --- the text's blocks, for Word ---------------------------------------------------------------


@dataclass
class Block:
    tag: str  # title, h2 … h5, p, table, img
    text: str = ""
    rows: list[list[str]] = field(default_factory=list)
    image: bytes = b""
    header_rows: int = 0


class _Blocks(HTMLParser):
    """The report text's headings, paragraphs, tables and images, in order."""

    TEXT_TAGS = {"h1", "h2", "h3", "h4", "h5", "p"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[Block] = []
        self.current: Block | None = None
        self.table: Block | None = None
        self.cell: list[str] | None = None
        self.in_head = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "img":
            src = dict(attrs).get("src") or ""
            if src.startswith("data:image/png;base64,"):
                png = base64.b64decode(src.partition(",")[2])
                self.blocks.append(Block("img", image=png))
        elif tag == "table":
            self.table = Block("table")
        elif tag == "thead":
            self.in_head = True
        elif tag == "tr" and self.table is not None:
            self.table.rows.append([])
            if self.in_head:
                self.table.header_rows += 1
        elif tag in ("td", "th"):
            self.cell = []
        elif tag in self.TEXT_TAGS and self.table is None:
            self.current = Block("title" if tag == "h1" else tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self.table is not None and self.cell is not None:
            self.table.rows[-1].append("".join(self.cell).strip())
            self.cell = None
        elif tag == "thead":
            self.in_head = False
        elif tag == "table" and self.table is not None:
            self.blocks.append(self.table)
            self.table = None
        elif self.current is not None and tag in self.TEXT_TAGS:
            text = " ".join(self.current.text.split())
            if text:
                self.current.text = text
                self.blocks.append(self.current)
            self.current = None

    def handle_data(self, data: str) -> None:
        if self.cell is not None:
            self.cell.append(data)
        elif self.current is not None:
            self.current.text += data


def blocks(html: str) -> list[Block]:
    parser = _Blocks()
    parser.feed(html)
    parser.close()
    return parser.blocks


def _set_fonts(target: Any, east_asian: str, size_pt: float, *, bold: bool = False) -> None:
    """A style's or run's fonts: the East Asian font by name, Times New Roman for Latin text."""
    from docx.oxml.ns import qn
    from docx.shared import Pt, RGBColor

    font = target.font
    font.name = LATIN_FONT
    font.size = Pt(size_pt)
    font.bold = bold
    font.italic = False
    font.color.rgb = RGBColor(0, 0, 0)
    properties = target._element.get_or_add_rPr()
    fonts = properties.get_or_add_rFonts()
    fonts.set(qn("w:eastAsia"), east_asian)
    fonts.set(qn("w:ascii"), LATIN_FONT)
    fonts.set(qn("w:hAnsi"), LATIN_FONT)


def docx_bytes(html: str) -> bytes:
    """The report as a Word document: 公文 headings as Heading 1–4 (黑体, 楷体, 仿宋 bold, 仿宋),
    the title in 小标宋, the text in 仿宋 三号, tables ruled, charts 15 cm wide."""
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm, Pt

    document = Document()
    section = document.sections[0]
    # GB/T 9704: A4, margins 37 / 35 / 28 / 26 mm
    section.page_height, section.page_width = Cm(29.7), Cm(21.0)
    section.top_margin, section.bottom_margin = Cm(3.7), Cm(3.5)
    section.left_margin, section.right_margin = Cm(2.8), Cm(2.6)
    styles = document.styles
    _set_fonts(styles["Normal"], BODY_FONT, 16)
    styles["Normal"].paragraph_format.line_spacing = Pt(28)
    _set_fonts(styles["Title"], TITLE_FONT, 22)
    for tag, (level, font) in HEADING_LEVELS.items():
        style = styles[f"Heading {level}"]
        _set_fonts(style, font, 16, bold=tag == "h4")
        style.paragraph_format.space_before = Pt(6)
        style.paragraph_format.space_after = Pt(0)
        style.paragraph_format.first_line_indent = Pt(32)
    for block in blocks(html):
        if block.tag == "title":
            paragraph = document.add_paragraph(block.text, style="Title")
            paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        elif block.tag in HEADING_LEVELS:
            document.add_heading(block.text, level=HEADING_LEVELS[block.tag][0])
        elif block.tag == "p":
            paragraph = document.add_paragraph(block.text)
            paragraph.paragraph_format.first_line_indent = Pt(32)
        elif block.tag == "table" and block.rows:
            columns = max(len(row) for row in block.rows)
            table = document.add_table(rows=0, cols=columns)
            table.style = "Table Grid"
            for index, row in enumerate(block.rows):
                cells = table.add_row().cells
                for cell, text in zip(cells, row, strict=False):
                    cell.text = text
                    for run in cell.paragraphs[0].runs:
                        _set_fonts(run, "黑体" if index < block.header_rows else BODY_FONT, 12)
        elif block.tag == "img":
            document.add_picture(io.BytesIO(block.image), width=Cm(15))
            document.paragraphs[-1].alignment = WD_ALIGN_PARAGRAPH.CENTER
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def pdf_bytes(html: str) -> bytes:
    """The report as PDF; nothing is fetched but the charts inside the document (data: URIs).
    The headings become the PDF's bookmarks."""
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    fetcher = URLFetcher(allowed_protocols={"data"}, allow_redirects=False)
    return bytes(HTML(string=report_html(html), url_fetcher=fetcher).write_pdf())

"""The report's charts as PNG images drawn with Pillow (already a dependency of WeasyPrint):
horizontal bars with their values, labels in a CJK font (Noto Sans CJK, found with fontconfig as
the letters find theirs), so that Word, WPS and the PDF show the same picture."""

from __future__ import annotations

import io
from collections.abc import Sequence
from decimal import Decimal
from functools import cache

from PIL import Image, ImageDraw, ImageFont

from replies.fonts import fc_match

SCALE = 2  # drawn at twice the size it is shown, for print
WIDTH = 640 * SCALE
BAR = 22 * SCALE
GAP = 10 * SCALE
MARGIN = 16 * SCALE
TITLE = 34 * SCALE
COLOUR = (11, 87, 208)
TEXT = (30, 30, 30)
GRID = (210, 210, 210)
MAX_ROWS = 15  # a chart longer than this shows the first rows (the table has them all)


@cache
def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    found = fc_match("Noto Sans CJK SC") or fc_match("sans-serif:lang=zh-cn")
    if found is None:
        return ImageFont.load_default(size)
    path, index = found
    try:
        return ImageFont.truetype(str(path), size, index=index)
    except OSError:
        return ImageFont.load_default(size)


def bar_chart_png(
    title: str, rows: Sequence[tuple[str, Decimal | int | None]], *, percent: bool = False
) -> bytes:
    """A PNG of horizontal bars, one per (label, value); percentages are drawn against 100, other
    values against the largest; None (no data) is drawn as "—"."""
    rows = list(rows)[:MAX_ROWS]
    label_font, title_font = _font(14 * SCALE), _font(16 * SCALE)
    probe = ImageDraw.Draw(Image.new("RGB", (1, 1)))
    label_width = max(
        [int(probe.textlength(label, font=label_font)) for label, _value in rows] + [40 * SCALE]
    )
    label_width = min(label_width, WIDTH // 3)
    height = TITLE + MARGIN + max(len(rows), 1) * (BAR + GAP) + MARGIN
    image = Image.new("RGB", (WIDTH, height), "white")
    draw = ImageDraw.Draw(image)
    draw.text((MARGIN, MARGIN // 2), title, fill=TEXT, font=title_font)
    plot_x = MARGIN + label_width + 8 * SCALE
    plot_width = WIDTH - plot_x - 90 * SCALE
    numbers = [Decimal(value) for _label, value in rows if value is not None]
    top = Decimal(100) if percent else max([*numbers, Decimal(0)])
    y = TITLE + MARGIN
    draw.line([(plot_x, y - GAP // 2), (plot_x, height - MARGIN)], fill=GRID, width=SCALE)
    for label, value in rows:
        text = label
        while text and probe.textlength(text, font=label_font) > label_width:
            text = text[:-2] + "…"
        draw.text((MARGIN, y + 2 * SCALE), text, fill=TEXT, font=label_font)
        number = Decimal(value) if value is not None else Decimal(0)
        width = int(number / top * plot_width) if top else 0
        if width:
            draw.rectangle([plot_x, y, plot_x + width, y + BAR], fill=COLOUR)
        shown = "—" if value is None else (f"{value}%" if percent else str(value))
        draw.text((plot_x + width + 6 * SCALE, y + 2 * SCALE), shown, fill=TEXT, font=label_font)
        y += BAR + GAP
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=False)
    return buffer.getvalue()

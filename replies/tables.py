"""Tables in a reply's body, as pasted from Word or WPS: kept as ruled tables of plain text.

clean_body (replies/text.py) lets table, thead, tbody, tr, th and td through with colspan and
rowspan only (Word's styles, widths and classes go); `clean_tables` then rewrites each table in
one plain shape: a header row in <thead> when the table had one, every cell's text with <br>
between its lines, no paragraphs or bold inside, a table pasted inside a cell flattened into
that cell's text. `parse_table` reads that shape back for the letter (replies/letter_parts.py)
and for search (the table's text is part of body_text).
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from html.parser import HTMLParser

MAX_SPAN = 50  # a larger colspan or rowspan is a paste error; it is cut to this
# tags after which a cell's text starts a new line
LINE_BREAKING = {"br", "p", "div", "h2", "h3", "h4", "li"}
TABLE_TAG = re.compile(r"<(/?)table\b[^>]*>", re.IGNORECASE)


@dataclass(frozen=True)
class Cell:
    lines: tuple[str, ...]
    colspan: int = 1
    rowspan: int = 1
    header: bool = False

    @property
    def text(self) -> str:
        return " ".join(line for line in self.lines if line)


@dataclass(frozen=True)
class Table:
    rows: tuple[tuple[Cell, ...], ...]
    header_rows: int  # how many of the first rows are header rows (<thead>)

    @property
    def text(self) -> str:
        """The table's text, one row a line, cells separated by spaces (search, body_text)."""
        lines = (" ".join(cell.text for cell in row if cell.text) for row in self.rows)
        return "\n".join(line for line in lines if line)

    @property
    def column_count(self) -> int:
        return max((end for _row, _start, end in self._placement()), default=0)

    def _placement(self) -> list[tuple[int, int, int]]:
        """(row, first column, column after the last) of every cell, rowspans taken into
        account as a browser places them."""
        taken: set[tuple[int, int]] = set()
        placed = []
        for row_index, row in enumerate(self.rows):
            column = 0
            for cell in row:
                while (row_index, column) in taken:
                    column += 1
                for r in range(row_index, row_index + cell.rowspan):
                    for c in range(column, column + cell.colspan):
                        taken.add((r, c))
                placed.append((row_index, column, column + cell.colspan))
                column += cell.colspan
        return placed

    def column_widths(self) -> list[float]:
        """Percentages of the block for each column, by the length of the text in its
        single-column cells (a 序号 column narrow, a 内容 column wide), never below a share that
        holds two characters."""
        count = self.column_count
        if count == 0:
            return []
        weights = [2.0] * count
        cells = [cell for row in self.rows for cell in row]
        for cell, (_row, start, end) in zip(cells, self._placement(), strict=True):
            if end - start == 1:
                longest = max((_display_width(line) for line in cell.lines), default=0)
                weights[start] = max(weights[start], min(float(longest), 14.0))
        total = sum(weights)
        return [round(100 * weight / total, 2) for weight in weights]


def _display_width(text: str) -> float:
    return sum(0.5 if ord(char) < 0x2E80 else 1.0 for char in text)


def _span(value: str | None) -> int:
    try:
        number = int((value or "1").strip())
    except ValueError:
        return 1
    return min(max(number, 1), MAX_SPAN)


class _TableReader(HTMLParser):
    """Rows and cells of one table; anything inside a cell, a nested table included, is text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.rows: list[list[Cell]] = []
        self.header_rows = 0
        self.depth = 0  # table nesting
        self.in_head = False
        self.row: list[Cell] | None = None
        self.cell: dict[str, object] | None = None
        self.lines: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self.depth += 1
            if self.depth > 1:
                self._new_line()
            return
        if self.depth > 1:  # a table inside a cell: its rows are lines, its cells words
            if tag in ("td", "th"):
                self._append(" ")
            elif tag == "tr" or tag in LINE_BREAKING:
                self._new_line()
            return
        if self.depth == 0:
            return
        if tag == "thead":
            self.in_head = True
        elif tag == "tr":
            self._end_cell()
            self._end_row()
            self.row = []
        elif tag in ("td", "th"):
            self._end_cell()
            if self.row is None:
                self.row = []
            found = dict(attrs)
            self.cell = {
                "colspan": _span(found.get("colspan")),
                "rowspan": _span(found.get("rowspan")),
                "header": tag == "th" or self.in_head,
            }
            self.lines = [""]
        elif tag in LINE_BREAKING:
            self._new_line()

    def handle_endtag(self, tag: str) -> None:
        if tag == "table":
            self.depth -= 1
            if self.depth == 0:
                self._end_cell()
                self._end_row()
            elif self.cell is not None:
                self._new_line()
            return
        if self.depth != 1:
            if self.cell is not None and tag == "tr":
                self._new_line()
            return
        if tag in ("td", "th"):
            self._end_cell()
        elif tag == "tr":
            self._end_cell()
            self._end_row()
        elif tag == "thead":
            self._end_cell()
            self._end_row()
            self.in_head = False
            self.header_rows = len(self.rows)
        elif self.cell is not None and tag in LINE_BREAKING:
            self._new_line()

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br" and self.cell is not None:
            self._new_line()

    def handle_data(self, data: str) -> None:
        if self.cell is not None:
            self._append(data)

    def _append(self, text: str) -> None:
        if self.cell is not None:
            self.lines[-1] += text

    def _new_line(self) -> None:
        if self.cell is not None:
            self.lines.append("")

    def _end_cell(self) -> None:
        if self.cell is None:
            return
        lines = tuple(line for line in (" ".join(raw.split()) for raw in self.lines) if line)
        assert self.row is not None
        self.row.append(
            Cell(
                lines,
                colspan=int(str(self.cell["colspan"])),
                rowspan=int(str(self.cell["rowspan"])),
                header=bool(self.cell["header"]),
            )
        )
        self.cell = None
        self.lines = []

    def _end_row(self) -> None:
        if self.row:
            self.rows.append(self.row)
        self.row = None


def parse_table(table_html: str) -> Table:
    """A table's rows and cells from its HTML (the cleaned shape or any other)."""
    reader = _TableReader()
    reader.feed(
        table_html if table_html.lstrip().startswith("<table") else f"<table>{table_html}</table>"
    )
    reader.close()
    reader._end_cell()
    reader._end_row()
    rows = [row for row in reader.rows if any(cell.lines for cell in row)]
    header_rows = min(reader.header_rows, len(rows))
    if header_rows == 0:
        # Word marks a header row by <th> (or by bold, which is lost): a first row of <th> only
        while header_rows < len(rows) and all(cell.header for cell in rows[header_rows]):
            header_rows += 1
        if header_rows == len(rows):
            header_rows = 0
    # a rowspan reaching past the last row is cut to the rows there are
    fixed = [
        tuple(
            Cell(cell.lines, cell.colspan, min(cell.rowspan, len(rows) - index), cell.header)
            for cell in row
        )
        for index, row in enumerate(rows)
    ]
    return Table(rows=tuple(fixed), header_rows=header_rows)


def table_html(table: Table) -> str:
    """The plain shape of a table that clean_body stores."""

    def cell_html(cell: Cell, tag: str) -> str:
        spans = "".join(
            f' {name}="{value}"'
            for name, value in (("colspan", cell.colspan), ("rowspan", cell.rowspan))
            if value > 1
        )
        text = "<br>".join(html.escape(line, quote=False) for line in cell.lines)
        return f"<{tag}{spans}>{text}</{tag}>"

    def rows_html(rows: tuple[tuple[Cell, ...], ...], tag: str) -> str:
        return "".join("<tr>" + "".join(cell_html(c, tag) for c in row) + "</tr>" for row in rows)

    head = table.rows[: table.header_rows]
    body = table.rows[table.header_rows :]
    return (
        "<table>"
        + (f"<thead>{rows_html(head, 'th')}</thead>" if head else "")
        + (f"<tbody>{rows_html(body, 'td')}</tbody>" if body else "")
        + "</table>"
    )


def clean_tables(cleaned: str) -> str:
    """Every top-level table of the (nh3-cleaned) body rewritten in the plain shape; a table
    without any text is dropped. Text around the tables is left as it is."""
    out, position, depth, start = [], 0, 0, 0
    for match in TABLE_TAG.finditer(cleaned):
        closing = match.group(1) == "/"
        if not closing:
            if depth == 0:
                out.append(cleaned[position : match.start()])
                start = match.start()
            depth += 1
        elif depth > 0:
            depth -= 1
            if depth == 0:
                table = parse_table(cleaned[start : match.end()])
                if table.rows:
                    out.append(table_html(table))
                position = match.end()
    if depth > 0:  # an unclosed table (nh3 closes them; kept safe anyway)
        table = parse_table(cleaned[start:])
        if table.rows:
            out.append(table_html(table))
    else:
        out.append(cleaned[position:])
    return "".join(out)


# --- tables pasted as text ---------------------------------------------------------------------
# A table copied from Word or WPS into a plain text box arrives as lines of cells separated by
# tabs. Two or more such lines in a row are a table; every other line is a paragraph.


def _is_row(line: str) -> bool:
    return "\t" in line.strip("\r\n ") and bool(line.replace("\t", "").strip())


def plain_blocks(text: str) -> list[str]:
    """The body typed (or pasted) as plain text, as HTML blocks: a paragraph per line, a table
    per run of two or more tab-separated lines."""
    blocks: list[str] = []
    lines = text.split("\n")
    index = 0
    while index < len(lines):
        end = index
        while end < len(lines) and _is_row(lines[end]):
            end += 1
        if end - index >= 2:
            rows = [
                [cell.strip() for cell in line.strip("\r\n ").split("\t")]
                for line in lines[index:end]
            ]
            width = max(len(row) for row in rows)
            table = Table(
                rows=tuple(
                    tuple(Cell((cell,) if cell else ()) for cell in row + [""] * (width - len(row)))
                    for row in rows
                ),
                header_rows=0,
            )
            blocks.append(table_html(table))
            index = end
            continue
        line = lines[index].strip()
        if line:
            blocks.append(f"<p>{html.escape(line, quote=False)}</p>")
        index += 1
    return blocks


def plain_rows(table: Table) -> list[str] | None:
    """A simple table (no spans, no header, one line a cell) as the tab-separated lines it was
    pasted as; None for any other."""
    if table.header_rows:
        return None
    lines = []
    for row in table.rows:
        if any(cell.colspan > 1 or cell.rowspan > 1 or len(cell.lines) > 1 for cell in row):
            return None
        lines.append("\t".join(cell.text for cell in row))
    return lines

"""Writing .xlsx files with openpyxl's write-only workbook: typed, safe cells under a bold,
frozen header row. Used by every Excel export (proposals.exports, the scorecards).

Cell text is neutralised against formula injection (OWASP "CSV injection"): text beginning with
=, +, -, @, a tab or a carriage return is written with a leading single quote, and always as a
string cell. Dates, times and numbers stay typed.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import IO, Any

from django.utils import timezone
from django.utils.functional import Promise
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PROGRESS_EVERY = 1000  # rows between two progress updates of a background job
CHUNK_SIZE = 1000  # rows fetched from the database at a time
MAX_CELL_CHARS = 32767  # Excel's limit for one cell
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
PERCENT_FORMAT = "0.0%"


def safe_cell(value: Any) -> Any:
    """A value ready for a cell: numbers, dates and times stay typed (aware datetimes in local
    time, as Excel has no time zones); anything else becomes text, with characters that XML
    cannot carry removed and a leading ' added where Excel would read a formula."""
    if value is None or isinstance(value, bool | int | float | Decimal):
        return value
    if isinstance(value, datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        return value.replace(tzinfo=None)
    if isinstance(value, date | time | timedelta):
        return value
    text = ILLEGAL_CHARACTERS_RE.sub("", str(value))
    if text.startswith(FORMULA_PREFIXES):
        text = "'" + text
    return text[:MAX_CELL_CHARS]


@dataclass(frozen=True)
class Column:
    header: str | Promise
    width: float = 14
    key: str = ""  # the name a person's column choice uses (the item export)
    number_format: str = ""  # for numbers in this column, e.g. PERCENT_FORMAT
    default: bool = True  # exported unless the person chose otherwise


def _column(header: str | Promise | Column) -> Column:
    if isinstance(header, Column):
        return header
    return Column(header, max(10.0, 2.2 * len(str(header)) + 4))


def _sheet_title(title: str) -> str:
    for char in "[]:*?/\\":
        title = title.replace(char, " ")
    return title.strip()[:31] or "Sheet1"


def write_workbook(
    target: IO[bytes],
    rows: Iterable[Sequence[Any]],
    headers: Sequence[str | Promise | Column],
    *,
    sheet_title: str = "",
    on_progress: Callable[[int], None] | None = None,
    progress_every: int = PROGRESS_EVERY,
) -> int:
    """Write one sheet (bold, frozen header row; set column widths; an auto-filter over the
    data) to `target` and return the number of data rows. Rows are streamed: only the current
    row is held in memory. `on_progress(n)` is called after every `progress_every` rows."""
    columns = [_column(header) for header in headers]
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_sheet_title(sheet_title))
    for index, column in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = column.width
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="F2F2F2")
    centre = Alignment(horizontal="center", vertical="center")
    header_cells = []
    for column in columns:
        cell = WriteOnlyCell(sheet, value=safe_cell(str(column.header)))
        cell.font, cell.fill, cell.alignment = bold, fill, centre
        header_cells.append(cell)
    sheet.append(header_cells)
    formats = [column.number_format for column in columns]
    count = 0
    for row in rows:
        sheet.append(
            [
                _typed_cell(sheet, value, formats[index] if index < len(formats) else "")
                for index, value in enumerate(row)
            ]
        )
        count += 1
        if on_progress is not None and count % progress_every == 0:
            on_progress(count)
    if columns:
        last = get_column_letter(len(columns))
        sheet.auto_filter.ref = f"A1:{last}{count + 1}"
    workbook.save(target)
    return count


def _typed_cell(sheet: Any, value: Any, number_format: str = "") -> Any:
    value = safe_cell(value)
    if number_format and isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = number_format
        return cell
    if isinstance(value, datetime):
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = DATETIME_FORMAT
        return cell
    if isinstance(value, date):
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = DATE_FORMAT
        return cell
    if isinstance(value, str):
        # an explicit string cell: openpyxl would otherwise read a leading "=" as a formula
        cell = WriteOnlyCell(sheet, value=value)
        cell.data_type = "s"
        return cell
    return value


def write_rows(
    rows: Iterable[Sequence[Any]],
    headers: Sequence[str | Promise | Column],
    *,
    sheet_title: str = "",
) -> bytes:
    """The .xlsx file of `rows` under a header row, as bytes (for the scorecards and the small
    list exports answered in the request)."""
    buffer = io.BytesIO()
    write_workbook(buffer, rows, headers, sheet_title=sheet_title)
    return buffer.getvalue()

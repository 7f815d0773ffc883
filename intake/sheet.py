"""The sheet: its columns for a meeting, the template to download, and reading an upload.

The columns follow the meeting's sections policy (proposals.sections): one column per section,
or 正文 for a meeting of one text. Row 1 holds the headers, row 2 may hold the template's notes
(each beginning with 说明), the data follows. Reading refuses, with a message in Chinese and
before anything is stored: a file that is not .xlsx by its content, one larger than
IMPORT_MAX_BYTES (checked before it is opened) or that unpacks to far more, unreadable files,
missing or unknown columns, formulas, an empty sheet and more than IMPORT_MAX_ROWS rows.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import IO, Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from accounts.models import Unit
from proposals.models import Category, Meeting, ProposalKind
from proposals.sections import is_sectioned, policy_of
from proposals.separators import enumeration
from proposals.uploads import OLE_MAGIC, content_type_for

MEETING = "会议"
KIND = "类别"
NUMBER = "编号"
TITLE = "标题"
BODY = "正文"
LEAD = "领衔人"
COSIGNERS = "联名人"
CATEGORY = "分类"
DATE = "提交日期"
OUTCOME = "审查结果"
NOTE = "审查说明"
MERGE_INTO = "并入编号"
LEAD_UNIT = "主办单位"
CO_UNITS = "会办单位"

OUTCOMES = ("立案", "不予立案", "并案", "转为意见")
NOTE_PREFIX = "说明"
MAX_COLUMNS = 60  # cells right of this are never read
UNZIPPED_RATIO = 8  # an .xlsx unpacking to more than 8 × IMPORT_MAX_BYTES is refused


class SheetError(Exception):
    """The file as a whole cannot be imported; the message says why, in Chinese."""


@dataclass
class Columns:
    """The columns of the sheet for one meeting: in order, and which must be there."""

    names: list[str]
    required: list[str]
    sections: list[tuple[str, str]]  # (section key, column) in the policy's order


def columns_for(meeting: Meeting) -> Columns:
    rules = policy_of(meeting)
    if is_sectioned(meeting):
        sections = [(rule["key"], rule["label"]) for rule in rules]
    else:
        sections = [(rules[0]["key"], BODY)]
    text_columns = [name for _key, name in sections]
    names = [MEETING, KIND, NUMBER, TITLE, *text_columns, LEAD, COSIGNERS, CATEGORY, DATE]
    names += [OUTCOME, NOTE, MERGE_INTO, LEAD_UNIT, CO_UNITS]
    required = [TITLE, *text_columns, LEAD, DATE]
    return Columns(names, required, sections)


def _notes(meeting: Meeting) -> dict[str, str]:
    kind = ProposalKind(meeting.item_kind).label
    notes = {
        MEETING: _("说明：会议简称，如“%(name)s”；可留空，即所选会议")
        % {"name": meeting.short_name},
        KIND: _("说明：%(kind)s；可留空") % {"kind": kind},
        NUMBER: _("说明：已有编号的填写，如“%(example)s”或“15”；填编号的，审查结果须为立案")
        % {"example": meeting.format_number(15, "")},
        TITLE: _("说明：必填，不超过100字，如“关于……的%(kind)s”") % {"kind": kind},
        LEAD: _("说明：必填，代表委员的姓名或用户名；同名的写“姓名（用户名）”"),
        COSIGNERS: _("说明：联名的代表委员，多人用“、”分隔"),
        CATEGORY: _("说明：见“可选值”表；立案的必填"),
        DATE: _("说明：必填，如 %(day)s，须在本次会议的提交期限内")
        % {"day": meeting.submission_opens_at.date().isoformat()},
        OUTCOME: _("说明：留空为待审查；或填立案、不予立案、并案、转为意见"),
        NOTE: _("说明：不予立案、转为意见的必填，代表委员会看到"),
        MERGE_INTO: _("说明：并案的必填，被并入件的编号"),
        LEAD_UNIT: _("说明：立案并已交办的，填单位全称或简称"),
        CO_UNITS: _("说明：多个单位用“、”分隔；须同时填主办单位"),
    }
    rules = {rule["key"]: rule for rule in policy_of(meeting)}
    for key, column in columns_for(meeting).sections:
        rule = rules[key]
        needed = _("必填") if rule["required"] else _("选填")
        notes[column] = _("说明：%(needed)s，%(min)s至%(max)s字") % {
            "needed": needed,
            "min": rule["min_length"],
            "max": rule["max_length"],
        }
    return notes


def template_bytes(meeting: Meeting) -> bytes:
    """The template for `meeting`: the header row, a row of notes, and a second sheet with the
    values the office may choose from (categories of the body, units)."""
    columns = columns_for(meeting)
    notes = _notes(meeting)
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = str(ProposalKind(meeting.item_kind).label)
    sheet.append(columns.names)
    sheet.append([notes.get(name, "") for name in columns.names])
    bold, grey = Font(bold=True), PatternFill("solid", fgColor="F2F2F2")
    for index, name in enumerate(columns.names, start=1):
        header = sheet.cell(row=1, column=index)
        header.font, header.fill = bold, grey
        note = sheet.cell(row=2, column=index)
        note.font = Font(italic=True, color="666666", size=9)
        note.alignment = Alignment(wrap_text=True, vertical="top")
        wide = name == TITLE or any(name == column for _key, column in columns.sections)
        sheet.column_dimensions[get_column_letter(index)].width = 40 if wide else 16
    sheet.freeze_panes = "A3"
    for name, choices in (
        (KIND, [str(ProposalKind(meeting.item_kind).label)]),
        (OUTCOME, list(OUTCOMES)),
    ):
        letter = get_column_letter(columns.names.index(name) + 1)
        validation = DataValidation(type="list", formula1='"' + ",".join(choices) + '"')
        validation.add(f"{letter}3:{letter}20002")
        sheet.add_data_validation(validation)
    values = workbook.create_sheet(_("可选值"))
    values.append([_("分类"), _("承办单位（全称）"), _("简称")])
    categories = [
        str(c)
        for c in Category.objects.filter(body=meeting.body, is_active=True).select_related("parent")
    ]
    units = list(Unit.objects.filter(is_active=True).values_list("name", "short_name"))
    for index in range(max(len(categories), len(units))):
        name, short = units[index] if index < len(units) else ("", "")
        values.append([categories[index] if index < len(categories) else "", name, short])
    for worksheet in (sheet, values):
        for row in worksheet.iter_rows():
            for cell in row:
                if isinstance(cell.value, str):
                    cell.data_type = "s"  # names are text, never a formula (one starting with =)
    for letter in "ABC":
        values.column_dimensions[letter].width = 30
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def template_filename(meeting: Meeting) -> str:
    return _("%(meeting)s-导入模板.xlsx") % {"meeting": meeting.short_name}


# --- reading ---------------------------------------------------------------------------------


@dataclass
class Row:
    """One data row: its row number in Excel and its values by column."""

    number: int
    values: dict[str, Any] = field(default_factory=dict)

    def text(self, column: str) -> str:
        return cell_text(self.values.get(column))


@dataclass
class Sheet:
    columns: Columns
    rows: list[Row]


def cell_text(value: Any) -> str:
    """A cell as text: numbers without a trailing .0, dates as 2026-01-15, blanks trimmed."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else str(value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value).replace("\x00", "").strip()


def max_bytes() -> int:
    return int(settings.IMPORT_MAX_BYTES)


def max_rows() -> int:
    return int(settings.IMPORT_MAX_ROWS)


def too_large_message(size: int) -> str:
    return _("文件大小为 %(size)s，超过了 %(limit)s 的上限。请分成几个文件导入。") % {
        "size": filesizeformat(size),
        "limit": filesizeformat(max_bytes()),
    }


def check_upload(upload: UploadedFile) -> None:
    """What can be told without opening the workbook: size and content type."""
    size = upload.size or 0
    if size > max_bytes():
        raise SheetError(too_large_message(size))
    if size == 0:
        raise SheetError(_("上传的是空文件。"))
    upload.seek(0)
    head = upload.read(8)
    upload.seek(0)
    if head.startswith(OLE_MAGIC):
        raise SheetError(
            _("这是旧版的 .xls 文件。请在 Excel 或 WPS 中“另存为”Excel 工作簿（.xlsx）后再上传。")
        )
    if content_type_for(upload, ".xlsx") is None:
        raise SheetError(
            _("这不是 Excel 文件（.xlsx）。请下载导入模板，填好后上传；不要只改文件的扩展名。")
        )


def _check_unzipped(source: IO[bytes]) -> None:
    try:
        with zipfile.ZipFile(source) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as error:
        raise SheetError(_("无法读取这个 Excel 文件，文件可能已损坏。")) from error
    finally:
        source.seek(0)
    if unpacked > UNZIPPED_RATIO * max_bytes():
        raise SheetError(
            _("这个 Excel 文件解压后有 %(size)s，内容过大。请分成几个文件导入。")
            % {"size": filesizeformat(unpacked)}
        )


def read_sheet(source: IO[bytes], meeting: Meeting) -> Sheet:
    """The rows of the first worksheet of `source` (an .xlsx already checked by check_upload,
    or the stored file of a batch), or SheetError."""
    _check_unzipped(source)
    try:
        workbook = load_workbook(source, read_only=True, data_only=False)
    except Exception as error:  # openpyxl raises many kinds on a damaged or odd file
        raise SheetError(_("无法读取这个 Excel 文件，文件可能已损坏。")) from error
    try:
        return _read(workbook, meeting)
    except SheetError:
        raise
    except Exception as error:  # a malformed sheet part: never a server error
        raise SheetError(_("无法读取这个 Excel 文件，文件可能已损坏。")) from error
    finally:
        workbook.close()


def _is_formula(cell: Any) -> bool:
    value = getattr(cell, "value", None)
    if getattr(cell, "data_type", None) == "f":
        return True
    return isinstance(value, str) and value.startswith("=")


def _read(workbook: Any, meeting: Meeting) -> Sheet:
    if not workbook.worksheets:
        raise SheetError(_("表格是空的。"))
    sheet = workbook.worksheets[0]
    columns = columns_for(meeting)
    rows = sheet.iter_rows(max_col=MAX_COLUMNS)
    header_cells = next(rows, None)
    if header_cells is None:
        raise SheetError(_("表格是空的。"))
    headers = [cell_text(getattr(cell, "value", None)) for cell in header_cells]
    while headers and not headers[-1]:
        headers.pop()
    if not headers:
        raise SheetError(
            _("表格是空的：第1行应为列名（%(names)s）。") % {"names": enumeration(columns.names)}
        )
    _check_headers(headers, columns)
    found: list[Row] = []
    formulas: list[str] = []
    limit = max_rows()
    for index, cells in enumerate(rows, start=2):
        values: dict[str, Any] = {}
        for position, cell in enumerate(cells[: len(headers)]):
            if _is_formula(cell):
                formulas.append(f"{get_column_letter(position + 1)}{index}")
            value = getattr(cell, "value", None)
            if headers[position] and value is not None and cell_text(value) != "":
                values[headers[position]] = value
        if not values:
            continue
        if index == 2 and _is_note_row(values):
            continue
        found.append(Row(index, values))
        if len(found) > limit:
            raise SheetError(
                _("表格超过了 %(limit)s 行的上限。请分成几个文件导入。") % {"limit": limit}
            )
    if formulas:
        shown = "、".join(formulas[:5]) + ("……" if len(formulas) > 5 else "")
        raise SheetError(
            _(
                "表格中有公式（%(cells)s）。导入只收数值：请复制这些单元格，"
                "“选择性粘贴”为“数值”后保存，再上传。"
            )
            % {"cells": shown}
        )
    if not found:
        raise SheetError(_("表格中没有数据：请从第3行起每行填写一件。"))
    return Sheet(columns, found)


def _is_note_row(values: dict[str, Any]) -> bool:
    texts = [cell_text(v) for v in values.values()]
    return all(text.startswith(NOTE_PREFIX) for text in texts)


def _check_headers(headers: list[str], columns: Columns) -> None:
    known = set(columns.names)
    named = [h for h in headers if h]
    duplicates = sorted({h for h in named if named.count(h) > 1})
    missing = [name for name in columns.required if name not in named]
    unknown = [h for h in named if h not in known]
    problems = []
    if missing:
        problems.append(_("缺少列：%(names)s") % {"names": "、".join(missing)})
    if unknown:
        problems.append(_("不认识的列：%(names)s") % {"names": "、".join(unknown)})
    if duplicates:
        problems.append(_("重复的列：%(names)s") % {"names": "、".join(duplicates)})
    if problems:
        raise SheetError(
            _("表格的列与本次会议的导入模板不符（%(problems)s）。模板的列为：%(names)s。")
            % {"problems": "；".join(problems), "names": "、".join(columns.names)}
        )

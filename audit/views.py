"""The audit trail for the audit administrator: the filtered list and its export (CSV or
Excel). Nobody else may open either (三员分立: the system and the security administrator may not
read what is recorded about their own work)."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.decorators import role_required
from accounts.models import Role
from accounts.signals import security_event_send
from proposals.workbook import XLSX_CONTENT_TYPE, Column, safe_cell, write_rows

from .filters import AuditRecordFilter
from .models import AuditRecord

# a larger export is refused with a message to narrow the time range (the trail can be millions
# of rows; 100 000 rows are written in a few seconds)
EXPORT_MAX_ROWS = 100_000
COLUMNS = [
    Column(gettext_lazy("序号"), 10),
    Column(gettext_lazy("时间"), 20),
    Column(gettext_lazy("账号"), 16),
    Column(gettext_lazy("地址"), 18),
    Column(gettext_lazy("操作"), 24),
    Column(gettext_lazy("对象"), 24),
    Column(gettext_lazy("结果"), 8),
    Column(gettext_lazy("详情"), 60),
    Column(gettext_lazy("哈希"), 20),
]


def _filtered(request: HttpRequest) -> AuditRecordFilter:
    return AuditRecordFilter(
        request.GET or None, queryset=AuditRecord.objects.order_by("-sequence")
    )


def _no_store(response: HttpResponseBase) -> HttpResponseBase:
    patch_cache_control(response, private=True, no_store=True)
    return response


@role_required(Role.AUDIT_ADMINISTRATOR)
def record_list(request: HttpRequest) -> HttpResponseBase:
    records = _filtered(request)
    page = Paginator(records.qs, settings.AUDIT_PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    response = render(
        request,
        "audit/record_list.html",
        {"filter": records, "page": page, "query": query.urlencode(), "title": _("安全审计")},
    )
    return _no_store(response)


def _row(record: AuditRecord) -> list[Any]:
    return [
        record.sequence,
        record.created_at,
        record.actor_username,
        record.address or "",
        record.action,
        record.target,
        record.get_result_display(),
        json.dumps(record.detail, ensure_ascii=False),
        record.hash,
    ]


@role_required(Role.AUDIT_ADMINISTRATOR)
def record_export(request: HttpRequest) -> HttpResponseBase:
    """The filtered records as CSV (?format=csv) or Excel; the export is itself recorded."""
    records = _filtered(request)
    queryset = records.qs
    total = queryset.count()
    query = request.GET.copy()
    kind = "csv" if query.pop("format", ["xlsx"])[-1] == "csv" else "xlsx"
    if total > EXPORT_MAX_ROWS:
        messages.error(
            request,
            _("符合条件的记录有 %(total)d 条，超过一次最多导出的 %(limit)d 条，请缩小时间范围。")
            % {"total": total, "limit": EXPORT_MAX_ROWS},
        )
        return redirect(f"{reverse('audit:list')}?{query.urlencode()}")
    security_event_send(
        "export.audit",
        target="audit",
        detail={"rows": total, "format": kind, "query": query.urlencode()[:500]},
        request=request,
    )
    rows = (_row(record) for record in queryset.iterator(chunk_size=2000))
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    if kind == "csv":
        text = io.StringIO()
        text.write("\ufeff")  # so that Excel opens the UTF-8 file as UTF-8
        writer = csv.writer(text)
        writer.writerow([str(column.header) for column in COLUMNS])
        for row in rows:
            writer.writerow([_csv_cell(value) for value in row])
        response: HttpResponseBase = HttpResponse(
            text.getvalue().encode("utf-8"), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = f'attachment; filename="audit-{stamp}.csv"'
        return _no_store(response)
    content = write_rows(rows, COLUMNS, sheet_title=_("安全审计"))
    response = FileResponse(
        io.BytesIO(content),
        as_attachment=True,
        filename=_("安全审计-%(stamp)s.xlsx") % {"stamp": stamp},
        content_type=XLSX_CONTENT_TYPE,
    )
    return _no_store(response)


def _csv_cell(value: Any) -> Any:
    """Like an Excel cell: times in local time, text that a spreadsheet would run as a formula
    behind a leading '."""
    cell = safe_cell(value)
    return cell.strftime("%Y-%m-%d %H:%M:%S") if hasattr(cell, "strftime") else cell

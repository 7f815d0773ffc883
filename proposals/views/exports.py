"""Excel exports of the filtered lists: the file at once for up to EXPORT_SYNC_MAX_ROWS rows,
otherwise a background job with a progress page. Only a job's owner sees and downloads it.
The item export's columns are the person's choice, remembered for their later exports."""

from __future__ import annotations

import io

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    QueryDict,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from accounts.decorators import role_required
from accounts.models import Role
from accounts.signals import security_event_send

from .. import exports
from ..export_items import ITEM_COLUMNS
from ..models import ExportJob, ExportKind, ExportStatus
from ..workbook import XLSX_CONTENT_TYPE
from .common import error_text

REFRESH_SECONDS = 2


def _no_store(response: HttpResponseBase) -> HttpResponseBase:
    patch_cache_control(response, private=True, no_store=True)
    return response


def _export(request: HttpRequest, kind: str) -> HttpResponseBase:
    user = request.user
    query = exports.clean_query(request.GET)
    keys = exports.chosen_columns(user, kind)
    queryset = exports.export_queryset(kind, user, query)
    total = queryset.count()
    if total > exports.sync_max_rows():
        job = exports.start_job(
            owner=user, kind=kind, query=exports.job_query(kind, query, keys), total=total
        )
        security_event_send(
            f"export.{kind}.queued",
            target=f"export_job:{job.pk}",
            detail={"rows": total, "query": query[:500], "columns": list(keys)},
            request=request,
        )
        return redirect("proposals:export_status", pk=job.pk)
    content = exports.export_bytes(kind, user, queryset, keys)
    # who took which rows out of the system: the audit trail (accounts.signals)
    security_event_send(
        f"export.{kind}",
        target=f"export:{kind}",
        detail={"rows": total, "query": query[:500], "columns": list(keys)},
        request=request,
    )
    response = FileResponse(
        io.BytesIO(content),
        as_attachment=True,
        filename=exports.export_filename(kind),
        content_type=XLSX_CONTENT_TYPE,
    )
    return _no_store(response)


class ExportColumnsForm(forms.Form):
    """The columns of the item export, and the list's filters to export with them."""

    columns = forms.MultipleChoiceField(
        label=gettext_lazy("导出的列"),
        widget=forms.CheckboxSelectMultiple,
        choices=[(column.key, column.header) for column in ITEM_COLUMNS],
        required=False,
    )
    query = forms.CharField(widget=forms.HiddenInput, required=False, max_length=4000)


def export_columns_form(request: HttpRequest) -> ExportColumnsForm:
    """The column choice shown next to the item list's export button: the person's last
    choice ticked, and the list's current filters kept."""
    return ExportColumnsForm(
        prefix="export",
        initial={
            "columns": list(exports.chosen_columns(request.user, ExportKind.ITEMS)),
            "query": exports.clean_query(request.GET),
        },
    )


def _list_url(name: str, query: str) -> str:
    return reverse(name) + (f"?{query}" if query else "")


@require_POST
@login_required
def export_columns(request: HttpRequest) -> HttpResponse:
    """Remember the columns chosen for the item export and export with them (or, with
    `reset`, go back to the default columns)."""
    form = ExportColumnsForm(request.POST, prefix="export")
    # the list's filters, kept whatever else was wrong with the form
    query = exports.clean_query(QueryDict(request.POST.get(form.add_prefix("query"), "")[:4000]))
    if not form.is_valid():
        messages.error(request, _("所选的列不存在，请重新选择。"))
        return redirect(_list_url("proposals:list", query))
    if "reset" in request.POST:
        exports.export_columns_reset(user=request.user, kind=ExportKind.ITEMS)
        messages.success(request, _("已恢复默认的导出列。"))
        return redirect(_list_url("proposals:list", query))
    try:
        exports.export_columns_remember(
            user=request.user, kind=ExportKind.ITEMS, columns=form.cleaned_data["columns"]
        )
    except ValidationError as error:
        messages.error(request, error_text(error))
        return redirect(_list_url("proposals:list", query))
    return redirect(_list_url("proposals:export_items", query))


@login_required
def export_items(request: HttpRequest) -> HttpResponseBase:
    """建议提案 as filtered on /items/ (every logged-in user sees their own items there)."""
    return _export(request, ExportKind.ITEMS)


@role_required(Role.UNIT_STAFF, Role.UNIT_LEADER)
def export_workspace(request: HttpRequest) -> HttpResponseBase:
    """本单位承办 as filtered on /items/work/."""
    return _export(request, ExportKind.WORKSPACE)


@role_required(Role.UNIT_STAFF, Role.UNIT_LEADER, Role.SUPERVISOR)
def export_follow_ups(request: HttpRequest) -> HttpResponseBase:
    """落实情况 as filtered on /replies/follow-ups/."""
    return _export(request, ExportKind.FOLLOW_UPS)


def _own_job(request: HttpRequest, pk: int) -> ExportJob:
    return get_object_or_404(ExportJob, pk=pk, owner_id=request.user.pk)


@login_required
def export_status(request: HttpRequest, pk: int) -> HttpResponse:
    job = _own_job(request, pk)
    if exports.requeue_if_stalled(job):
        job.refresh_from_db()
    spec = exports.EXPORTS[job.kind]
    query, _keys = exports.split_job_query(job.kind, job.query)
    back_url = _list_url(spec.list_url, query)
    response = render(
        request,
        "proposals/export_status.html",
        {
            "job": job,
            "back_url": back_url,
            "refresh_seconds": REFRESH_SECONDS,
            "title": _("导出Excel"),
        },
    )
    if job.is_active:
        response["Refresh"] = str(REFRESH_SECONDS)  # the <meta> in the page does the same
    _no_store(response)
    return response


@login_required
def export_download(request: HttpRequest, pk: int) -> HttpResponseBase:
    job = _own_job(request, pk)
    if job.status != ExportStatus.READY or not job.file:
        raise Http404(_("这个导出文件还没有生成。"))
    try:
        handle = job.file.open("rb")
    except FileNotFoundError as error:
        raise Http404(_("这个导出文件已不存在，请重新导出。")) from error
    security_event_send(
        f"export.{job.kind}",
        target=f"export_job:{job.pk}",
        detail={"rows": job.total, "background": True},
        request=request,
    )
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=exports.export_filename(job.kind, job.created_at),
        content_type=XLSX_CONTENT_TYPE,
    )
    return _no_store(response)

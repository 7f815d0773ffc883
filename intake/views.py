"""The supervisory office's import pages: the template, the upload and its preview, accepting,
the progress of a background import and its result. Supervisors only, for the meetings of the
bodies they supervise; another body's batches answer 404."""

from __future__ import annotations

import io

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import filesizeformat
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_POST

from accounts.decorators import role_required
from accounts.models import Role
from accounts.signals import security_event_send
from proposals.models import Proposal
from proposals.separators import clauses
from proposals.workbook import XLSX_CONTENT_TYPE

from . import importer, sheet
from .forms import MeetingForm, UploadForm
from .models import BatchStatus, ImportBatch
from .uploads import TOO_LARGE, SizeLimitHandler

REFRESH_SECONDS = 2
RECENT_BATCHES = 20
SHOWN_ITEMS = 50


def _no_store(response: HttpResponseBase) -> HttpResponseBase:
    patch_cache_control(response, private=True, no_store=True)
    return response


def _index(
    request: HttpRequest, upload_form: UploadForm, status: int = 200, error: str = ""
) -> HttpResponse:
    template_form = MeetingForm(user=request.user, prefix="template")
    batches = importer.batches_for(request.user).select_related("meeting", "owner")
    batches = batches[:RECENT_BATCHES]
    return render(
        request,
        "intake/index.html",
        {
            "title": _("导入建议提案"),
            "upload_form": upload_form,
            "template_form": template_form,
            "batches": batches,
            "upload_error": error,
            "max_size": filesizeformat(sheet.max_bytes()),
            "max_rows": sheet.max_rows(),
        },
        status=status,
    )


@csrf_exempt  # only so that the upload handler goes first; _upload checks the token
def index(request: HttpRequest) -> HttpResponseBase:
    """The upload form (with the template's download) and the recent batches; a posted sheet
    is checked and kept, and its preview shown."""
    request.upload_handlers.insert(0, SizeLimitHandler(request))
    return _upload(request)


@csrf_protect
@role_required(Role.SUPERVISOR)
def _upload(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return _index(request, UploadForm(user=request.user))
    form = UploadForm(request.POST, request.FILES, user=request.user)
    refused = getattr(request, TOO_LARGE, 0)
    if refused:  # not stored: the handler stopped at the limit
        form = UploadForm(user=request.user, initial={"meeting": request.POST.get("meeting")})
        return _index(request, form, status=413, error=sheet.too_large_message(refused))
    if not form.is_valid():
        return _index(request, form, status=400)
    try:
        batch = importer.batch_upload(
            owner=request.user,  # type: ignore[arg-type]
            meeting=form.cleaned_data["meeting"],
            upload=form.cleaned_data["file"],
        )
    except sheet.SheetError as error:
        return _index(request, form, status=400, error=str(error))
    except PermissionDenied:
        raise
    return redirect("intake:batch", pk=batch.pk)


@role_required(Role.SUPERVISOR)
def template(request: HttpRequest) -> HttpResponseBase:
    """The template of the chosen meeting (?template-meeting=ID, or ?meeting=ID)."""
    data = request.GET.copy()
    if "meeting" in data and "template-meeting" not in data:
        data["template-meeting"] = data.get("meeting", "")
    form = MeetingForm(data, user=request.user, prefix="template")
    if not form.is_valid():
        messages.error(request, _("请选择您督办的届次会议。"))
        return redirect("intake:index")
    meeting = form.cleaned_data["meeting"]
    security_event_send("export.import_template", target=f"meeting:{meeting.pk}", request=request)
    response = FileResponse(
        io.BytesIO(sheet.template_bytes(meeting)),
        as_attachment=True,
        filename=sheet.template_filename(meeting),
        content_type=XLSX_CONTENT_TYPE,
    )
    return _no_store(response)


def _batch(request: HttpRequest, pk: int) -> ImportBatch:
    return get_object_or_404(
        importer.batches_for(request.user).select_related("meeting", "owner"),
        pk=pk,
    )


@role_required(Role.SUPERVISOR)
def batch_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The preview (every bad row with its errors, the good ones), the progress of a running
    import (the page refreshes itself, no script needed), or the result."""
    batch = _batch(request, pk)
    if importer.requeue_if_stalled(batch):
        batch.refresh_from_db()
    items = []
    if batch.proposal_ids:
        items = list(
            Proposal.objects.filter(pk__in=batch.proposal_ids[:SHOWN_ITEMS])
            .only("pk", "title", "number_label", "status")
            .order_by("pk")
        )
    bad = [row for row in batch.rows if row.get("errors")]
    good = [row for row in batch.rows if not row.get("errors")]
    upload_form = UploadForm(user=request.user, initial={"meeting": batch.meeting_id})
    response = render(
        request,
        "intake/batch.html",
        {
            "title": _("导入预览") if batch.status == BatchStatus.CHECKED else _("导入建议提案"),
            "batch": batch,
            "bad_rows": bad,
            "good_rows": good,
            "good_hidden": batch.good_rows - len(good),
            "items": items,
            "more_items": max(0, batch.imported - len(items)),
            "upload_form": upload_form,
            "refresh_seconds": REFRESH_SECONDS,
            "sync_max_rows": importer.sync_max_rows(),
        },
    )
    if batch.is_active:
        response["Refresh"] = str(REFRESH_SECONDS)  # the <meta> in the page does the same
    _no_store(response)
    return response


@require_POST
@role_required(Role.SUPERVISOR)
def batch_accept(request: HttpRequest, pk: int) -> HttpResponse:
    batch = _batch(request, pk)
    try:
        batch = importer.batch_accept(batch=batch, actor=request.user)  # type: ignore[arg-type]
    except ValidationError as error:
        messages.error(request, clauses(str(m) for m in error.messages))
        return redirect("intake:batch", pk=batch.pk)
    if batch.status == BatchStatus.IMPORTED:
        messages.success(
            request,
            ngettext("已导入 %(n)s 件。", "已导入 %(n)s 件。", batch.imported)
            % {"n": batch.imported},
        )
    elif batch.status == BatchStatus.FAILED:
        messages.error(request, batch.error)
    return redirect("intake:batch", pk=batch.pk)

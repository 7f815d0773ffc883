"""办理工作报告: the supervisor chooses a meeting, or a year and a body, the report is written in
the background (a progress page that refreshes itself, no script) and downloaded as .docx and
PDF by its owner only."""

from __future__ import annotations

from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _

from accounts.decorators import role_required
from accounts.models import Role, User
from accounts.signals import security_event_send

from . import jobs
from .documents import DOCX_CONTENT_TYPE
from .forms import ReportForm
from .models import ReportJob, ReportStatus

REFRESH_SECONDS = 2
RECENT_JOBS = 10


def _no_store(response: HttpResponseBase) -> HttpResponseBase:
    patch_cache_control(response, private=True, no_store=True)
    return response


@role_required(Role.SUPERVISOR)
def report_index(request: HttpRequest) -> HttpResponse:
    """The form (a meeting, or a year and a body) and the person's recent reports."""
    user: User = request.user  # type: ignore[assignment]
    form = ReportForm(request.POST if request.method == "POST" else None, user=user)
    if request.method == "POST" and form.is_valid():
        scope = form.cleaned_data["scope"]
        jobs.check_scope(user, scope)
        job = jobs.start_job(owner=user, scope=scope)
        security_event_send(
            "report.queued",
            target=f"report_job:{job.pk}",
            detail={
                "meeting": scope.meeting.pk if scope.meeting else None,
                "year": scope.year,
                "body": scope.body,
            },
            request=request,
        )
        return redirect("reports:status", pk=job.pk)
    recent = ReportJob.objects.filter(owner=user).select_related("meeting")[:RECENT_JOBS]
    return render(
        request,
        "reports/index.html",
        {"title": _("办理工作报告"), "form": form, "recent": recent},
    )


def _own_job(request: HttpRequest, pk: int) -> ReportJob:
    """The person's own job; anyone else's is a 404."""
    return get_object_or_404(ReportJob.objects.select_related("meeting"), pk=pk, owner=request.user)


@role_required(Role.SUPERVISOR)
def report_status(request: HttpRequest, pk: int) -> HttpResponse:
    job = _own_job(request, pk)
    if jobs.requeue_if_stalled(job):
        job.refresh_from_db()
    response = render(
        request,
        "reports/status.html",
        {"job": job, "refresh_seconds": REFRESH_SECONDS, "title": _("办理工作报告")},
    )
    if job.is_active:
        response["Refresh"] = str(REFRESH_SECONDS)  # the <meta> in the page does the same
    _no_store(response)
    return response


FORMATS = {"docx": DOCX_CONTENT_TYPE, "pdf": "application/pdf"}


@role_required(Role.SUPERVISOR)
def report_download(request: HttpRequest, pk: int, fmt: str) -> HttpResponseBase:
    job = _own_job(request, pk)
    if fmt not in FORMATS:
        raise Http404
    stored = job.docx if fmt == "docx" else job.pdf
    if job.status != ReportStatus.READY or not stored:
        raise Http404(_("这份报告还没有生成。"))
    try:
        handle = stored.open("rb")
    except FileNotFoundError as error:
        raise Http404(_("这份报告的文件已不存在，请重新生成。")) from error
    security_event_send(
        f"report.download.{fmt}", target=f"report_job:{job.pk}", detail={}, request=request
    )
    filename = f"report-{job.created_at:%Y%m%d}-{job.pk}.{fmt}"
    response = FileResponse(
        handle, as_attachment=True, filename=filename, content_type=FORMATS[fmt]
    )
    return _no_store(response)

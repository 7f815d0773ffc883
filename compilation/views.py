"""The 汇编: started from the card on the supervisor's dashboard, a background job with a
progress page that refreshes itself (no script), then the download. Supervisors of the
meeting's body only; a job is its owner's alone."""

from __future__ import annotations

from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.decorators import role_required
from accounts.models import Role, User
from accounts.signals import security_event_send
from proposals.models import ExportStatus

from . import jobs
from .book import book_title
from .forms import CompilationForm
from .models import CompilationJob

REFRESH_SECONDS = 2


def _no_store(response: HttpResponseBase) -> HttpResponseBase:
    patch_cache_control(response, private=True, no_store=True)
    return response


@role_required(Role.SUPERVISOR)
def index(request: HttpRequest) -> HttpResponse:
    """The form alone (where the dashboard's card sends a form with errors), and this person's
    recent books."""
    user: User = request.user  # type: ignore[assignment]
    form = CompilationForm(request.GET or None, user=user)
    recent = CompilationJob.objects.filter(owner=user).select_related("meeting")[:10]
    return render(
        request,
        "compilation/index.html",
        {"form": form, "recent": recent, "title": _("生成汇编")},
    )


@require_POST
@role_required(Role.SUPERVISOR)
def start(request: HttpRequest) -> HttpResponseBase:
    user: User = request.user  # type: ignore[assignment]
    form = CompilationForm(request.POST, user=user)
    if not form.is_valid():
        recent = CompilationJob.objects.filter(owner=user).select_related("meeting")[:10]
        return render(
            request,
            "compilation/index.html",
            {"form": form, "recent": recent, "title": _("生成汇编")},
            status=400,
        )
    meeting, edition = form.cleaned_data["meeting"], form.cleaned_data["edition"]
    job = jobs.start_job(owner=request.user, meeting=meeting, edition=edition)
    security_event_send(
        "compilation.queued",
        target=f"compilation_job:{job.pk}",
        detail={"meeting": meeting.pk, "edition": edition},
        request=request,
    )
    messages.success(request, _("汇编已开始生成。"))
    return redirect("compilation:status", pk=job.pk)


def _own_job(request: HttpRequest, pk: int) -> CompilationJob:
    job = get_object_or_404(
        CompilationJob.objects.select_related("meeting"), pk=pk, owner_id=request.user.pk
    )
    if job.meeting.body not in request.user.supervised_bodies():  # type: ignore[union-attr]
        raise Http404(_("没有找到这份汇编。"))
    return job


@role_required(Role.SUPERVISOR)
def status(request: HttpRequest, pk: int) -> HttpResponse:
    job = _own_job(request, pk)
    if jobs.requeue_if_stalled(job):
        job.refresh_from_db()
    response = render(
        request,
        "compilation/status.html",
        {
            "job": job,
            "refresh_seconds": REFRESH_SECONDS,
            "back_url": reverse("proposals:dashboard"),
            "title": _("生成汇编"),
        },
    )
    if job.is_active:
        response["Refresh"] = str(REFRESH_SECONDS)  # the <meta> in the page does the same
    _no_store(response)
    return response


@role_required(Role.SUPERVISOR)
def download(request: HttpRequest, pk: int) -> HttpResponseBase:
    job = _own_job(request, pk)
    if job.status != ExportStatus.READY or not job.file:
        raise Http404(_("这份汇编还没有生成。"))
    try:
        handle = job.file.open("rb")
    except FileNotFoundError as error:
        raise Http404(_("这份汇编的文件已不存在，请重新生成。")) from error
    security_event_send(
        "compilation.download",
        target=f"compilation_job:{job.pk}",
        detail={"meeting": job.meeting_id, "edition": job.edition, "items": job.total},
        request=request,
    )
    day = timezone.localtime(job.created_at)
    name = f"{book_title(job.meeting)}（{job.get_edition_display()}）-{day:%Y%m%d}.pdf"
    response = FileResponse(
        handle, as_attachment=True, filename=name, content_type="application/pdf"
    )
    return _no_store(response)

"""Login, password change and the home page of each role."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.models import Notification, User
from proposals.models import (
    Assignment,
    AssignmentStatus,
    CoSignerStatus,
    ExtensionRequest,
    Meeting,
    Proposal,
    ProposalStatus,
    RequestStatus,
    ReturnRequest,
)


@login_required
def home(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    visible = Proposal.objects.for_user(user).select_related("meeting", "lead", "category__parent")
    context: dict[str, object] = {"title": _("首页")}
    if user.is_member:  # type: ignore[union-attr]
        context["drafts"] = visible.filter(lead=user, status=ProposalStatus.DRAFT)[:10]
        context["mine"] = visible.filter(lead=user).exclude(status=ProposalStatus.DRAFT)[:10]
        context["invitations"] = user.cosignatures.filter(
            status=CoSignerStatus.INVITED, proposal__status=ProposalStatus.DRAFT
        ).select_related("proposal", "proposal__lead", "proposal__meeting")  # type: ignore[union-attr]
        context["open_meetings"] = [
            m
            for m in Meeting.objects.filter(body=user.member_profile.body)
            if m.is_open_for_submission()  # type: ignore[union-attr]
        ]
        template = "accounts/home_member.html"
    elif user.is_supervisor:  # type: ignore[union-attr]
        counts = visible.values("status").annotate(n=Count("pk")).order_by()
        by_status = {row["status"]: row["n"] for row in counts}
        context["status_counts"] = [
            (code, label, by_status.get(code, 0))
            for code, label in ProposalStatus.choices
            if code != ProposalStatus.DRAFT
        ]
        context["awaiting"] = visible.filter(status=ProposalStatus.SUBMITTED).order_by(
            "submitted_at"
        )[:10]
        context["to_review"] = by_status.get(ProposalStatus.SUBMITTED, 0)
        context["to_assign"] = by_status.get(ProposalStatus.REGISTERED, 0)
        scope = {
            "assignment__proposal__meeting__body__in": user.supervised_bodies(),
            "status": RequestStatus.PENDING_SUPERVISOR,
        }
        context["pending_requests"] = (
            ReturnRequest.objects.filter(**scope).count()
            + ExtensionRequest.objects.filter(**scope).count()
        )
        context["overdue"] = Assignment.objects.for_user(user).overdue().count()
        template = "accounts/home_supervisor.html"
    elif user.is_unit_user:  # type: ignore[union-attr]
        context["unit"] = user.unit
        assignments = Assignment.objects.filter(unit_id=user.unit_id or 0).select_related(
            "proposal"
        )
        context["open_assignments"] = assignments.open().order_by("due_on")[:10]
        context["to_accept"] = assignments.filter(status=AssignmentStatus.ASSIGNED).count()
        context["overdue"] = assignments.overdue().count()
        context["due_soon"] = assignments.due_within(15).count()
        template = "accounts/home_unit.html"
    else:
        context["meetings"] = Meeting.objects.all()[:10]
        template = "accounts/home_admin.html"
    return render(request, template, context)


@login_required
def notification_list(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    notices = user.notifications.all()
    page = Paginator(notices, 30).get_page(request.GET.get("page"))
    return render(request, "accounts/notifications.html", {"page": page, "title": _("通知")})


@login_required
def notification_open(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark one of the user's own notices read and follow its link (404 for anyone else's)."""
    user: User = request.user  # type: ignore[assignment]
    notice = get_object_or_404(Notification, pk=pk, recipient=user)
    Notification.objects.filter(pk=notice.pk, read_at__isnull=True).update(read_at=timezone.now())
    target = notice.url if url_has_allowed_host_and_scheme(notice.url, allowed_hosts=None) else ""
    return redirect(target or "accounts:notifications")


@require_POST
@login_required
def notification_read_all(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    user.notifications.filter(read_at__isnull=True).update(read_at=timezone.now())
    return redirect("accounts:notifications")

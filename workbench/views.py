"""Each role's home page: the work waiting for this person (workbenches)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from accounts.models import User
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
        template = "workbench/home_member.html"
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
        template = "workbench/home_supervisor.html"
    elif user.is_unit_user:  # type: ignore[union-attr]
        context["unit"] = user.unit
        assignments = Assignment.objects.filter(unit_id=user.unit_id or 0).select_related(
            "proposal"
        )
        context["open_assignments"] = assignments.open().order_by("due_on")[:10]
        context["to_accept"] = assignments.filter(status=AssignmentStatus.ASSIGNED).count()
        context["overdue"] = assignments.overdue().count()
        context["due_soon"] = assignments.due_within(15).count()
        template = "workbench/home_unit.html"
    else:
        context["meetings"] = Meeting.objects.all()[:10]
        template = "workbench/home_admin.html"
    return render(request, template, context)

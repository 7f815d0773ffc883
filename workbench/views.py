"""Each role's home page: the work waiting for this person (workbenches)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from proposals.models import Meeting

from . import queues


def _due_days(request: HttpRequest) -> int:
    """The unit's "due within N days" window: ?days=N (1 to 90), else the default."""
    value = request.GET.get("days", "")
    if value.isascii() and value.isdigit() and 1 <= int(value) <= queues.MAX_DUE_DAYS:
        return int(value)
    return queues.DEFAULT_DUE_DAYS


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """The person's queues, most urgent first, each row one click from where they act."""
    user: User = request.user  # type: ignore[assignment]
    context: dict[str, object] = {"title": _("工作台"), "today": timezone.localdate()}
    if user.is_security_administrator or user.is_audit_administrator:
        # 三员分立: no items, no queues; their work is in the admin or the audit trail
        return render(request, "workbench/home_officer.html", context)
    if user.is_administrator and not (user.is_member or user.is_unit_user or user.is_supervisor):
        context["meetings"] = Meeting.objects.all()[:10]
        return render(request, "workbench/home_admin.html", context)
    due_days = _due_days(request)
    with queues.without_parallel_workers():
        work = queues.fill(queues.queues_for(user, due_days=due_days))
    # the navigation's badges come from the same counts (workbench.context_processors)
    request.workbench_queues = work  # type: ignore[attr-defined]
    context.update(
        {
            "queues": work,
            "empty_queues": [
                q for q in work if not q.count and not q.always_shown and not q.summary
            ],
            "summary_queues": [q for q in work if q.summary],
            "due_days": due_days,
            "due_day_choices": (7, 15, 30, 60),
        }
    )
    if user.is_member:
        profile = getattr(user, "member_profile", None)
        context["open_meetings"] = [
            meeting
            for meeting in Meeting.objects.filter(body=profile.body if profile else "")
            if meeting.is_open_for_submission()
        ]
        template = "workbench/home_member.html"
    elif user.is_supervisor:
        template = "workbench/home_supervisor.html"
    else:
        context["unit"] = user.unit
        template = "workbench/home_unit.html"
    return render(request, template, context)

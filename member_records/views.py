"""The record pages: a member's own (/records/me/), one member's (/records/<id>/: the member
themselves or a supervisor of their body; anyone else 404), the supervisors' list of members
with their counts (/records/) and its Excel export (/records/export/, audited)."""

from __future__ import annotations

import io

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _

from accounts.decorators import role_required
from accounts.models import MemberProfile, Role, User
from accounts.signals import security_event_send
from proposals.models import Meeting
from proposals.views.common import paginate
from proposals.workbook import XLSX_CONTENT_TYPE, Column, write_rows

from . import records
from .forms import MemberFilterForm, ScopeForm

FILTER_KEYS = ("meeting", "year", "body", "delegation", "sector", "q")


def _distinct(members: object, field: str) -> list[str]:
    values = (
        MemberProfile.objects.filter(user__in=members)  # type: ignore[misc]
        .exclude(**{field: ""})
        .order_by(field)
        .values_list(field, flat=True)
        .distinct()
    )
    return list(values)


def _list_form(request: HttpRequest, user: User) -> MemberFilterForm:
    bodies = user.supervised_bodies()
    members = records.members_for_user(user).values("pk")
    bound = any(key in request.GET for key in FILTER_KEYS)
    return MemberFilterForm(
        request.GET if bound else None,
        meetings=list(Meeting.objects.filter(body__in=bodies).order_by("-year", "-pk")),
        bodies=bodies,
        delegations=_distinct(members, "delegation"),
        sectors=_distinct(members, "sector"),
    )


@login_required
def member_list(request: HttpRequest) -> HttpResponse:
    """代表委员履职档案: every member of the supervisor's bodies with their counts; a member is
    sent to their own record."""
    user: User = request.user  # type: ignore[assignment]
    if user.is_member:
        return redirect("member_records:me")
    if not user.is_supervisor:
        raise PermissionDenied(_("您的角色不能使用这个页面。"))
    form = _list_form(request, user)
    scope = form.scope()
    page = paginate(request, records.member_rows(user, scope, form.member_filter()))
    labels = records.count_labels()
    for member in page.object_list:
        member.counts = [  # type: ignore[attr-defined]
            (labels[name], getattr(member, name)) for name in records.COUNTS
        ]
    return render(
        request,
        "member_records/member_list.html",
        {
            "title": _("代表委员履职档案"),
            "form": form,
            "scope": scope,
            "page": page,
            "headers": [labels[name] for name in records.COUNTS],
        },
    )


@role_required(Role.SUPERVISOR)
def member_export(request: HttpRequest) -> HttpResponseBase:
    """Every member of the list (all pages, the same filters) with their counts, as .xlsx;
    who exported which rows goes to the audit trail. No phone or address: the export is about
    what members did, not how to reach them."""
    user: User = request.user  # type: ignore[assignment]
    form = _list_form(request, user)
    if form.is_bound and not form.is_valid():
        messages.error(request, _("筛选条件有误，请修改后再导出。"))
        return redirect(f"{reverse('member_records:list')}?{request.GET.urlencode()}")
    scope = form.scope()
    members = records.member_rows(user, scope, form.member_filter())
    rows = [
        [
            member.full_name or member.username,
            member.username,
            *_profile_cells(member),
            *(getattr(member, name) for name in records.COUNTS),
        ]
        for member in members
    ]
    labels = records.count_labels()
    headers = [
        Column(_("姓名"), 14),
        Column(_("用户名"), 16),
        Column(_("所属"), 10),
        Column(_("代表团"), 18),
        Column(_("界别"), 18),
        *(Column(labels[name], 12) for name in records.COUNTS),
    ]
    content = write_rows(rows, headers, sheet_title=_("履职档案"))
    security_event_send(
        "export.member_records",
        target="export:member_records",
        detail={"rows": len(rows), "query": request.GET.urlencode()[:500]},
        request=request,
    )
    when = timezone.localtime()
    response = FileResponse(
        io.BytesIO(content),
        as_attachment=True,
        filename=f"{_('履职档案')}-{when:%Y%m%d-%H%M}.xlsx",
        content_type=XLSX_CONTENT_TYPE,
    )
    patch_cache_control(response, private=True, no_store=True)
    return response


def _profile_cells(member: User) -> list[str | None]:
    """所属, 代表团, 界别; an empty cell where there is none."""
    profile = getattr(member, "member_profile", None)
    if profile is None:
        return [None, None, None]
    return [str(profile.get_body_display()), profile.delegation or None, profile.sector or None]


@role_required(Role.MEMBER)
def my_record(request: HttpRequest) -> HttpResponse:
    """The member's own record."""
    member = records.get_member_for_user(request.user, request.user.pk)  # type: ignore[arg-type]
    return _record(request, member)


@role_required(Role.MEMBER, Role.SUPERVISOR)
def member_record(request: HttpRequest, user_id: int) -> HttpResponse:
    """One member's record: the member themselves or a supervisor of their body; 404 else."""
    member = records.get_member_for_user(request.user, user_id)  # type: ignore[arg-type]
    return _record(request, member)


def _record(request: HttpRequest, member: User) -> HttpResponse:
    profile = getattr(member, "member_profile", None)
    meetings = Meeting.objects.all()
    if profile is not None:
        meetings = meetings.filter(body=profile.body)
    bound = "meeting" in request.GET or "year" in request.GET
    form = ScopeForm(
        request.GET if bound else None, meetings=list(meetings.order_by("-year", "-pk"))
    )
    scope = form.scope()
    labels = records.count_labels()
    summary = records.meeting_rows(member, meetings, scope)
    for row in summary:
        row.cells = [row.counts[name] for name in records.COUNTS]  # type: ignore[attr-defined]
    own = member.pk == request.user.pk
    return render(
        request,
        "member_records/record.html",
        {
            "title": _("我的履职档案") if own else _("%(name)s的履职档案") % {"name": member},
            "member": member,
            "profile": profile,
            "own": own,
            "form": form,
            "scope": scope,
            "headers": [labels[name] for name in records.COUNTS],
            "summary": summary,
            "items": records.record_items(member, scope),
            "evaluations": records.record_evaluations(member, scope),
            "contacts": records.record_contacts(member, scope),
        },
    )

"""催办通知 pages: the units with overdue items, sending a notice, downloading it."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.decorators import role_required
from accounts.models import Role, Unit, User

from ..files import stored_file_response
from ..models import Assignment
from ..permissions import get_urging_notice_for_user, urging_notices_for
from ..urging import urging_notice_send
from .common import error_text


@role_required(Role.SUPERVISOR)
def urging_index(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    overdue = (
        Assignment.objects.for_user(user)
        .overdue()
        .values("unit_id", "unit__name")
        .annotate(n=Count("pk"))
        .order_by("-n", "unit__name")
    )
    notices = urging_notices_for(user)[:20]
    return render(
        request,
        "proposals/urging_index.html",
        {"overdue": overdue, "notices": notices, "title": _("催办")},
    )


@require_POST
@role_required(Role.SUPERVISOR)
def urging_send(request: HttpRequest, unit_id: int) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    unit = get_object_or_404(Unit, pk=unit_id)
    try:
        notice = urging_notice_send(unit=unit, actor=user)
    except ValidationError as error:
        messages.error(request, error_text(error))
    else:
        messages.success(
            request,
            _("已向%(unit)s发出催办通知（%(n)s件）。")
            % {"unit": unit.name, "n": notice.item_count},
        )
    return redirect("proposals:urging")


@role_required(Role.SUPERVISOR, Role.UNIT_STAFF, Role.UNIT_LEADER)
def urging_notice(request: HttpRequest, pk: int) -> FileResponse:
    """The notice, for supervisors and for the people of the unit it was sent to."""
    notice = get_urging_notice_for_user(request.user, pk)
    return stored_file_response(
        notice.file,
        as_attachment=False,
        filename=_("催办通知-%(unit)s.pdf") % {"unit": notice.unit.short_name},
        content_type="application/pdf",
    )

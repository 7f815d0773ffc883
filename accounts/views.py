"""Notices: the list, opening one (marks it read), marking all read. Login and password
change are Django's own views (urls.py); each role's home page is the workbench app's."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.models import Notification, User


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

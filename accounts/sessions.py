"""Session controls (等级保护): idle logout, an absolute lifetime, and the last-login notice.

- SessionTimeoutMiddleware logs a user out after SESSION_IDLE_MINUTES without a request and
  SESSION_ABSOLUTE_HOURS after the login, whatever the activity, and says why on the login page.
  The times live in the session itself, so every worker and every login path (the login form,
  the admin, single sign-on) is covered.
- `note_login` (a user_logged_in receiver, connected in AccountsConfig.ready) starts both clocks
  and tells the user when and from where the previous login was and how many failed logins for
  this username came since: someone else trying the password shows there.

A password change ends the user's other sessions without anything here: Django stores a hash of
the password hash in each session and drops a session whose hash no longer matches
(django.contrib.auth.get_user); the change view keeps its own session (update_session_auth_hash).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

LOGIN_AT_KEY = "_login_at"  # epoch seconds of the login
ACTIVITY_AT_KEY = "_activity_at"  # epoch seconds of the last request, to the minute
# The session is written (one UPDATE) at most this often for activity alone: idle time is
# counted in minutes, and a write at every request would double the page's database work.
ACTIVITY_RESOLUTION_SECONDS = 60


def idle_seconds() -> int:
    return int(settings.SESSION_IDLE_MINUTES) * 60


def absolute_seconds() -> int:
    return int(settings.SESSION_ABSOLUTE_HOURS) * 3600


def start_session_clocks(request: HttpRequest) -> None:
    now = timezone.now().timestamp()
    request.session[LOGIN_AT_KEY] = now
    request.session[ACTIVITY_AT_KEY] = now


def session_end_reason(request: HttpRequest, now: float) -> str:
    """ "idle", "lifetime" or "" for the logged-in session of this request."""
    login_at = request.session.get(LOGIN_AT_KEY)
    activity_at = request.session.get(ACTIVITY_AT_KEY, login_at)
    if login_at is None or activity_at is None:
        return ""
    if idle_seconds() > 0 and now - float(activity_at) >= idle_seconds():
        return "idle"
    if absolute_seconds() > 0 and now - float(login_at) >= absolute_seconds():
        return "lifetime"
    return ""


class SessionTimeoutMiddleware:
    """Ends a logged-in session that was idle too long or has lived too long (after
    AuthenticationMiddleware and MessageMiddleware)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            now = timezone.now().timestamp()
            if request.session.get(LOGIN_AT_KEY) is None:
                # a session from before this control (or a login that bypassed it): its
                # clocks start now rather than ending it at once
                start_session_clocks(request)
            else:
                reason = session_end_reason(request, now)
                if reason:
                    return self.end(request, reason)
                activity_at = float(request.session.get(ACTIVITY_AT_KEY, 0))
                if now - activity_at >= ACTIVITY_RESOLUTION_SECONDS:
                    request.session[ACTIVITY_AT_KEY] = now
        return self.get_response(request)

    def end(self, request: HttpRequest, reason: str) -> HttpResponse:
        logout(request)  # flushes the session; the message below travels in the cookie storage
        if reason == "idle":
            text = _("因长时间未操作（超过 %(minutes)d 分钟），您已退出登录，请重新登录。") % {
                "minutes": idle_seconds() // 60
            }
        else:
            text = _("登录已超过 %(hours)d 小时，为安全起见请重新登录。") % {
                "hours": absolute_seconds() // 3600
            }
        messages.info(request, text, fail_silently=True)
        if request.method == "GET":
            return redirect_to_login(request.get_full_path())
        return HttpResponseRedirect(reverse("accounts:login"))


def previous_login_notice(request: HttpRequest, username: str) -> tuple[str, int]:
    """“上次登录：时间，地址；此后登录失败 N 次” from django-axes' login records (AccessLog for
    successful logins, AccessFailureLog for failed ones; kept LOGIN_LOG_KEEP_DAYS), with the
    number of failures it counts."""
    from axes.models import AccessFailureLog, AccessLog

    # axes records this login with the time its middleware gave the request; anything before is
    # an earlier login, whichever receiver of user_logged_in runs first
    current: datetime = getattr(request, "axes_attempt_time", None) or timezone.now()
    previous = (
        AccessLog.objects.filter(username=username, attempt_time__lt=current)
        .order_by("-attempt_time", "-pk")
        .only("attempt_time", "ip_address")
        .first()
    )
    failures = AccessFailureLog.objects.filter(username=username, attempt_time__lt=current)
    if previous is None:
        count = failures.count()
        if count:
            text = _("这是您在本系统的第一次登录；此前登录失败 %(count)d 次。")
            return text % {"count": count}, count
        return _("这是您在本系统的第一次登录。"), 0
    count = failures.filter(attempt_time__gt=previous.attempt_time).count()
    text = _("上次登录：%(time)s，地址 %(address)s；此后登录失败 %(count)d 次。") % {
        "time": timezone.localtime(previous.attempt_time).strftime("%Y-%m-%d %H:%M"),
        "address": previous.ip_address or _("未知"),
        "count": count,
    }
    return text, count


def note_login(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    """user_logged_in: start the session's clocks and show the previous login."""
    if request is None or not hasattr(request, "session"):
        return
    start_session_clocks(request)
    notice, failures = previous_login_notice(request, user.get_username())
    # failures since the last login are worth a second look: shown as a warning
    level = messages.WARNING if failures else messages.INFO
    messages.add_message(request, level, notice, fail_silently=True)

"""Login throttling hooks for django-axes: the client's address and the lockout page.

The counting itself (failures per username and per IP within AXES_COOLOFF_TIME) is axes's,
stored in the database so that every worker sees the same count.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

USERNAME_MAX_LENGTH = 150  # accounts.User.username; a longer name cannot belong to anyone


def _valid_ip(text: str) -> str | None:
    try:
        return str(ipaddress.ip_address(text.strip()))
    except ValueError:
        return None


def client_ip(request: HttpRequest) -> str | None:
    """REMOTE_ADDR, or behind PROXY_COUNT trusted reverse proxies the address the outermost of
    them saw (the PROXY_COUNT-th entry of X-Forwarded-For from the right): entries further left
    come from the client and could be forged. Only a well-formed address is ever returned (the
    attempts table stores it as an inet)."""
    remote = _valid_ip(str(request.META.get("REMOTE_ADDR") or ""))
    count = int(getattr(settings, "PROXY_COUNT", 0) or 0)
    if count > 0:
        forwarded = [part for part in str(request.META.get("HTTP_X_FORWARDED_FOR", "")).split(",")]
        if len(forwarded) >= count:
            return _valid_ip(forwarded[-count]) or remote
    return remote


def client_username(request: HttpRequest, credentials: dict[str, Any] | None = None) -> str:
    """The username a login attempt is counted under: as typed, but never longer than a
    username can be and without NUL characters (both would not fit the attempts table)."""
    source: Any = credentials if credentials else getattr(request, "POST", {})
    username = str(source.get("username") or "")
    return username.replace("\x00", "")[:USERNAME_MAX_LENGTH]


def lockout_minutes() -> int:
    cooloff = settings.AXES_COOLOFF_TIME
    return max(1, round(cooloff.total_seconds() / 60))


def lockout_response(
    request: HttpRequest, original_response: Any = None, credentials: Any = None
) -> HttpResponse:
    """The page shown instead of the login form while a username or an address is locked."""
    return render(
        request,
        "accounts/login_locked.html",
        {
            "title": _("登录已暂时锁定"),
            "failures": settings.AXES_FAILURE_LIMIT,
            "minutes": lockout_minutes(),
        },
        status=429,
    )

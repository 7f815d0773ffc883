"""Login throttling hooks for django-axes: the client's address and the lockout page.

The counting itself (failures per username and per IP within AXES_COOLOFF_TIME) is axes's,
stored in the database so that every worker sees the same count.
"""

from __future__ import annotations

import functools
import ipaddress
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

USERNAME_MAX_LENGTH = 150  # accounts.User.username; a longer name cannot belong to anyone


def _valid_ip(text: str) -> str | None:
    try:
        return str(ipaddress.ip_address(text.strip()))
    except ValueError:
        return None


Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@functools.lru_cache(maxsize=8)
def trusted_proxy_networks(entries: tuple[str, ...]) -> list[Network]:
    """TRUSTED_PROXIES as networks: an address stands for itself (/32, /128). A malformed entry
    stops the start-up rather than silently trusting nothing (or everything)."""
    networks: list[Network] = []
    for entry in entries:
        try:
            networks.append(ipaddress.ip_network(entry.strip(), strict=False))
        except ValueError as exc:
            raise ImproperlyConfigured(
                f"DJANGO_TRUSTED_PROXIES: {entry!r} is not an address or a network (CIDR)."
            ) from exc
    return networks


def _is_trusted(address: str, networks: list[Network]) -> bool:
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped  # ::ffff:127.0.0.1 from a dual-stack socket is 127.0.0.1
    return any(ip.version == network.version and ip in network for network in networks)


def client_ip(request: HttpRequest) -> str | None:
    """The address a login attempt is counted under.

    REMOTE_ADDR, unless it belongs to one of TRUSTED_PROXIES (and PROXY_COUNT > 0): then the
    X-Forwarded-For header is read from the right, one entry per proxy hop, for as long as the
    hop that wrote the entry is itself trusted and at most PROXY_COUNT hops. Entries further left
    come from the client and could be forged; a client that reaches the application server
    directly (not through a trusted proxy) has its header ignored altogether, so rotating it does
    not escape the lock on its address. Only a well-formed address is ever returned (the attempts
    table stores it as an inet); a malformed entry stops the walk at the last trusted hop."""
    remote = _valid_ip(str(request.META.get("REMOTE_ADDR") or ""))
    count = int(getattr(settings, "PROXY_COUNT", 0) or 0)
    if remote is None or count <= 0:
        return remote
    networks = trusted_proxy_networks(tuple(getattr(settings, "TRUSTED_PROXIES", ())))
    forwarded = str(request.META.get("HTTP_X_FORWARDED_FOR", "")).split(",")
    current = remote
    for hop in range(count):
        if not _is_trusted(current, networks) or hop >= len(forwarded):
            break
        previous = _valid_ip(forwarded[-1 - hop])
        if previous is None:
            break
        current = previous
    return current


def client_username(request: HttpRequest, credentials: dict[str, Any] | None = None) -> str:
    """The username a login attempt is counted under: as typed, but never longer than a
    username can be and without NUL characters (both would not fit the attempts table)."""
    source: Any = credentials if credentials else getattr(request, "POST", {})
    username = str(source.get("username") or "")
    return username.replace("\x00", "")[:USERNAME_MAX_LENGTH]


def lockout_parameters(
    request_or_attempt: Any, credentials: dict[str, Any] | None = None
) -> list[str]:
    """What an attempt is counted and locked under: its username and its address, either one
    locking. A single sign-on callback (accounts/sso.py) carries no username, only the nonce of
    its code flow (mozilla-django-oidc passes it, even when None): counted under its address
    alone, so that five refused SSO logins anywhere do not lock every SSO login under the one
    empty username."""
    if credentials is not None and "nonce" in credentials:
        return ["ip_address"]
    return ["username", "ip_address"]


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

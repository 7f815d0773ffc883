"""Per-user (and, for anonymous readers of the public replies, per-address) request limits.

Rates come from settings.API_RATE_USER and API_RATE_ANON ("600/min"), read at each request so
that a deployment or a test can change them; counts live in the project's configured cache.
A refused request gets 429 with Retry-After (DRF) and a Chinese message (api.exceptions)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from rest_framework.throttling import AnonRateThrottle, UserRateThrottle

if TYPE_CHECKING:
    from rest_framework.request import Request
    from rest_framework.views import APIView


def _rate(setting: str) -> str | None:
    return None if setting.strip().lower() in {"", "off", "none"} else setting


class UserThrottle(UserRateThrottle):
    """Each logged-in user's requests, whatever their address."""

    def get_rate(self) -> str | None:
        return _rate(settings.API_RATE_USER)

    def get_cache_key(self, request: Request, view: APIView) -> str | None:
        if not (request.user and request.user.is_authenticated):
            return None  # AnonThrottle's
        return super().get_cache_key(request, view)


class AnonThrottle(AnonRateThrottle):
    """Requests without a login, by the client's address."""

    def get_rate(self) -> str | None:
        return _rate(settings.API_RATE_ANON)

"""How API clients log in. Sessions only here (the browser's login, the docs page); personal
and SSO bearer tokens are added to REST_FRAMEWORK["DEFAULT_AUTHENTICATION_CLASSES"] beside it."""

from __future__ import annotations

from rest_framework import authentication
from rest_framework.request import Request


class SessionAuthentication(authentication.SessionAuthentication):
    """DRF's session login (with its CSRF check on writes) that answers an anonymous request
    with 401 rather than 403: a client can tell "log in" from "not allowed"."""

    def authenticate_header(self, request: Request) -> str:
        return 'Session realm="api"'

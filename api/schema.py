"""OpenAPI descriptions that drf-spectacular cannot infer: the API's own session login."""

from __future__ import annotations

from drf_spectacular.authentication import SessionScheme


class ApiSessionScheme(SessionScheme):
    target_class = "api.authentication.SessionAuthentication"
    name = "sessionAuth"

"""How API clients log in: the browser's session (the docs page), and beside it in
REST_FRAMEWORK["DEFAULT_AUTHENTICATION_CLASSES"] the bearer tokens of accounts.api_tokens (a
person's own API token, or the single sign-on provider's), described here for the schema."""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication
from rest_framework.request import Request


class SessionAuthentication(authentication.SessionAuthentication):
    """DRF's session login (with its CSRF check on writes) that answers an anonymous request
    with 401 rather than 403: a client can tell "log in" from "not allowed"."""

    def authenticate_header(self, request: Request) -> str:
        return 'Session realm="api"'


class PersonalTokenScheme(OpenApiAuthenticationExtension):  # type: ignore[no-untyped-call]
    target_class = "accounts.api_tokens.PersonalTokenAuthentication"
    name = "personalToken"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": (
                "个人 API 令牌（在“API 令牌”页创建，只显示一次）：Authorization: Bearer jy_…"
                " / A personal API token (created on the API tokens page, shown once)."
            ),
        }


class SSOBearerScheme(OpenApiAuthenticationExtension):  # type: ignore[no-untyped-call]
    target_class = "accounts.api_tokens.SSOBearerAuthentication"
    name = "ssoBearer"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": (
                "统一身份认证（OIDC）签发的访问令牌，配置了统一身份认证时可用"
                " / An access token of the single sign-on (OIDC) provider, where one is configured."
            ),
        }

"""Logging in and finding the user of a request."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest

from .models import User


def password_login_allowed(username: str | None) -> bool:
    """Whether a password may log this username in: always, unless LOCAL_PASSWORD_LOGIN is off;
    then only the break-glass LOCAL_PASSWORD_USERS (for when the provider is down)."""
    if getattr(settings, "LOCAL_PASSWORD_LOGIN", True):
        return True
    return (username or "") in set(getattr(settings, "LOCAL_PASSWORD_USERS", []))


class UserBackend(ModelBackend):
    """Django's ModelBackend, loading the user's unit with the user: every page of a unit's
    people names it in the top bar, which cost one more query per page. With the single sign-on
    in place of passwords (LOCAL_PASSWORD_LOGIN=false) it logs nobody in by password but the
    break-glass LOCAL_PASSWORD_USERS, whichever form asks (the login page, the admin's)."""

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> User | None:
        if username is not None and not password_login_allowed(username):
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)  # type: ignore[return-value]

    def get_user(self, user_id: Any) -> User | None:
        user = User._default_manager.select_related("unit").filter(pk=user_id).first()
        return user if user is not None and self.user_can_authenticate(user) else None

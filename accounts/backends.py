"""Logging in and finding the user of a request."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend

from .models import User


class UserBackend(ModelBackend):
    """Django's ModelBackend, loading the user's unit with the user: every page of a unit's
    people names it in the top bar, which cost one more query per page."""

    def get_user(self, user_id: Any) -> User | None:
        user = User._default_manager.select_related("unit").filter(pk=user_id).first()
        return user if user is not None and self.user_can_authenticate(user) else None

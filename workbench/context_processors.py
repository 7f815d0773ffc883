"""The counts in the navigation: what waits for this person (workbench.queues)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest


def work_counts(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    from .queues import nav_counts

    return {"nav_counts": nav_counts(user)}

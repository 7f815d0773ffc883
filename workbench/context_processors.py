"""The counts in the navigation: what waits for this person (workbench.queues)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject


def work_counts(request: HttpRequest) -> dict[str, Any]:
    """One count query per page; none on the workbench itself, which has counted already."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    from .queues import nav_counts

    # lazy: a page that shows no navigation (a PDF, an error page) runs no query
    return {
        "nav_counts": SimpleLazyObject(
            lambda: nav_counts(user, getattr(request, "workbench_queues", None))
        )
    }

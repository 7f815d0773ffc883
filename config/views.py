"""Small site-wide answers that belong to no app."""

from __future__ import annotations

from pathlib import Path

from django.contrib.staticfiles import finders
from django.http import FileResponse, Http404, HttpRequest
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe


@require_safe
@cache_control(public=True, max_age=24 * 60 * 60)
def favicon(request: HttpRequest) -> FileResponse:
    """/favicon.ico, which browsers ask for on their own even where a page links its icon
    (base.html links static/favicon.svg): the same icon, not a 404."""
    found = finders.find("favicon.ico")
    if not found or isinstance(found, list):
        raise Http404("favicon.ico")
    return FileResponse(Path(found).open("rb"), content_type="image/x-icon")

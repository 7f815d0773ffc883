"""Error pages in Chinese: 404 with the reason when the app gave one in Chinese, 403, and the
page of an unexpected error (503 when the database cannot be reached, else 500)."""

from __future__ import annotations

import re
import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.template import loader

RETRY_AFTER_SECONDS = 10
CHINESE = re.compile(r"[\u4e00-\u9fff]")


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """The app's own 404 reasons are written for users (没有找到这份公开的答复。); Django's
    generic ones ("No Proposal matches the given query.") are not shown."""
    reason = str(exception.args[0]) if exception.args else ""
    html = loader.render_to_string(
        "404.html", {"reason": reason if CHINESE.search(reason) else ""}, request
    )
    return HttpResponse(html, status=404)


def forbidden(request: HttpRequest, exception: Exception) -> HttpResponse:
    return HttpResponse(loader.render_to_string("403.html", {}, request), status=403)


def server_error(request: HttpRequest) -> HttpResponse:
    """Django calls this while handling the exception, so sys.exc_info() names it. A database
    that is restarting or failing over is worth a 503 with Retry-After (the next request
    reconnects by itself). Rendered without the request: the context processors would need the
    database."""
    error = sys.exc_info()[1]
    unavailable = isinstance(error, OperationalError | InterfaceError)
    html = loader.render_to_string("500.html", {"unavailable": unavailable})
    response = HttpResponse(html, status=503 if unavailable else 500)
    if unavailable:
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response

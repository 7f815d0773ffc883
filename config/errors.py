"""Error pages in Chinese: 404 with the reason when the app gave one in Chinese, 403, and the
page of an unexpected error (503 when the database cannot be reached, else 500)."""

from __future__ import annotations

import re
import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.template import loader
from psycopg import InterfaceError as DriverInterfaceError
from psycopg import OperationalError as DriverOperationalError

RETRY_AFTER_SECONDS = 10
# Django wraps the driver's errors in its own, except where the driver raises outside Django's
# wrapper: closing a server-side cursor (QuerySet.iterator, e.g. a filter form's choices) on a
# connection the server closed raises psycopg's own OperationalError
UNAVAILABLE = (OperationalError, InterfaceError, DriverOperationalError, DriverInterfaceError)
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
    unavailable = _database_unavailable(sys.exc_info()[1])
    html = loader.render_to_string("500.html", {"unavailable": unavailable})
    response = HttpResponse(html, status=503 if unavailable else 500)
    if unavailable:
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def _database_unavailable(error: BaseException | None) -> bool:
    """The error, or one it was raised from or while handling, says the database is out of
    reach (Django's error or the driver's)."""
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        if isinstance(error, UNAVAILABLE):
            return True
        seen.add(id(error))
        error = error.__cause__ or error.__context__
    return False

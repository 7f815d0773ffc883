"""The browsable API documentation: Swagger UI from the site's own static files
(drf-spectacular-sidecar), started by a static script, so that the page keeps the site's CSP (no
inline script, nothing from another host)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _


@login_required
def api_docs(request: HttpRequest) -> HttpResponse:
    return render(request, "api/docs.html", {"title": _("接口文档")})

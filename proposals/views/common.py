"""Helpers shared by the item and handling views."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, resolve_url
from django.utils.http import url_has_allowed_host_and_scheme

from ..models import Proposal
from ..separators import clauses
from ..services.common import require_handling_open

PAGE_SIZE = 20


def error_text(error: ValidationError) -> str:
    return clauses(str(m) for m in error.messages)


def apply_error(form: Any, error: ValidationError) -> None:
    """Put a service's ValidationError onto the form, field by field where it names one."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


def posted_text(request: HttpRequest, name: str) -> str:
    """A free-text field read without a form, less NUL characters: nobody types them and
    PostgreSQL cannot store them (a form's CharField refuses them itself)."""
    return request.POST.get(name, "").replace("\x00", "")


def posted_ids(request: HttpRequest, name: str) -> list[int]:
    """The ids posted under `name`; anything that is not a plain number is left out."""
    return [
        int(value)
        for value in request.POST.getlist(name)
        if value.isascii() and value.isdigit() and len(value) <= 18
    ]


def paginate(request: HttpRequest, queryset: QuerySet[Any]) -> Any:
    return Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))


def redirect_back(request: HttpRequest, default: str, *args: Any) -> HttpResponseRedirect:
    """Back to the page the form was on (its posted `next`, e.g. the workbench), only a path of
    this site, never another host; else to `default` (a URL name with `args`)."""
    target = request.POST.get("next", "")
    if target.startswith("/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return HttpResponseRedirect(target)
    return HttpResponseRedirect(resolve_url(default, *args))


def ended_handling_redirect(request: HttpRequest, proposal: Proposal) -> HttpResponse | None:
    """A form page of a closed or withdrawn item says so and goes back to the item page, instead
    of offering a form that the service would refuse."""
    if not proposal.handling_ended:
        return None
    messages.info(request, ended_handling_text(proposal))
    return redirect("proposals:detail", pk=proposal.pk)


def ended_handling_text(proposal: Proposal) -> str:
    """The Chinese sentence for an item whose handling ended, as the services say it."""
    try:
        require_handling_open(proposal)
    except ValidationError as error:
        return error_text(error)
    return ""

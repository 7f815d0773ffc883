"""Errors as JSON with the same Chinese sentences as the pages.

A service's ValidationError is a 400 (`detail`: the sentence the page shows; `errors`: by field
where the service named one), PermissionDenied a 403, Http404 a 404 with the permission
function's own message, a stale write 412, a throttled client 429 with Retry-After."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler


class PreconditionFailed(exceptions.APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_code = "precondition_failed"


class PreconditionRequired(exceptions.APIException):
    status_code = status.HTTP_428_PRECONDITION_REQUIRED
    default_code = "precondition_required"


def error_text(error: DjangoValidationError) -> str:
    return "；".join(str(message) for message in error.messages)


def _field_errors(error: DjangoValidationError) -> dict[str, list[str]]:
    if not hasattr(error, "error_dict"):
        return {}
    return {
        field: [str(message) for message in DjangoValidationError(errors).messages]
        for field, errors in error.error_dict.items()
    }


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, DjangoValidationError):
        data: dict[str, Any] = {"detail": error_text(exc), "code": "invalid"}
        fields = _field_errors(exc)
        if fields:
            data["errors"] = fields
        return Response(data, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, Http404) and not exc.args:
        exc = exceptions.NotFound(_("没有找到。"))
    if isinstance(exc, PermissionDenied) and not exc.args:
        exc = exceptions.PermissionDenied(_("您没有权限执行这个操作。"))
    if isinstance(exc, exceptions.Throttled):
        wait = exc.wait
        exc.detail = exceptions.ErrorDetail(
            _("请求过于频繁，请在 %(n)s 秒后再试。") % {"n": int(wait or 1)}
            if wait is not None
            else _("请求过于频繁，请稍后再试。"),
            code="throttled",
        )
    if isinstance(exc, exceptions.PermissionDenied) and str(exc.detail).startswith("CSRF Failed"):
        exc.detail = exceptions.ErrorDetail(
            _("请求缺少有效的 CSRF 令牌（X-CSRFToken），请重新读取页面后再试。"), code="csrf_failed"
        )
    if isinstance(exc, exceptions.NotAuthenticated):
        exc.detail = exceptions.ErrorDetail(_("请先登录。"), code="not_authenticated")
    response = exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError) and not (
        isinstance(response.data, dict) and "detail" in response.data
    ):
        # a serializer's field errors: one sentence as well, as a page's form would show
        fields = response.data if isinstance(response.data, dict) else {}
        messages = [
            str(message)
            for value in fields.values()
            for message in (value if isinstance(value, list) else [value])
        ]
        response.data = {
            "detail": "；".join(messages) or _("请检查填写的内容。"),
            "code": "invalid",
            "errors": fields,
        }
    elif isinstance(response.data, dict) and "detail" in response.data:
        detail = response.data["detail"]
        response.data["code"] = getattr(detail, "code", "error")
    return response

"""What every API view shares: the role check the pages make with `role_required` (403), before
the object is fetched through its permission function (404 when invisible, 403 when read-only)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _
from rest_framework.request import Request
from rest_framework.serializers import Serializer
from rest_framework.views import APIView

from accounts.models import Role, User

UNIT_ROLES = (Role.UNIT_STAFF, Role.UNIT_LEADER)


class ApiView(APIView):
    """`roles`: who may use the endpoint at all, per HTTP method ("*" for the others); a role
    not listed gets 403, as a page's `role_required` answers."""

    roles: dict[str, tuple[str, ...]] = {}

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        allowed = self.roles.get(request.method or "", self.roles.get("*"))
        if allowed is not None and getattr(request.user, "role", None) not in allowed:
            raise PermissionDenied(_("您的角色不能使用这个接口。"))

    @property
    def person(self) -> User:
        return self.request.user  # type: ignore[return-value]

    def valid(self, serializer_class: type[Serializer], request: Request) -> dict[str, Any]:
        serializer = serializer_class(data=request.data)
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)

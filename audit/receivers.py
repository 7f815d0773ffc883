"""What the audit trail hears: accounts.signals.security_event from every app, and Django's
login, logout and failed-login signals. Each becomes one record (audit.chain.append)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver
from django.http import HttpRequest

from accounts.signals import security_event
from accounts.throttle import client_ip, client_username

from .chain import append
from .models import AuditResult


def _address(request: HttpRequest | None) -> str | None:
    return client_ip(request) if request is not None else None


@receiver(security_event, dispatch_uid="audit.security_event")
def record_security_event(
    sender: Any,
    *,
    action: str,
    actor: Any = None,
    target: str = "",
    detail: dict[str, Any] | None = None,
    result: str = AuditResult.SUCCESS,
    request: HttpRequest | None = None,
    **kwargs: Any,
) -> None:
    if actor is None and request is not None:
        actor = getattr(request, "user", None)
    append(
        action,
        actor=actor,
        address=_address(request),
        target=target,
        detail=detail,
        result=result,
    )


@receiver(user_logged_in, dispatch_uid="audit.user_logged_in")
def record_login(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    append("login", actor=user, address=_address(request), target=f"user:{user.pk}")


@receiver(user_logged_out, dispatch_uid="audit.user_logged_out")
def record_logout(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    if user is None:  # logging out without a session
        return
    append("logout", actor=user, address=_address(request), target=f"user:{user.pk}")


@receiver(user_login_failed, dispatch_uid="audit.user_login_failed")
def record_login_failure(
    sender: Any,
    credentials: dict[str, Any],
    request: HttpRequest | None = None,
    **kwargs: Any,
) -> None:
    # the username as typed (Django has already masked the password in credentials)
    username = client_username(request, credentials) if request is not None else ""
    if not username:
        username = str(credentials.get("username") or "")[:150]
    append(
        "login.failed",
        address=_address(request),
        target=f"username:{username}",
        detail={"username": username},
        result=AuditResult.FAILURE,
    )

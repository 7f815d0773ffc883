"""One signal for every security-relevant happening the audit trail records.

Senders (accounts, proposals, replies, intake …) call `security_event_send`; the receiver lives in
the `audit` app, which imports this module and never the reverse, so that no app depends on the
audit trail being installed. Django's own `user_logged_in`, `user_logged_out` and
`user_login_failed` are received there too and need no call here.
"""

from __future__ import annotations

from typing import Any

from django.dispatch import Signal
from django.http import HttpRequest

# Sent with: action (a short code such as "password.changed", "otp.enabled", "user.role_changed",
# "export.items", "letter.downloaded"), actor (the User who did it, or None for the system),
# target (a short text naming what was acted on, e.g. "user:42" or "proposal:7"), detail (a
# JSON-serialisable dict; never a password, a secret or a code), result ("success" or "failure")
# and request (the HttpRequest, for the client's address; None outside a request).
security_event = Signal()


def security_event_send(
    action: str,
    *,
    actor: Any = None,
    target: str = "",
    detail: dict[str, Any] | None = None,
    result: str = "success",
    request: HttpRequest | None = None,
) -> None:
    security_event.send(
        sender=None,
        action=action,
        actor=actor,
        target=target,
        detail=detail or {},
        result=result,
        request=request,
    )

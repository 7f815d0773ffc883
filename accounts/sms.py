"""SMS through a pluggable backend (settings.SMS_BACKEND). The default only logs; the HTTP
gateway backend posts JSON to settings.SMS_GATEWAY_URL with a bearer token."""

from __future__ import annotations

import json
import logging
import urllib.request
from functools import lru_cache
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)


class SMSBackend(Protocol):
    def send(self, phone: str, text: str) -> None: ...


class LogSMSBackend:
    """Writes the message to the log (development and deployments without a gateway)."""

    def send(self, phone: str, text: str) -> None:
        logger.info("SMS to %s: %s", phone[:3] + "****" + phone[-4:], text)


class HttpSMSBackend:
    """Posts {"phone": ..., "text": ...} to an HTTP gateway."""

    def send(self, phone: str, text: str) -> None:
        request = urllib.request.Request(
            settings.SMS_GATEWAY_URL,
            data=json.dumps({"phone": phone, "text": text}, ensure_ascii=False).encode(),
            headers={
                "Content-Type": "application/json",
                "Authorization": f"Bearer {settings.SMS_GATEWAY_TOKEN}",
            },
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            if response.status >= 300:
                raise OSError(f"SMS gateway answered {response.status}")


@lru_cache(maxsize=1)
def backend() -> SMSBackend:
    return import_string(settings.SMS_BACKEND)()  # type: ignore[no-any-return]


def send_sms_many(messages: list[tuple[str, str]]) -> None:
    """Queue many SMS (phone, text) as one job."""
    from .tasks import send_sms_batch

    if not messages:
        return
    try:
        send_sms_batch.delay(messages)
    except Exception:  # broker down: the in-app notices and e-mails still stand
        logger.warning("could not queue %s SMS", len(messages), exc_info=True)

"""What every benchmark shares: the refusal to touch services the user did not point it at, the
statement timeout, and the nearest-rank percentile. The scripts run as `python bench/x.py`, so
this folder is on sys.path and they import it as `common`."""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any
from urllib.parse import urlparse


class BenchError(Exception):
    """The benchmark could not produce a trustworthy figure."""


class Refused(Exception):
    """The configuration would touch services the benchmark must not use."""


def check_database(allow_default_ports: bool, without_it: str) -> None:
    """Refuse the project's SQLite file and the machine's own PostgreSQL (5432)."""
    if not os.environ.get("POSTGRES_DB"):
        raise Refused(
            f"POSTGRES_DB is not set: {without_it}. Run through tests/services.sh, which starts "
            "throw-away services."
        )
    if not allow_default_ports and os.environ.get("POSTGRES_PORT", "") in ("", "5432"):
        raise Refused(
            "POSTGRES_PORT is unset or 5432 (the machine's own PostgreSQL). Use tests/services.sh, "
            "or pass --allow-default-ports to use it anyway."
        )


def check_broker(broker: str, allow_default_ports: bool) -> None:
    """Refuse the machine's own Redis (6379)."""
    if not allow_default_ports and (urlparse(broker).port or 6379) == 6379:
        raise Refused(
            f"the Celery broker {broker} is the machine's default Redis port (6379). Use "
            "tests/services.sh, or pass --allow-default-ports to use it anyway."
        )


def check_django_settings(media_root: Path | None = None) -> None:
    """After django.setup(): the settings use the PostgreSQL in POSTGRES_PORT, and the media
    folder the benchmark chose (when it chose one)."""
    from django.conf import settings

    database = settings.DATABASES["default"]
    if "postgresql" not in str(database["ENGINE"]):
        raise Refused(f"{os.environ['DJANGO_SETTINGS_MODULE']} does not use PostgreSQL")
    if str(database["PORT"]) != os.environ.get("POSTGRES_PORT", "5432"):
        raise Refused("the settings' PostgreSQL port is not the one in POSTGRES_PORT")
    if media_root is not None and Path(settings.MEDIA_ROOT).resolve() != media_root.resolve():
        raise Refused(
            f"{os.environ['DJANGO_SETTINGS_MODULE']} ignores DJANGO_MEDIA_ROOT "
            f"(MEDIA_ROOT is {settings.MEDIA_ROOT})"
        )


def limit_statements(seconds: int) -> None:
    """Every connection this process opens gets a statement_timeout, so that a bad plan fails
    the run instead of hanging it (seeding lifts it for its own statements)."""
    from django.db import connection
    from django.db.backends.signals import connection_created

    def apply(sender: Any, connection: Any, **kwargs: Any) -> None:
        with connection.cursor() as cursor:
            cursor.execute(f"SET statement_timeout = {int(seconds) * 1000}")

    connection_created.connect(apply, weak=False)
    if connection.connection is not None:  # opened before the signal was connected
        apply(None, connection)


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def shorten(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"

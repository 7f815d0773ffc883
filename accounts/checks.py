"""System checks for 三员分立: production refuses superuser accounts (one account that holds
every right would undo the separation of the three administrators)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import checks
from django.db import DatabaseError


@checks.register(checks.Tags.security, checks.Tags.database)
def no_superusers(app_configs: Any = None, databases: Any = None, **kwargs: Any) -> list[Any]:
    """Run with the database checks (`migrate`, `check --database default`): in production
    (REFUSE_SUPERUSERS) an active superuser account is an error."""
    if not databases or not getattr(settings, "REFUSE_SUPERUSERS", False):
        return []
    from .models import User

    try:
        names = list(
            User.objects.filter(is_superuser=True, is_active=True).values_list(
                "username", flat=True
            )[:10]
        )
    except DatabaseError:  # no table yet: the first migrate
        return []
    if not names:
        return []
    return [
        checks.Error(
            f"Superuser accounts exist: {', '.join(names)}.",
            hint=(
                "三员分立: give the system, security and audit administrators three separate "
                "accounts (role administrator, security_admin, audit_admin) and clear "
                'is_superuser, e.g. `manage.py shell -c "from accounts.models import User; '
                'User.objects.filter(is_superuser=True).update(is_superuser=False)"`.'
            ),
            id="accounts.E002",
        )
    ]

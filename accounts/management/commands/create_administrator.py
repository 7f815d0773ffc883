"""`python manage.py create_administrator USERNAME --role ROLE`: one of the three administrator
accounts of 三员分立 (there is no superuser: accounts/separation.py). The password is asked
twice, or read from DJANGO_NEW_PASSWORD for scripts."""

from __future__ import annotations

import getpass
import os
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.models import Role, User
from accounts.signals import security_event_send

ADMIN_ROLES = {
    Role.ADMINISTRATOR.value: "系统管理员",
    Role.SECURITY_ADMINISTRATOR.value: "安全管理员",
    Role.AUDIT_ADMINISTRATOR.value: "审计管理员",
}


class Command(BaseCommand):
    help = "Create a system, security or audit administrator account (三员分立)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--role", required=True, choices=sorted(ADMIN_ROLES))
        parser.add_argument("--full-name", default="")

    def handle(self, *args: Any, username: str, role: str, full_name: str, **options: Any) -> None:
        if User.objects.filter(username=username).exists():
            raise CommandError(f"User {username!r} exists already.")
        password = os.environ.get("DJANGO_NEW_PASSWORD") or self._ask()
        user = User(
            username=username, full_name=full_name or ADMIN_ROLES[role], role=role, is_staff=True
        )
        try:
            validate_password(password, user)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error
        user.set_password(password)
        user.save()
        security_event_send(
            "user.created", target=f"user:{user.pk}", detail={"role": role, "by": "command"}
        )
        self.stdout.write(self.style.SUCCESS(f"{ADMIN_ROLES[role]} {username} created."))

    def _ask(self) -> str:
        first = getpass.getpass("Password: ")
        if first != getpass.getpass("Password (again): "):
            raise CommandError("The two passwords differ.")
        return first

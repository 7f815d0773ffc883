from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts import two_factor
from accounts.models import User


class Command(BaseCommand):
    help = (
        "重置某用户的两步验证（手机丢失且安全管理员无法登录时使用；平时请由安全管理员在"
        "“两步验证”页面重置）。"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username", help="用户名")

    def handle(self, *args: Any, **options: Any) -> None:
        target = User.objects.filter(username=options["username"]).first()
        if target is None:
            raise CommandError(f"没有用户名为 {options['username']} 的用户。")
        if two_factor.otp_reset_from_console(target=target):
            self.stdout.write(
                self.style.SUCCESS(f"已重置 {target.username} 的两步验证；其下次登录时需重新设置。")
            )
        else:
            self.stdout.write(f"{target.username} 未启用两步验证，无需重置。")

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext

from accounts import two_factor
from accounts.models import User


class Command(BaseCommand):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # in the language active when the command runs (argparse needs a str, not a lazy one)
        self.help = gettext(
            "重置某用户的两步验证（手机丢失且安全管理员无法登录时使用；平时请由安全管理员在"
            "“两步验证”页面重置）。"
        )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username", help=gettext("用户名"))

    def handle(self, *args: Any, **options: Any) -> None:
        target = User.objects.filter(username=options["username"]).first()
        if target is None:
            raise CommandError(
                gettext("没有用户名为 %(username)s 的用户。") % {"username": options["username"]}
            )
        if two_factor.otp_reset_from_console(target=target):
            self.stdout.write(
                self.style.SUCCESS(
                    gettext("已重置 %(username)s 的两步验证；其下次登录时需重新设置。")
                    % {"username": target.username}
                )
            )
        else:
            self.stdout.write(
                gettext("%(username)s 未启用两步验证，无需重置。") % {"username": target.username}
            )

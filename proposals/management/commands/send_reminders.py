from typing import Any

from django.core.management.base import BaseCommand
from django.utils.translation import gettext

from proposals.reminders import send_reminders


class Command(BaseCommand):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # in the language active when the command runs (argparse needs a str, not a lazy one)
        self.help = gettext("发送到期提醒和逾期督办（每天运行一次；重复运行不会重复发送）。")

    def handle(self, *args: Any, **options: Any) -> None:
        result = send_reminders()
        self.stdout.write(
            self.style.SUCCESS(
                gettext("新记录 %(recorded)s 条提醒，发送 %(delivered)s 条。")
                % {"recorded": result["recorded"], "delivered": result["delivered"]}
            )
        )

from typing import Any

from django.core.management.base import BaseCommand

from proposals.reminders import send_reminders


class Command(BaseCommand):
    help = "发送到期提醒和逾期督办（每天运行一次；重复运行不会重复发送）。"

    def handle(self, *args: Any, **options: Any) -> None:
        result = send_reminders()
        self.stdout.write(
            self.style.SUCCESS(
                f"新记录 {result['recorded']} 条提醒，发送 {result['delivered']} 条。"
            )
        )

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from proposals.models import Meeting
from replies.archive import write_letters_zip


class Command(BaseCommand):
    help = "把一次会议的全部答复函导出为一个 ZIP 文件。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--meeting", type=int, required=True, help="会议 ID")
        parser.add_argument("--out", type=Path, required=True, help="输出的 ZIP 文件")

    def handle(self, *args: Any, **options: Any) -> None:
        meeting = Meeting.objects.filter(pk=options["meeting"]).first()
        if meeting is None:
            raise CommandError(f"没有 ID 为 {options['meeting']} 的会议。")
        with open(options["out"], "wb") as target:
            result = write_letters_zip(meeting, target)
        self.stdout.write(
            self.style.SUCCESS(
                f"已导出 {meeting.short_name} 的 {result.written} 份答复函到 {options['out']}"
            )
        )
        if result.missing:
            self.stderr.write(
                self.style.WARNING(
                    f"{len(result.missing)} 份答复函的文件已不在存储中（见压缩包内的缺失清单）："
                    + "、".join(result.missing)
                )
            )

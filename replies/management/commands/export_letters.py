from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext

from proposals.models import Meeting
from proposals.separators import enumeration
from replies.archive import write_letters_zip


class Command(BaseCommand):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # in the language active when the command runs (argparse needs a str, not a lazy one)
        self.help = gettext("把一次会议的全部答复函导出为一个 ZIP 文件。")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--meeting", type=int, required=True, help=gettext("会议 ID"))
        parser.add_argument("--out", type=Path, required=True, help=gettext("输出的 ZIP 文件"))

    def handle(self, *args: Any, **options: Any) -> None:
        meeting = Meeting.objects.filter(pk=options["meeting"]).first()
        if meeting is None:
            raise CommandError(gettext("没有 ID 为 %(id)s 的会议。") % {"id": options["meeting"]})
        with open(options["out"], "wb") as target:
            result = write_letters_zip(meeting, target)
        self.stdout.write(
            self.style.SUCCESS(
                gettext("已导出 %(meeting)s 的 %(count)s 份答复函到 %(path)s")
                % {"meeting": meeting.short_name, "count": result.written, "path": options["out"]}
            )
        )
        if result.missing:
            self.stderr.write(
                self.style.WARNING(
                    gettext(
                        "%(count)s 份答复函的文件已不在存储中（见压缩包内的缺失清单）：%(names)s"
                    )
                    % {"count": len(result.missing), "names": enumeration(result.missing)}
                )
            )

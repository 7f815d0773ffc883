import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext

from proposals.separators import enumeration
from replies import fonts
from replies.letters import prepare_fonts


class Command(BaseCommand):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # in the language active when the command runs (argparse needs a str, not a lazy one)
        self.help = gettext(
            "预先生成答复函字体的精简版（GB 2312 字符集，缓存在 LETTER_FONT_CACHE_DIR），"
            "已有且完好的不重复生成；删除旧版本的精简字体。"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        start = time.monotonic()
        missing = []
        seen = set()
        for role, choice in prepare_fonts():
            if not choice.faces or choice.faces[0].path.parent != fonts.cache_dir():
                missing.append(role)
                continue
            for face in choice.faces:
                if face.path in seen or face.path.parent != fonts.cache_dir():
                    continue
                seen.add(face.path)
                size = face.path.stat().st_size / 1e6
                self.stdout.write(
                    f"{role:6} {face.family} ({face.weight}): {face.path.name}, {size:.1f} MB"
                )
        removed = fonts.prune()
        if removed:
            self.stdout.write(
                gettext("已删除旧版本的精简字体文件 %(count)s 个。") % {"count": len(removed)}
            )
        if missing:
            raise CommandError(
                gettext("未能生成 %(roles)s 字体的精简版（见上面的警告），答复函将使用完整字体。")
                % {"roles": enumeration(missing)}
            )
        self.stdout.write(
            self.style.SUCCESS(
                gettext("答复函字体已就绪：%(count)s 个精简字体，用时 %(seconds).1f 秒。")
                % {"count": len(seen), "seconds": time.monotonic() - start}
            )
        )

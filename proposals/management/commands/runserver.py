"""`runserver` for the embedded run (`make run`): Django's development server, static files
included, that also runs the beat schedule's jobs in a background thread (config/embedded_jobs.py)
when no broker is configured. This app is listed before django.contrib.staticfiles in
INSTALLED_APPS so that this command is the one `manage.py runserver` finds."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.staticfiles.management.commands.runserver import Command as StaticRunserver
from django.core.mail.backends import filebased
from django.utils.module_loading import import_string
from django.utils.translation import gettext

from config import embedded_jobs


class Command(StaticRunserver):
    def on_bind(self, server_port: Any) -> None:
        super().on_bind(server_port)
        # on_bind runs in the serving process only (the autoreloader's child), once it listens
        if embedded_jobs.start() is None:
            return
        self.stdout.write(
            gettext(
                "后台任务：没有配置 CELERY_BROKER_URL，每日任务（测评期满办结、提醒、邮件和答复函补发、"
                "清理）在本进程内运行：启动时运行一次，之后按 CELERY_BEAT_SCHEDULE 的间隔运行。"
            )
        )
        if issubclass(import_string(settings.EMAIL_BACKEND), filebased.EmailBackend):
            self.stdout.write(
                gettext("邮件：不真正发出，写成文件，在 %(path)s/ 下。")
                % {"path": settings.EMAIL_FILE_PATH}
            )

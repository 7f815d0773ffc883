"""The embedded run's e-mail: Django's file backend (one file per connection under
EMAIL_FILE_PATH, var/mail/ by default), with each message's recipients and subject first in
plain text, since the raw message encodes a Chinese subject (=?utf-8?b?…?=)."""

from __future__ import annotations

from typing import BinaryIO, cast

from django.core.mail import EmailMessage
from django.core.mail.backends.filebased import EmailBackend
from django.utils.translation import gettext


class FileEmailBackend(EmailBackend):
    def write_message(self, message: EmailMessage) -> None:
        summary = gettext("收件人：%(to)s\n主题：%(subject)s") % {
            "to": ", ".join(message.recipients()),
            "subject": message.subject,
        }
        summary += "\n\n"
        cast(BinaryIO, self.stream).write(summary.encode())  # opened in binary by the base
        super().write_message(message)

"""All letters of a meeting as one ZIP (UI download and `manage.py export_letters`)."""

from __future__ import annotations

import shutil
import zipfile
from dataclasses import dataclass, field
from typing import IO

from django.utils.translation import gettext, gettext_lazy

from proposals.files import OBJECT_STORAGE_ERRORS
from proposals.models import Meeting

from .models import Letter, LetterStatus, ReplyStatus


def meeting_letters(meeting: Meeting) -> list[Letter]:
    return list(
        Letter.objects.filter(
            reply__proposal__meeting=meeting,
            reply__status=ReplyStatus.SENT,
            status=LetterStatus.READY,
        )
        .select_related("reply", "reply__proposal", "reply__unit")
        .order_by("reply__proposal__number", "reply__unit__name")
    )


MISSING_NOTE = gettext_lazy("缺失的答复函.txt")
GONE: tuple[type[Exception], ...] = (FileNotFoundError, *OBJECT_STORAGE_ERRORS)


@dataclass
class Archived:
    written: int
    missing: list[str] = field(default_factory=list)  # entry names whose file is gone


def write_letters_zip(meeting: Meeting, target: IO[bytes]) -> Archived:
    """Write the meeting's ready letters into `target`. Each letter is read through the storage
    API (local folder or object storage) and copied in chunks. A letter whose file is gone from
    the storage is listed in 缺失的答复函.txt inside the archive instead of failing the whole
    download; re-rendering it (a correction, or the letter job) brings it back."""
    result = Archived(0)
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_STORED) as archive:
        for letter in meeting_letters(meeting):
            reply = letter.reply
            name = f"{reply.proposal.number_label or reply.proposal_id}-{reply.unit.short_name}-{reply.document_number}.pdf".replace(
                "/", "_"
            )
            try:
                source = letter.file.open("rb")
            except GONE:
                result.missing.append(name)
                continue
            with source, archive.open(name, "w") as entry:
                shutil.copyfileobj(source, entry, 1024 * 1024)
            result.written += 1
        if result.missing:
            archive.writestr(
                str(MISSING_NOTE),
                gettext("以下答复函的文件已不在存储中，请联系系统管理员重新生成：")
                + "\n"
                + "\n".join(result.missing)
                + "\n",
            )
    return result

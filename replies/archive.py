"""All letters of a meeting as one ZIP (UI download and `manage.py export_letters`)."""

from __future__ import annotations

import shutil
import zipfile
from typing import IO

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


def write_letters_zip(meeting: Meeting, target: IO[bytes]) -> int:
    """Write the meeting's ready letters into `target`; return how many. Each letter is read
    through the storage API (local folder or object storage) and copied in chunks."""
    letters = meeting_letters(meeting)
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_STORED) as archive:
        for letter in letters:
            reply = letter.reply
            name = f"{reply.proposal.number_label or reply.proposal_id}-{reply.unit.short_name}-{reply.document_number}.pdf"
            with (
                letter.file.open("rb") as source,
                archive.open(name.replace("/", "_"), "w") as entry,
            ):
                shutil.copyfileobj(source, entry, 1024 * 1024)
    return len(letters)

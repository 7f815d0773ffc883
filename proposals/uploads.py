"""Upload checks: a file is judged by its content, never by its name."""

from __future__ import annotations

from pathlib import PurePosixPath

import filetype
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from .separators import enumeration

# extension -> MIME types its content may have
ALLOWED_TYPES: dict[str, set[str]] = {
    ".pdf": {"application/pdf"},
    ".doc": {"application/msword", "application/x-ole-storage", "application/CDFV2"},
    ".docx": {
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/zip",
    },
    ".xls": {"application/vnd.ms-excel", "application/x-ole-storage", "application/CDFV2"},
    ".xlsx": {
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "application/zip",
    },
    ".jpg": {"image/jpeg"},
    ".jpeg": {"image/jpeg"},
    ".png": {"image/png"},
    ".txt": {"text/plain"},
}
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def _sniff(head: bytes) -> str | None:
    if head.startswith(OLE_MAGIC):
        return "application/x-ole-storage"
    kind = filetype.guess(head)
    if kind is not None:
        return str(kind.mime)
    if b"\x00" in head:
        return None
    for encoding in ("utf-8", "gb18030"):
        try:
            head.decode(encoding)
        except UnicodeDecodeError:
            continue
        return "text/plain"
    return None


def validate_upload(upload: UploadedFile) -> str:
    """Check one uploaded file; return its MIME type or raise ValidationError in plain Chinese."""
    name = upload.name or ""
    suffix = PurePosixPath(name).suffix.lower()
    if suffix not in ALLOWED_TYPES:
        raise ValidationError(
            _("附件“%(name)s”的类型不受支持。可上传：%(types)s。")
            % {"name": name, "types": enumeration(sorted(ext.lstrip(".") for ext in ALLOWED_TYPES))}
        )
    size = upload.size or 0
    if size == 0:
        raise ValidationError(_("附件“%(name)s”是空文件。") % {"name": name})
    if size > settings.ATTACHMENT_MAX_BYTES:
        raise ValidationError(
            _("附件“%(name)s”大小为 %(size)s，超过了 %(limit)s 的上限。")
            % {
                "name": name,
                "size": filesizeformat(size),
                "limit": filesizeformat(settings.ATTACHMENT_MAX_BYTES),
            }
        )
    detected = content_type_for(upload, suffix)
    if detected is None:
        raise ValidationError(
            _("附件“%(name)s”的内容与扩展名不符，可能是改了扩展名的其他文件，已拒绝上传。")
            % {"name": name}
        )
    return detected


def content_type_for(upload: UploadedFile, suffix: str) -> str | None:
    """The MIME type the content of `upload` has if it is a file of type `suffix` (".xlsx"),
    by its magic bytes; None if it is something else (a .txt or a bare zip renamed)."""
    size = upload.size or 0
    upload.seek(0)
    head = upload.read(8192)
    upload.seek(0)
    detected = _sniff(head)
    if detected is None or detected not in ALLOWED_TYPES[suffix]:
        return None
    if suffix in (".docx", ".xlsx") and detected == "application/zip":
        # a bare zip archive renamed to .docx is not an office document
        upload.seek(0)
        sample = upload.read(size if size < 65536 else 65536)
        upload.seek(0)
        marker = b"word/" if suffix == ".docx" else b"xl/"
        if marker not in sample:
            return None
    return detected

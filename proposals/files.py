"""Stored files (attachments, letters, urging notices, exports) go through Django's storage API
only: the local folder (MEDIA_ROOT) in the embedded run, S3-compatible object storage when
several web and worker nodes share them (config/settings/base.py). Nothing here knows which.

Downloads stream through the permission-checked views; no storage URL is ever handed out, so a
private bucket stays private and every download is checked like every page."""

from __future__ import annotations

from django.db.models.fields.files import FieldFile
from django.http import FileResponse, Http404
from django.utils.translation import gettext as _

try:  # object storage errors (network, throttling, a bucket briefly unreachable)
    from botocore.exceptions import BotoCoreError, ClientError

    OBJECT_STORAGE_ERRORS: tuple[type[Exception], ...] = (BotoCoreError, ClientError)
except ImportError:  # pragma: no cover - boto3 comes with django-storages[s3]
    OBJECT_STORAGE_ERRORS = ()

# Storage failures worth retrying in a background job: a full or unmounted disk, or object
# storage that did not answer. Anything else is a bug in the file and retrying will not help.
TRANSIENT_STORAGE_ERRORS: tuple[type[Exception], ...] = (OSError, *OBJECT_STORAGE_ERRORS)


def stored_file_response(
    stored: FieldFile, *, filename: str, content_type: str, as_attachment: bool = True
) -> FileResponse:
    """Stream a stored file to a user the caller has already checked. A file that is gone from
    the storage (deleted by hand, a restore without the bucket) is a 404 with a plain message,
    not a server error."""
    if not stored:
        raise Http404(_("文件已不存在，请联系督办机构。"))
    try:
        handle = stored.open("rb")
    except FileNotFoundError as error:
        raise Http404(_("文件已不存在，请联系督办机构。")) from error
    return FileResponse(
        handle, as_attachment=as_attachment, filename=filename, content_type=content_type
    )

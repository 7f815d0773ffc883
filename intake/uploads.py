"""An upload handler that stops storing a sheet larger than IMPORT_MAX_BYTES: announced larger
(Content-Length) it is not stored at all, else it is cut off once it passes the limit. The rest
of the request is drained unread, so the page can answer with a clear message (Django itself
would write an upload of any size to disk)."""

from __future__ import annotations

from typing import Any

from django.core.files.uploadhandler import FileUploadHandler, StopUpload

from .sheet import max_bytes

UPLOAD_OVERHEAD = 64 * 1024  # the multipart envelope around the file and the form's fields
TOO_LARGE = "import_upload_too_large"  # request attribute: the size that was refused


class SizeLimitHandler(FileUploadHandler):
    def __init__(self, request: Any = None) -> None:
        super().__init__(request)
        self.received = 0

    def handle_raw_input(
        self,
        input_data: Any,
        META: Any,
        content_length: int,
        boundary: Any,
        encoding: str | None = None,
    ) -> None:
        if content_length > max_bytes() + UPLOAD_OVERHEAD:
            setattr(self.request, TOO_LARGE, content_length)

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        super().new_file(*args, **kwargs)
        self.received = 0
        if getattr(self.request, TOO_LARGE, 0):
            raise StopUpload(connection_reset=False)

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        self.received += len(raw_data)
        if self.received > max_bytes():
            setattr(self.request, TOO_LARGE, max(self.received, start + len(raw_data)))
            raise StopUpload(connection_reset=False)
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None

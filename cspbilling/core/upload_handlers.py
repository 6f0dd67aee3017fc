"""Uploaded files are bounded and cleaned up, for every form and endpoint
(`settings.FILE_UPLOAD_HANDLERS`).

Django streams a file part to memory up to FILE_UPLOAD_MAX_MEMORY_SIZE, then to a temporary file;
these handlers add what it lacks:

* `SizeLimitUploadHandler` (first in the list) refuses a file over `settings.UPLOAD_MAX_MB` while
  it arrives: when the request's Content-Length already says the file cannot fit, as soon as the
  file part starts (not a byte of it is read); otherwise when the file passes the limit. The rest
  of the body is not read, and the fields that came before the file (the CSRF token) are kept, so
  a page can show the refusal as a form error. `upload_refusal(request)` says why.
* `CleanTemporaryFileUploadHandler` remembers its temporary file, so that
  `delete_upload_temporaries` (called after every request by the upload guard middleware) deletes
  it however the request ended: a client that went away mid-upload left it behind before.
"""

from __future__ import annotations

import contextlib
import os

from django.conf import settings
from django.core.files.uploadhandler import (
    FileUploadHandler,
    StopUpload,
    TemporaryFileUploadHandler,
)
from django.http import HttpRequest

# What a multipart body may carry besides the file: the other fields (bounded by Django's
# DATA_UPLOAD_MAX_MEMORY_SIZE) and the parts' headers.
FIELDS_ALLOWANCE = 64 * 1024


class UploadTooLarge(Exception):
    def __init__(self, limit_mb: int) -> None:
        self.limit_mb = limit_mb
        super().__init__(
            f"The file is larger than the upload limit of {limit_mb} MB; it was not stored. "
            "Split it, or ask an administrator to raise CSPBILLING_UPLOAD_MAX_MB."
        )


def upload_limit_bytes() -> int:
    return settings.UPLOAD_MAX_MB * 1024 * 1024


def upload_refusal(request: HttpRequest) -> UploadTooLarge | None:
    """Why the request's file was refused, once its body has been read; None if it was not."""
    return getattr(request, "_upload_refusal", None)


class SizeLimitUploadHandler(FileUploadHandler):
    """Refuses a file over the upload limit before it is stored (see the module docstring)."""

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        allowance = settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 0
        self.too_large_already = (
            content_length > upload_limit_bytes() + allowance + FIELDS_ALLOWANCE
        )

    def new_file(self, *args, **kwargs) -> None:
        super().new_file(*args, **kwargs)
        if self.too_large_already:
            self._refuse()

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        if start + len(raw_data) > upload_limit_bytes():
            self._refuse()
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None

    def _refuse(self) -> None:
        self.request._upload_refusal = UploadTooLarge(settings.UPLOAD_MAX_MB)
        raise StopUpload(connection_reset=True)


class CleanTemporaryFileUploadHandler(TemporaryFileUploadHandler):
    """Django's handler for files over FILE_UPLOAD_MAX_MEMORY_SIZE, whose files are deleted."""

    def new_file(self, *args, **kwargs) -> None:
        super().new_file(*args, **kwargs)
        temporaries = self.request.__dict__.setdefault("_upload_temporaries", [])
        temporaries.append(self.file)


def delete_upload_temporaries(request: HttpRequest) -> None:
    """Close and delete the temporary files of the request's uploads, if still there (a storage
    may have moved one to its place already)."""
    for upload in request.__dict__.pop("_upload_temporaries", []):
        path = upload.temporary_file_path()
        upload.close()
        with contextlib.suppress(FileNotFoundError):
            os.remove(path)

"""Uploaded documents (identity documents, face photos, home-visit papers): PDF, JPEG or PNG judged by
the file's bytes, never by its name, and at most 5 MB. Each app maps the problem to its own code.

The storage (settings STORAGES "default") writes a document completely under a temporary name
beside its final one and only then moves it into place, so a disk that fills up part-way leaves
no partial file; `refused_when_storage_full` turns that full disk into the one answer every upload
gives, 507 `storage_full`."""

import contextlib
import errno
import logging
import os
import tempfile
from collections.abc import Iterator
from enum import StrEnum
from typing import Any

from django.core.files import File
from django.core.files.storage import FileSystemStorage
from django.core.files.uploadedfile import UploadedFile
from django.http import FileResponse
from django.utils.translation import gettext_noop

from portal.core.errors import ApplicationError, ErrorCode

log = logging.getLogger(__name__)

DOCUMENT_TYPES = {"application/pdf", "image/jpeg", "image/png"}
IMAGE_TYPES = {"image/jpeg", "image/png"}
MAX_BYTES = 5 * 1024 * 1024
EXTENSIONS = {"application/pdf": ".pdf", "image/jpeg": ".jpg", "image/png": ".png"}


class UploadProblem(StrEnum):
    TYPE = "type"
    SIZE = "size"


def content_type(file: UploadedFile, *, allowed: set[str] = DOCUMENT_TYPES) -> str | None:
    """The type the file's bytes say it is, if it is one of `allowed`; else None."""
    import filetype

    head = file.read(2048)
    file.seek(0)
    kind = filetype.guess(head)
    return kind.mime if kind is not None and kind.mime in allowed else None


def upload_check(
    file: UploadedFile, *, allowed: set[str] = DOCUMENT_TYPES
) -> tuple[str, UploadProblem | None]:
    """(content type, problem): the problem is SIZE over 5 MB or of unknown size, TYPE when the file is
    empty or its bytes are not allowed."""
    if file.size is None or file.size > MAX_BYTES:
        return "", UploadProblem.SIZE
    if file.size == 0:
        return "", UploadProblem.TYPE
    kind = content_type(file, allowed=allowed)
    return (kind, None) if kind else ("", UploadProblem.TYPE)


def document_response(file: Any, *, content_type: str, name: str) -> FileResponse:
    """Streams an uploaded document as a download, never inline (issue 15): a file a resident
    uploaded is not rendered in the portal's origin, whatever its bytes turn out to be. `name` is a
    neutral stem (the record's id), never the uploader's file name, which may hold a name or number."""
    extension = EXTENSIONS.get(content_type, "")
    response = FileResponse(
        file.open("rb"),
        as_attachment=True,
        filename=f"{name}{extension}",
        content_type=content_type or "application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


# HTTP 507 Insufficient Storage (RFC 4918): the server cannot store what the request carries.
INSUFFICIENT_STORAGE = 507
_FULL = {errno.ENOSPC, errno.EDQUOT}


class UploadError(ErrorCode):
    # gettext_noop: the msgid of the pages' translation (reasons_shown); the API answers in Chinese
    STORAGE_FULL = "storage_full", gettext_noop("存储空间不足，文件没有保存，请稍后再试")


class _Staged(File):
    """A document already written in full on the storage's disk: FileSystemStorage moves it."""

    def __init__(self, path: str) -> None:
        super().__init__(None, name=path)
        self.path = path

    def temporary_file_path(self) -> str:
        return self.path


class AtomicFileSystemStorage(FileSystemStorage):
    """FileSystemStorage whose files appear whole or not at all: the bytes go to a temporary file in
    the target folder first (Django's own `_save` would leave the part written when the disk is
    full), which is then renamed to its free name by Django's `_save`; a failed write removes it."""

    def _save(self, name: str, content: File) -> str:
        folder = os.path.dirname(self.path(name))
        os.makedirs(folder, exist_ok=True)
        handle, staged = tempfile.mkstemp(dir=folder, prefix=".partial-")
        try:
            with os.fdopen(handle, "wb") as out:
                for chunk in content.chunks():
                    out.write(chunk if isinstance(chunk, bytes) else chunk.encode())
            return str(super()._save(name, _Staged(staged)))  # type: ignore[misc]  # not in django-stubs
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.remove(staged)  # still there only when something failed


@contextlib.contextmanager
def refused_when_storage_full(*, field: str = "file") -> Iterator[None]:
    """A full disk (or quota) while storing an upload becomes 507 `storage_full` for the caller;
    the storage kept no part of the file, and the caller's transaction rolls back its rows."""
    try:
        yield
    except OSError as exc:
        if exc.errno not in _FULL:
            raise
        log.error("upload refused: the upload storage is full (%s)", exc.strerror)
        raise ApplicationError.of(INSUFFICIENT_STORAGE, UploadError.STORAGE_FULL, field=field) from exc

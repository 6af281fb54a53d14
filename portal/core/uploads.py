"""Uploaded documents (identity documents, face photos, home-visit papers): PDF, JPEG or PNG judged by
the file's bytes, never by its name, and at most 5 MB. Each app maps the problem to its own code."""

from enum import StrEnum
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.http import FileResponse

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

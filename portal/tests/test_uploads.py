"""The one upload check every app uses (family-sharing evidence, delegation documents, home-visit
papers): judged by the bytes, never by the name or the browser's content type, at most 5 MB."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from portal.core.uploads import IMAGE_TYPES, MAX_BYTES, UploadProblem, upload_check

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00\x90wS\xde"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 56


@pytest.mark.parametrize(
    ("content", "expected"), [(PDF, "application/pdf"), (PNG, "image/png"), (JPEG, "image/jpeg")]
)
def test_a_document_is_known_by_its_bytes_whatever_its_name(content, expected):
    upload = SimpleUploadedFile("anything.txt", content, content_type="text/plain")
    assert upload_check(upload) == (expected, None)
    assert upload.read() == content  # the check leaves the file where it was for saving


def test_an_executable_named_pdf_is_the_wrong_type():
    upload = SimpleUploadedFile("x.pdf", ELF, content_type="application/pdf")
    assert upload_check(upload) == ("", UploadProblem.TYPE)


def test_an_empty_file_is_the_wrong_type():
    assert upload_check(SimpleUploadedFile("x.pdf", b"")) == ("", UploadProblem.TYPE)


def test_over_5_mb_is_too_large_and_5_mb_itself_is_not():
    at_limit = PDF + b"0" * (MAX_BYTES - len(PDF))
    assert upload_check(SimpleUploadedFile("a.pdf", at_limit)) == ("application/pdf", None)
    assert upload_check(SimpleUploadedFile("b.pdf", at_limit + b"0")) == ("", UploadProblem.SIZE)


def test_a_file_of_unknown_size_is_refused_as_too_large():
    upload = SimpleUploadedFile("a.pdf", PDF)
    upload.size = None
    assert upload_check(upload) == ("", UploadProblem.SIZE)


def test_an_image_only_check_refuses_a_pdf():
    assert upload_check(SimpleUploadedFile("face.pdf", PDF), allowed=IMAGE_TYPES) == ("", UploadProblem.TYPE)

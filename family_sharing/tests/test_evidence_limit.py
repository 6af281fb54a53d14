"""At most ten evidence files per binding (issue 15), through the API and the upload page: the
eleventh is refused with `evidence_too_many` and a Chinese message, nothing stored, and parallel
uploads cannot pass ten together (the count is taken under the binding's row lock)."""

import threading

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connections
from rest_framework.test import APIClient

from family_sharing.models import Evidence
from family_sharing.services import MAX_EVIDENCE_FILES
from family_sharing.tests.conftest import relation_codes  # noqa: F401 (autouse: GB/T 4761 codes)
from family_sharing.tests.test_admin import PDF, needs_evidence_binding
from family_sharing.tests.test_pages import field_error_codes, signed_in

ELEVENTH = "每个绑定最多上传10份证明材料"


def _fill(binding, user, count: int) -> None:
    for i in range(count):
        Evidence.objects.create(
            binding=binding,
            file=SimpleUploadedFile(f"e{i}.pdf", PDF),
            content_type="application/pdf",
            size=len(PDF),
            uploaded_by=user,
        )


@pytest.mark.django_db
def test_the_eleventh_file_through_the_api_is_refused_and_not_stored(api):
    # given a binding that already holds ten evidence files
    binding, first = needs_evidence_binding()
    _fill(binding, first.uploaded_by, MAX_EVIDENCE_FILES - 1)
    api.force_authenticate(first.uploaded_by)
    # when the sharer uploads an eleventh
    response = api.post(
        f"/api/v1/bindings/{binding.pk}/evidence/",
        {"file": SimpleUploadedFile("eleventh.pdf", PDF)},
        format="multipart",
    )
    # then it is refused with its own code and a Chinese message, and still ten are stored
    assert response.status_code == 409, response.content
    assert response.json()["error"] == "evidence_too_many"
    assert ELEVENTH in response.json()["message"]
    assert Evidence.objects.filter(binding=binding).count() == MAX_EVIDENCE_FILES


@pytest.mark.django_db
def test_the_tenth_file_is_still_accepted(api):
    binding, first = needs_evidence_binding()
    _fill(binding, first.uploaded_by, MAX_EVIDENCE_FILES - 2)
    api.force_authenticate(first.uploaded_by)
    response = api.post(
        f"/api/v1/bindings/{binding.pk}/evidence/",
        {"file": SimpleUploadedFile("t.pdf", PDF)},
        format="multipart",
    )
    assert response.status_code == 201, response.content
    assert Evidence.objects.filter(binding=binding).count() == MAX_EVIDENCE_FILES


@pytest.mark.django_db
def test_the_eleventh_file_on_the_upload_page_is_refused_beside_the_file_field(client):
    binding, first = needs_evidence_binding()
    _fill(binding, first.uploaded_by, MAX_EVIDENCE_FILES - 1)
    response = signed_in(client, first.uploaded_by).post(
        f"/family/{binding.pk}/evidence/", {"file": SimpleUploadedFile("eleventh.pdf", PDF)}
    )
    assert response.status_code == 200
    assert field_error_codes(response.content.decode(), "id_file") == ["evidence_too_many"]
    assert ELEVENTH in response.content.decode()
    assert Evidence.objects.filter(binding=binding).count() == MAX_EVIDENCE_FILES


@pytest.mark.django_db(transaction=True)
def test_parallel_uploads_cannot_pass_ten_together():
    # given a binding with one evidence file and twelve uploads released at the same moment
    binding, first = needs_evidence_binding()
    user = first.uploaded_by
    threads_n = 12
    start = threading.Barrier(threads_n)
    statuses: list[int] = [0] * threads_n

    def upload(i: int) -> None:
        try:
            api = APIClient()
            api.force_authenticate(user)
            start.wait()
            response = api.post(
                f"/api/v1/bindings/{binding.pk}/evidence/",
                {"file": SimpleUploadedFile(f"p{i}.pdf", PDF)},
                format="multipart",
            )
            statuses[i] = response.status_code
        finally:
            connections.close_all()

    threads = [threading.Thread(target=upload, args=(i,)) for i in range(threads_n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # then exactly nine more fit, the other three are refused
    assert sorted(statuses) == [201] * 9 + [409] * 3
    assert Evidence.objects.filter(binding=binding).count() == MAX_EVIDENCE_FILES

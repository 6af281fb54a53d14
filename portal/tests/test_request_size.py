"""Every request's size is limited before its body is read (issue 15): over REQUEST_MAX_BYTES the API
answers 413 with the JSON error body, a page answers 413 with a Chinese page, and nothing is stored;
DATA_UPLOAD_MAX_NUMBER_FILES caps the files of one request."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from family_sharing.models import Evidence
from family_sharing.tests.conftest import relation_codes  # noqa: F401 (autouse: GB/T 4761 codes)
from family_sharing.tests.test_admin import PDF, needs_evidence_binding
from family_sharing.tests.test_pages import signed_in

pytestmark = pytest.mark.django_db

LIMIT = 64 * 1024


@pytest.fixture(autouse=True)
def small_limit(settings):
    settings.REQUEST_MAX_BYTES = LIMIT


def test_an_oversized_api_request_is_413_with_the_json_error_body_and_stores_nothing(api):
    # given a binding waiting for evidence
    binding, first = needs_evidence_binding()
    api.force_authenticate(first.uploaded_by)
    # when a file larger than the request limit is posted
    big = SimpleUploadedFile("big.pdf", PDF + b"0" * (LIMIT * 2))
    response = api.post(f"/api/v1/bindings/{binding.pk}/evidence/", {"file": big}, format="multipart")
    # then the JSON error body says why, in Chinese, and nothing was stored
    assert response.status_code == 413
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["error"] == "request_too_large"
    assert "请求内容过大" in body["message"]
    assert Evidence.objects.filter(binding=binding).count() == 1


def test_the_limit_is_judged_on_content_length_before_any_body_is_read(api):
    # a client announcing more than the limit is refused whatever it sends (nothing is read)
    response = api.generic(
        "POST",
        "/api/v1/bindings/check/",
        b"{}",
        content_type="application/json",
        CONTENT_LENGTH=str(LIMIT + 1),
    )
    assert response.status_code == 413
    assert response.json()["error"] == "request_too_large"


def test_an_oversized_page_request_is_413_with_a_chinese_page(client):
    binding, first = needs_evidence_binding()
    big = SimpleUploadedFile("big.pdf", PDF + b"0" * (LIMIT * 2))
    response = signed_in(client, first.uploaded_by).post(f"/family/{binding.pk}/evidence/", {"file": big})
    assert response.status_code == 413
    assert response["Content-Type"].startswith("text/html")
    page = response.content.decode()
    assert "提交的内容过大" in page and 'data-code="request_too_large"' in page
    assert Evidence.objects.filter(binding=binding).count() == 1


def test_a_request_under_the_limit_passes(api):
    binding, first = needs_evidence_binding()
    api.force_authenticate(first.uploaded_by)
    small = SimpleUploadedFile("small.pdf", PDF)
    response = api.post(f"/api/v1/bindings/{binding.pk}/evidence/", {"file": small}, format="multipart")
    assert response.status_code == 201


def test_more_files_in_one_request_than_allowed_is_refused(client, settings):
    settings.REQUEST_MAX_BYTES = 0  # only the file count is under test here
    binding, first = needs_evidence_binding()
    files = [SimpleUploadedFile(f"f{i}.pdf", PDF) for i in range(settings.DATA_UPLOAD_MAX_NUMBER_FILES + 1)]
    response = signed_in(client, first.uploaded_by).post(f"/family/{binding.pk}/evidence/", {"file": files})
    assert response.status_code == 400
    assert Evidence.objects.filter(binding=binding).count() == 1

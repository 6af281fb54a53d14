"""Uploaded documents are downloads, never pages (issue 15): a file a resident uploaded is served with
`Content-Disposition: attachment`, a neutral file name and `X-Content-Type-Options: nosniff`, so a
browser never renders it in the portal's origin. Opened as staff do, through the admin."""

import datetime as dt

import pytest

from accounts.tests.factories import PersonFactory, ResidentFactory, StaffFactory
from certification.tests.test_home_visits import request_visit
from family_sharing.tests.conftest import relation_codes  # noqa: F401 (autouse: GB/T 4761 codes)
from family_sharing.tests.test_admin import admin_login, needs_evidence_binding

pytestmark = pytest.mark.django_db


def assert_download(response, *, stem: str, extension: str) -> None:
    assert response.status_code == 200
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;"), disposition
    assert f'filename="{stem}{extension}"' in disposition
    assert "inline" not in disposition
    assert response["X-Content-Type-Options"] == "nosniff"


def test_binding_evidence_is_served_as_an_attachment_under_a_neutral_name(client):
    # given evidence uploaded as "hukou.pdf" in the staff member's region
    staff = StaffFactory()
    _, evidence = needs_evidence_binding(region=staff.region)
    admin_login(client, staff)
    # when staff open it
    response = client.get(f"/admin/family_sharing/evidence/{evidence.pk}/file/")
    # then it is a download named after the record, not the uploader's file name
    assert_download(response, stem=str(evidence.pk), extension=".pdf")
    assert "hukou" not in response["Content-Disposition"]
    assert b"".join(response.streaming_content).startswith(b"%PDF")


def test_home_visit_documents_are_served_as_attachments(client):
    # the same DocumentFilesAdmin view serves the delegations' documents
    resident = ResidentFactory(
        person=PersonFactory(is_pensioner=True, last_certified_on=dt.date(2025, 1, 10))
    )
    document = request_visit(resident).documents.get()
    admin_login(client, StaffFactory())
    response = client.get(f"/admin/certification/homevisit/document/{document.pk}/")
    assert_download(response, stem=str(document.pk), extension=".pdf")

"""Bureau staff review evidence and see bindings of their own region only (admin behind OTP)."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.change_requests.models import ChangeRequest
from accounts.tests.factories import ProvinceFactory, RegionFactory, ResidentFactory, StaffFactory
from family_sharing.models import Binding, Evidence
from family_sharing.tests.factories import person, sharer

pytestmark = pytest.mark.django_db
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def admin_login(client, staff):
    client.post(
        "/admin/login/?next=/admin/",
        {"username": staff.username, "password": "Staff-Password-42", "otp_token": "123456"},
    )


def needs_evidence_binding(region=None):
    kwargs = {"region": region} if region else {}
    s = sharer(**kwargs)
    user = ResidentFactory(person=s)
    binding = Binding.objects.create(
        sharer=s,
        beneficiary=person(1950, **kwargs),
        relation_code_id="51",
        status="needs_evidence",
        channel="web",
    )
    evidence = Evidence.objects.create(
        binding=binding,
        file=SimpleUploadedFile("hukou.pdf", PDF),
        content_type="application/pdf",
        size=len(PDF),
        uploaded_by=user,
    )
    return binding, evidence


def test_approving_evidence_activates_the_binding_once_a_second_officer_approves(client):
    # given evidence waiting for review in the staff member's region
    staff, second = StaffFactory(), StaffFactory()
    binding, evidence = needs_evidence_binding(region=staff.region)
    admin_login(client, staff)
    # when staff approve it, the approval waits for a second officer (maker-checker)
    client.post("/admin/family_sharing/evidence/", {"action": "approve", "_selected_action": [evidence.pk]})
    binding.refresh_from_db()
    evidence.refresh_from_db()
    assert (binding.status, evidence.review) == ("needs_evidence", "pending")
    filed = ChangeRequest.objects.get(kind="evidence_approve", maker=staff)
    # then once a second officer approves, the binding is active, and the event names the checker
    client.logout()
    admin_login(client, second)
    client.post(f"/admin/accounts/changerequest/{filed.pk}/decide/", {"decision": "approve"})
    binding.refresh_from_db()
    assert binding.status == "active"
    event = binding.events.get(to_status="active")
    assert (event.actor, event.channel, event.reasons) == (second, "bureau", ["evidence_approved"])


def test_rejecting_evidence_rejects_the_binding(client):
    staff = StaffFactory()
    binding, evidence = needs_evidence_binding(region=staff.region)
    admin_login(client, staff)
    client.post("/admin/family_sharing/evidence/", {"action": "reject", "_selected_action": [evidence.pk]})
    binding.refresh_from_db()
    assert binding.status == "rejected"
    assert binding.reasons == ["evidence_rejected"]


def test_evidence_files_are_served_only_to_staff_of_the_region(client):
    staff = StaffFactory()
    _, mine = needs_evidence_binding(region=staff.region)
    shanghai = RegionFactory(
        code="310100", name="上海市", province=ProvinceFactory(code="310000", name="上海市")
    )
    _, theirs = needs_evidence_binding(region=shanghai)
    url = "/admin/family_sharing/evidence/{}/file/"
    assert client.get(url.format(mine.pk)).status_code == 302  # not signed in: to the login page
    admin_login(client, staff)
    response = client.get(url.format(mine.pk))
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    assert client.get(url.format(theirs.pk)).status_code == 404


def test_bindings_of_other_regions_are_not_listed(client):
    staff = StaffFactory()
    mine, _ = needs_evidence_binding(region=staff.region)
    shanghai = RegionFactory(
        code="310100", name="上海市", province=ProvinceFactory(code="310000", name="上海市")
    )
    theirs, _ = needs_evidence_binding(region=shanghai)
    admin_login(client, staff)
    assert client.get(f"/admin/family_sharing/binding/{mine.pk}/change/").status_code == 200
    assert client.get(f"/admin/family_sharing/binding/{theirs.pk}/change/").status_code == 302

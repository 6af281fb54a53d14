"""Bureau staff record window and community certifications with the documents seen, and schedule
home visits and record their outcome, in the admin (behind OTP, their own region only)."""

import datetime as dt

import pytest

from accounts.tests.factories import PersonFactory, RegionFactory, ResidentFactory, StaffFactory
from certification.models import Certification, HomeVisit, PensionPayment
from certification.tests.test_home_visits import request_visit
from portal.core.time import today

pytestmark = pytest.mark.django_db


def admin_login(client, staff):
    client.post(
        "/admin/login/?next=/admin/",
        {"username": staff.username, "password": "Staff-Password-42", "otp_token": "123456"},
    )
    return client


def test_window_staff_record_an_in_person_certification_that_resumes_payment(client):
    person = PersonFactory(is_pensioner=True, last_certified_on=dt.date(2024, 1, 5))
    PensionPayment.objects.create(person=person, status="suspended", suspended_on=dt.date(2025, 1, 6))
    admin_login(client, StaffFactory())
    page = client.post(
        "/admin/certification/certification/add/",
        {
            "card_number": person.card_number,
            "channel": "bureau",
            "result": "pass",
            "documents_seen": "居民身份证",
        },
    )
    assert page.status_code == 302
    cert = Certification.objects.get()
    assert (cert.channel, cert.method, cert.documents_seen) == ("bureau", "in_person", "居民身份证")
    assert PensionPayment.objects.get(person=person).status == "paying"


def test_staff_must_note_the_documents_seen_and_cannot_record_another_region(client):
    mine = PersonFactory(is_pensioner=True)
    elsewhere = PersonFactory(is_pensioner=True, region=RegionFactory(code="310100", name="上海市"))
    admin_login(client, StaffFactory())
    no_docs = client.post(
        "/admin/certification/certification/add/",
        {"card_number": mine.card_number, "channel": "community", "result": "pass", "documents_seen": " "},
    )
    other = client.post(
        "/admin/certification/certification/add/",
        {
            "card_number": elsewhere.card_number,
            "channel": "bureau",
            "result": "pass",
            "documents_seen": "身份证",
        },
    )
    assert no_docs.status_code == 200 and other.status_code == 200
    assert 'data-code="card_not_found"' in other.content.decode()
    assert not Certification.objects.exists()


def test_staff_schedule_a_home_visit_and_record_its_outcome(client):
    resident = ResidentFactory(
        person=PersonFactory(is_pensioner=True, last_certified_on=dt.date(2025, 1, 10))
    )
    visit = request_visit(resident)
    staff, visitor = StaffFactory(), StaffFactory()
    admin_login(client, staff)
    assert "安排上门" in client.get("/admin/certification/homevisit/").content.decode()
    day = (today() + dt.timedelta(days=2)).isoformat()
    client.post(
        f"/admin/certification/homevisit/{visit.pk}/schedule/",
        {"scheduled_on": day, "visit_staff": visitor.pk},
    )
    assert HomeVisit.objects.get().status == "scheduled"
    client.post(
        f"/admin/certification/homevisit/{visit.pk}/outcome/",
        {"certified": "yes", "documents_seen": "居民身份证", "note": ""},
    )
    visit.refresh_from_db()
    assert visit.status == "certified" and visit.certification is not None


def test_home_visit_documents_open_for_staff_of_the_region_only(client):
    from certification.tests.test_home_visits import PDF

    resident = ResidentFactory(
        person=PersonFactory(is_pensioner=True, last_certified_on=dt.date(2025, 1, 10))
    )
    visit = request_visit(resident)
    document = visit.documents.get()
    admin_login(client, StaffFactory())
    page = client.get(f"/admin/certification/homevisit/{visit.pk}/change/").content.decode()
    url = f"/admin/certification/homevisit/document/{document.pk}/"
    assert url in page
    opened = client.get(url)
    assert opened.status_code == 200 and opened["Content-Type"] == "application/pdf"
    assert b"".join(opened.streaming_content) == PDF
    client.logout()
    admin_login(client, StaffFactory(region=RegionFactory(code="310100", name="上海市")))
    assert client.get(url).status_code == 404

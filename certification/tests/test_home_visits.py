"""Home-visit certification: requested → scheduled → certified | failed, or cancelled; any other move
is 409 invalid_transition; documents are judged by their content."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.tests.factories import PersonFactory, RegionFactory, ResidentFactory, StaffFactory
from certification.home_visits import (
    home_visit_cancel,
    home_visit_outcome,
    home_visit_request,
    home_visit_schedule,
)
from certification.models import Certification, HomeVisit, HomeVisitEvent
from portal.core.errors import ApplicationError
from portal.core.time import today

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def pdf():
    return SimpleUploadedFile("病历.pdf", PDF, "application/pdf")


@pytest.fixture
def people():
    resident = ResidentFactory(
        person=PersonFactory(is_pensioner=True, last_certified_on=dt.date(2025, 1, 10))
    )
    staff, visitor = StaffFactory(), StaffFactory()
    return resident, staff, visitor


def request_visit(resident, **kwargs):
    return home_visit_request(
        actor=resident,
        reason=kwargs.pop("reason", "hospital"),
        address="北京市第一人民医院 3 号楼 12 床",
        note="",
        documents=kwargs.pop("documents", [pdf()]),
    )


def test_a_visit_is_requested_scheduled_and_certifies(people):
    resident, staff, visitor = people
    visit = request_visit(resident)
    assert visit.status == "requested" and visit.documents.count() == 1
    home_visit_schedule(actor=staff, visit=visit, on=today() + dt.timedelta(days=3), visitor=visitor)
    visit = home_visit_outcome(actor=staff, visit=visit, certified=True, documents_seen="居民身份证")
    resident.person.refresh_from_db()
    assert visit.status == "certified"
    assert visit.certification.channel == "home_visit" and visit.certification.method == "in_person"
    assert resident.person.last_certified_on is not None and resident.person.last_certified_on > dt.date(
        2025, 1, 10
    )
    assert list(HomeVisitEvent.objects.filter(visit=visit).values_list("to_status", flat=True)) == [
        "requested",
        "scheduled",
        "certified",
    ]


def test_a_failed_visit_certifies_nothing_and_a_new_request_may_follow(people):
    resident, staff, visitor = people
    visit = request_visit(resident)
    home_visit_schedule(actor=staff, visit=visit, on=today(), visitor=visitor)
    home_visit_outcome(actor=staff, visit=visit, certified=False, documents_seen="", note="家中无人")
    assert not Certification.objects.exists()
    assert request_visit(resident).status == "requested"


@pytest.mark.parametrize(
    ("moves", "refused"),
    [
        (["outcome"], "outcome"),  # an outcome before any schedule
        (["schedule", "schedule"], "schedule"),
        (["cancel", "schedule"], "schedule"),
        (["schedule", "outcome", "cancel"], "cancel"),
    ],
)
def test_invalid_transitions_are_409_and_change_nothing(people, moves, refused):
    resident, staff, visitor = people
    visit = request_visit(resident)
    act = {
        "schedule": lambda v: home_visit_schedule(actor=staff, visit=v, on=today(), visitor=visitor),
        "outcome": lambda v: home_visit_outcome(
            actor=staff, visit=v, certified=True, documents_seen="身份证"
        ),
        "cancel": lambda v: home_visit_cancel(actor=resident, visit=v),
    }
    for move in moves[:-1]:
        act[move](visit)
    before = HomeVisit.objects.get(pk=visit.pk).status
    with pytest.raises(ApplicationError) as bad:
        act[refused](HomeVisit.objects.get(pk=visit.pk))
    assert (bad.value.status, bad.value.code) == (409, "invalid_transition")
    assert HomeVisit.objects.get(pk=visit.pk).status == before


def test_one_open_request_at_a_time(people):
    resident, _staff, _visitor = people
    request_visit(resident)
    with pytest.raises(ApplicationError) as twice:
        request_visit(resident)
    assert twice.value.code == "home_visit_open"


@pytest.mark.parametrize("content", [b"GIF89a not allowed", b"plain text", b"PK\x03\x04zipfile"])
def test_documents_must_be_pdf_jpeg_or_png_by_content(people, content):
    resident, _staff, _visitor = people
    with pytest.raises(ApplicationError) as bad:
        request_visit(resident, documents=[SimpleUploadedFile("x.pdf", content, "application/pdf")])
    assert bad.value.code == "upload_type"
    assert not HomeVisit.objects.exists()


def test_a_request_needs_a_document_and_a_known_reason(people):
    resident, _staff, _visitor = people
    with pytest.raises(ApplicationError) as bad:
        request_visit(resident, reason="bored", documents=[])
    assert sorted(bad.value.codes()) == ["home_visit_document_required", "home_visit_reason_unknown"]


def test_staff_of_another_region_cannot_schedule(people):
    resident, _staff, visitor = people
    other = StaffFactory(region=RegionFactory(code="310100", name="上海市"))
    visit = request_visit(resident)
    with pytest.raises(ApplicationError) as bad:
        home_visit_schedule(actor=other, visit=visit, on=today(), visitor=visitor)
    assert bad.value.status == 403

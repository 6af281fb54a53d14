"""The number on file changes only at a bureau window (DESIGN.md section 3, decision record 0015): an
officer of the person's region, with a reason, recorded who, when, why, old and new masked; it takes
effect when a second officer of the region approves it (maker-checker, decision record 0022)."""

import pytest

from accounts.change_requests.models import ChangeRequest
from accounts.change_requests.services import request_approve
from accounts.models import PendingRegistration, Person, PhoneChange
from accounts.tests.factories import PersonFactory, RegionFactory, StaffFactory
from portal.core.notify import MemorySmsSender

pytestmark = pytest.mark.django_db

STAFF_PASSWORD = "Staff-Password-42"


def admin_login(client, staff) -> None:
    response = client.post(
        "/admin/login/?next=/admin/",
        {"username": staff.username, "password": STAFF_PASSWORD, "otp_token": "123456"},
    )
    assert response.status_code == 302


def url(person: Person) -> str:
    return f"/admin/accounts/person/{person.pk}/phone/"


def test_an_officer_changes_the_number_with_a_reason_and_it_is_recorded(
    client, django_capture_on_commit_callbacks
):
    staff = StaffFactory()
    person = PersonFactory(region=staff.region, phone="13800000001")
    admin_login(client, staff)
    page = client.get(url(person)).content.decode()
    assert "138****0001" in page and "13800000001" not in page and person.name not in page

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            url(person), {"new_phone": "13900000002", "reason": "本人持身份证申请，原号码停用"}
        )

    [filed] = ChangeRequest.objects.all()
    assert response.status_code == 302
    assert response["Location"] == f"/admin/accounts/changerequest/{filed.pk}/change/"
    assert Person.objects.get(pk=person.pk).phone == "13800000001"  # until a second officer approves
    with django_capture_on_commit_callbacks(execute=True):
        request_approve(checker=StaffFactory(region=staff.region), request=filed)
    person.refresh_from_db()
    assert person.phone == "13900000002"
    [change] = PhoneChange.objects.all()
    assert (change.staff, change.person, change.old_phone_masked, change.new_phone_masked) == (
        staff,
        person,
        "138****0001",
        "139****0002",
    )
    assert change.reason == "本人持身份证申请，原号码停用" and change.changed_at
    assert person.history.first().history_change_reason == "变更手机号：本人持身份证申请，原号码停用"
    assert sorted(to for to, _ in MemorySmsSender.outbox) == ["13800000001", "13900000002"]


def test_without_a_reason_nothing_changes(client):
    staff = StaffFactory()
    person = PersonFactory(region=staff.region, phone="13800000001")
    admin_login(client, staff)
    page = client.post(url(person), {"new_phone": "13900000002", "reason": " "}).content.decode()
    assert Person.objects.get(pk=person.pk).phone == "13800000001"
    assert not PhoneChange.objects.exists() and not ChangeRequest.objects.exists()
    assert 'class="errorlist' in page


def test_an_officer_of_another_region_gets_404_and_changes_nothing(client):
    staff = StaffFactory(region=RegionFactory(code="310100", name="上海市"))
    person = PersonFactory(phone="13800000001")  # region 110100
    admin_login(client, staff)
    assert client.get(url(person)).status_code == 404
    response = client.post(url(person), {"new_phone": "13900000002", "reason": "冒名"})
    assert response.status_code == 404
    assert Person.objects.get(pk=person.pk).phone == "13800000001"
    assert not PhoneChange.objects.exists()


def test_a_change_ends_a_registration_waiting_for_a_code_sent_to_the_old_number(
    client, api, django_capture_on_commit_callbacks
):
    staff = StaffFactory()
    person = PersonFactory(region=staff.region, phone="13800000001")
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(
            "/api/v1/auth/register/",
            {
                "id_number": person.id_number,
                "name": person.name,
                "card_number": person.card_number,
                "phone": "13800000001",
                "password": "Lantern-River-2026",
            },
            format="json",
        )
    assert response.status_code == 202
    admin_login(client, staff)
    client.post(url(person), {"new_phone": "13900000002", "reason": "原号码停用"})
    assert PendingRegistration.objects.filter(person=person).exists()  # filed, not yet approved
    request_approve(checker=StaffFactory(region=staff.region), request=ChangeRequest.objects.get())
    assert not PendingRegistration.objects.filter(person=person).exists()


def test_residents_and_anonymous_visitors_never_reach_the_page(client):
    person = PersonFactory()
    response = client.get(url(person))
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")


def test_the_persons_page_shows_the_number_masked_with_the_way_to_change_it(client):
    staff = StaffFactory()
    person = PersonFactory(region=staff.region, phone="13800000001")
    admin_login(client, staff)
    page = client.get(f"/admin/accounts/person/{person.pk}/change/").content.decode()
    assert "138****0001" in page and "13800000001" not in page
    assert f'href="{url(person)}"' in page

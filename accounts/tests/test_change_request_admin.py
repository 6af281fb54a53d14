"""Maker-checker in the admin (DESIGN.md section 6): an officer files a change from the person's
pages, the same officer cannot approve it, a second officer of the region sees the before/after
table (masked) and approves it; an officer of another region can neither see nor decide it."""

import pytest
from django.test import Client

from accounts.change_requests.models import ChangeRequest
from accounts.models import Person
from accounts.tests.factories import PersonFactory, RegionFactory, StaffFactory, make_id_number
from accounts.tests.test_admin import admin_login

pytestmark = pytest.mark.django_db


def signed_in(staff) -> Client:
    client = Client()
    assert admin_login(client, staff).status_code == 302
    return client


def page(client: Client, change: ChangeRequest):
    return client.get(f"/admin/accounts/changerequest/{change.pk}/change/")


def decide(client: Client, change: ChangeRequest, decision: str = "approve"):
    return client.post(
        f"/admin/accounts/changerequest/{change.pk}/decide/", {"decision": decision}, follow=True
    )


@pytest.fixture
def desk():
    maker = StaffFactory()
    person = PersonFactory(region=maker.region, phone="13800000001", name="赵大勇", card_number="B12345678")
    return maker, StaffFactory(region=maker.region), person


def test_a_phone_change_is_filed_then_approved_by_a_second_officer(desk):
    maker, checker, person = desk
    # when the maker files a new number on the phone page
    first = signed_in(maker)
    response = first.post(
        f"/admin/accounts/person/{person.pk}/phone/",
        {"new_phone": "13900000002", "reason": "原号码停用"},
        follow=True,
    )
    [change] = ChangeRequest.objects.all()
    # then they are told it waits for a second officer, and the number is unchanged
    assert "已提交，待另一位经办人复核" in response.content.decode()
    assert Person.objects.get(pk=person.pk).phone == "13800000001"
    # and the maker's own page of the request offers no decision; a POST is refused with its code
    assert 'value="approve"' not in page(first, change).content.decode()
    assert "own_request" in decide(first, change).content.decode()
    assert Person.objects.get(pk=person.pk).phone == "13800000001"
    # when the second officer opens it: the before/after table, masked, and the buttons
    second = signed_in(checker)
    shown = page(second, change).content.decode()
    assert "138****0001" in shown and "139****0002" in shown
    assert "13800000001" not in shown and "13900000002" not in shown and "赵大勇" not in shown
    assert 'value="approve"' in shown and 'name="csrfmiddlewaretoken"' in shown
    # then approving applies the change
    assert "已复核通过，变更已生效" in decide(second, change).content.decode()
    assert Person.objects.get(pk=person.pk).phone == "13900000002"
    # and a second approval is refused
    assert "already_decided" in decide(signed_in(StaffFactory(region=maker.region)), change).content.decode()


def test_a_rejection_leaves_the_record_as_it_was(desk):
    maker, checker, person = desk
    signed_in(maker).post(
        f"/admin/accounts/person/{person.pk}/phone/", {"new_phone": "13900000002", "reason": "停用"}
    )
    change = ChangeRequest.objects.get()
    assert "已驳回" in decide(signed_in(checker), change, "reject").content.decode()
    change.refresh_from_db()
    assert change.status == "rejected" and Person.objects.get(pk=person.pk).phone == "13800000001"


def test_an_officer_of_another_region_cannot_see_or_decide_a_request(desk):
    maker, _, person = desk
    signed_in(maker).post(
        f"/admin/accounts/person/{person.pk}/phone/", {"new_phone": "13900000002", "reason": "停用"}
    )
    change = ChangeRequest.objects.get()
    far = signed_in(StaffFactory(region=RegionFactory(code="310100", name="上海市")))
    assert page(far, change).status_code == 404
    assert (
        far.post(f"/admin/accounts/changerequest/{change.pk}/decide/", {"decision": "approve"}).status_code
        == 404
    )
    assert str(change.pk) not in far.get("/admin/accounts/changerequest/").content.decode()
    change.refresh_from_db()
    assert change.status == "pending" and Person.objects.get(pk=person.pk).phone == "13800000001"


def test_the_decision_is_a_post(desk):
    maker, checker, person = desk
    signed_in(maker).post(
        f"/admin/accounts/person/{person.pk}/phone/", {"new_phone": "13900000002", "reason": "停用"}
    )
    change = ChangeRequest.objects.get()
    assert (
        signed_in(checker)
        .get(f"/admin/accounts/changerequest/{change.pk}/decide/?decision=approve")
        .status_code
        == 405
    )
    assert ChangeRequest.objects.get().status == "pending"


def person_form(person: Person, **changes: str) -> dict[str, str]:
    data = {
        "name": person.name,
        "card_number": person.card_number,
        "new_id_number": "",
        "change_reason": "",
        "region": str(person.region_id),
        "insurance_type": person.insurance_type,
        "status": person.status,
        "last_certified_on": "",
    }
    return {**data, **changes}


def test_saving_a_persons_name_card_or_identity_number_files_a_request(desk):
    maker, checker, person = desk
    client = signed_in(maker)
    url = f"/admin/accounts/person/{person.pk}/change/"
    number = make_id_number(address="110105")
    # without a reason the form says so and nothing is filed
    refused = client.post(url, person_form(person, name="赵大永"))
    assert refused.status_code == 200 and not ChangeRequest.objects.exists()
    # with one, the identity change is filed while the other fields save at once
    response = client.post(
        url,
        person_form(
            person, name="赵大永", new_id_number=number, change_reason="户口本更正", status="arrears"
        ),
        follow=True,
    )
    assert "已提交，待另一位经办人复核" in response.content.decode()
    stored = Person.objects.get(pk=person.pk)
    assert (stored.name, stored.id_number, stored.status) == ("赵大勇", person.id_number, "arrears")
    change = ChangeRequest.objects.get()
    assert change.kind == "person_identity" and change.after == {"name": "赵大永", "id_number": number}
    decide(signed_in(checker), change)
    stored = Person.objects.get(pk=person.pk)
    assert (stored.name, stored.id_number) == ("赵大永", number)


def test_an_invalid_identity_number_is_refused_on_the_form(desk):
    maker, _, person = desk
    response = signed_in(maker).post(
        f"/admin/accounts/person/{person.pk}/change/",
        person_form(person, new_id_number="110105198001010000", change_reason="更正"),
    )
    assert response.status_code == 200 and "身份证号" in response.content.decode()
    assert not ChangeRequest.objects.exists()

"""The counter API (API.md section 3): swipe-bind and card look-up, for hospital, pharmacy and bureau
staff only."""

import datetime as dt

import pytest

from accounts.models import PersonViewLog
from accounts.tests.factories import (
    InstitutionFactory,
    ProvinceFactory,
    RegionFactory,
    ResidentFactory,
    StaffFactory,
)
from family_sharing.models import Binding
from family_sharing.tests.factories import BindingFactory, parent_edge, person, sharer, spouse_edge
from family_sharing.verification import bindings_verify

pytestmark = pytest.mark.django_db

COUNTER_BINDINGS = "/api/v1/counter/bindings/"


def card_url(card_number):
    return f"/api/v1/counter/cards/{card_number}/"


def hospital_staff():
    return StaffFactory(role="hospital", institution=InstitutionFactory(), region=None, is_staff=False)


def swipe(sharer_, beneficiary, code):
    return {
        "sharer_card_number": sharer_.card_number,
        "beneficiary_card_number": beneficiary.card_number,
        "relation_code": code,
    }


@pytest.fixture
def couple(near_relatives_policy):
    husband = sharer(birth=dt.date(1980, 5, 1))
    wife = person(1982, male=False)
    spouse_edge(husband, wife)
    return husband, wife


def test_a_hospital_office_swipe_binds_and_verification_starts_at_once(api, couple):
    # given a hospital medical-insurance office and a couple at the counter
    husband, wife = couple
    api.force_authenticate(hospital_staff())
    # when the staff swipes the husband's card and enters the wife's card number
    response = api.post(COUNTER_BINDINGS, swipe(husband, wife, "12"), format="json")
    # then the binding waits only for the registry check, and the sharer is told
    assert response.status_code == 201, response.json()
    assert response.json()["channel"] == "hospital"
    assert response.json()["status"] == "pending_verification"
    assert response.json()["sharer"]["name_masked"] == husband.name_masked
    assert husband.messages.filter(subject="家庭共济绑定已受理").exists()
    bindings_verify()
    assert Binding.objects.get().status == "active"


def test_a_bureau_window_binds_with_channel_bureau(api, couple):
    husband, wife = couple
    api.force_authenticate(StaffFactory(role="bureau"))
    response = api.post(COUNTER_BINDINGS, swipe(husband, wife, "12"), format="json")
    assert response.status_code == 201
    assert response.json()["channel"] == "bureau"


def test_card_numbers_are_accepted_in_lower_case(api, couple):
    husband, wife = couple
    api.force_authenticate(hospital_staff())
    body = {**swipe(husband, wife, "12"), "beneficiary_card_number": f" {wife.card_number.lower()} "}
    assert api.post(COUNTER_BINDINGS, body, format="json").status_code == 201


def test_the_counter_refuses_what_the_web_refuses_and_stores_nothing(api, couple):
    # given a couple, declared as father and "son-in-law"
    husband, wife = couple
    api.force_authenticate(hospital_staff())
    # when
    response = api.post(COUNTER_BINDINGS, swipe(husband, wife, "28"), format="json")
    # then
    assert response.status_code == 422
    assert response.json()["error"] == "not_near_relative"
    assert Binding.objects.count() == 0


def test_an_unknown_card_at_the_counter_is_sharer_not_found(api, couple):
    husband, wife = couple
    api.force_authenticate(hospital_staff())
    body = {**swipe(husband, wife, "12"), "sharer_card_number": "Z99999999"}
    response = api.post(COUNTER_BINDINGS, body, format="json")
    assert (response.status_code, response.json()["error"]) == (422, "sharer_not_found")
    assert Binding.objects.count() == 0


def test_a_malformed_card_number_is_named(api, couple):
    husband, wife = couple
    api.force_authenticate(hospital_staff())
    response = api.post(
        COUNTER_BINDINGS, {**swipe(husband, wife, "12"), "sharer_card_number": "12345"}, format="json"
    )
    assert response.status_code == 400
    assert [(d["code"], d["field"]) for d in response.json()["details"]] == [
        ("card_number_format", "sharer_card_number")
    ]


def test_a_duplicate_at_the_counter_is_a_conflict(api, couple):
    husband, wife = couple
    api.force_authenticate(hospital_staff())
    api.post(COUNTER_BINDINGS, swipe(husband, wife, "12"), format="json")
    again = api.post(COUNTER_BINDINGS, swipe(husband, wife, "12"), format="json")
    assert (again.status_code, again.json()["error"]) == (409, "duplicate_binding")
    assert Binding.objects.count() == 1


def test_residents_may_not_use_the_counter(api, couple):
    # given a signed-in resident
    husband, wife = couple
    api.force_authenticate(ResidentFactory(person=husband))
    # when they call the counter endpoints
    created = api.post(COUNTER_BINDINGS, swipe(husband, wife, "12"), format="json")
    looked_up = api.get(card_url(wife.card_number))
    # then both are forbidden, and nothing is stored or recorded
    for response in (created, looked_up):
        assert response.status_code == 403
        assert response.json()["error"] == "permission_denied"
    assert Binding.objects.count() == 0
    assert PersonViewLog.objects.count() == 0


def test_the_counter_needs_a_token(api, couple):
    assert api.get(card_url(couple[1].card_number)).status_code == 401


def test_counter_staff_sign_in_with_a_one_time_code_and_bind(api, couple):
    # given a hospital staff login with static OTP tokens
    husband, wife = couple
    staff = hospital_staff()
    # when they obtain a token with password and one-time code and use it
    token = api.post(
        "/api/v1/auth/token/",
        {"login": staff.username, "password": "Staff-Password-42", "otp": "123456"},
        format="json",
    )
    assert token.status_code == 200, token.json()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {token.json()['token']}")
    response = api.post(COUNTER_BINDINGS, swipe(husband, wife, "12"), format="json")
    # then
    assert response.status_code == 201
    assert response.json()["channel"] == "hospital"


def test_the_card_look_up_shows_the_sharers_who_may_pay(api, near_relatives_policy):
    # given a child whose father's binding is active and whose mother's is still pending
    father, mother = sharer(birth=dt.date(1980, 5, 1)), sharer(birth=dt.date(1982, 5, 1), male=False)
    child = person(2010)
    parent_edge(father, child)
    parent_edge(mother, child)
    active = BindingFactory(sharer=father, beneficiary=child, relation_code_id="20", status="active")
    BindingFactory(sharer=mother, beneficiary=child, relation_code_id="20", status="pending_consent")
    staff = hospital_staff()
    api.force_authenticate(staff)
    # when the staff looks the child's card up
    response = api.get(card_url(child.card_number))
    # then the father is listed, masked, and the look-up is recorded as a view of the child
    assert response.status_code == 200
    assert response.json() == {
        "name_masked": child.name_masked,
        "id_number_masked": child.id_number_masked,
        "insurance_type": "resident",
        "status": "normal",
        "region_code": child.region.code,
        "sharers": [
            {
                "card_number_masked": father.card_number_masked,
                "name_masked": father.name_masked,
                "relation_name": "子",
                "binding_id": str(active.pk),
            }
        ],
    }
    assert child.id_number not in response.content.decode()
    log = PersonViewLog.objects.get()
    assert (log.staff, log.person, log.surface) == (staff, child, "counter")


def test_an_unknown_card_is_not_found(api):
    api.force_authenticate(hospital_staff())
    response = api.get(card_url("Z99999999"))
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"
    assert PersonViewLog.objects.count() == 0


def test_the_card_look_up_costs_the_same_queries_for_1_or_10_sharers(api, django_assert_max_num_queries):
    child = person(2010)
    BindingFactory(beneficiary=child, relation_code_id="20")
    api.force_authenticate(hospital_staff())
    with django_assert_max_num_queries(3):
        assert len(api.get(card_url(child.card_number)).json()["sharers"]) == 1
    BindingFactory.create_batch(9, beneficiary=child, relation_code_id="20")
    with django_assert_max_num_queries(3):
        assert len(api.get(card_url(child.card_number)).json()["sharers"]) == 10


def test_a_bureau_window_finds_only_its_own_regions_cards_and_a_hospital_finds_any(api):
    # given a person of one region, an officer of that region, one of another region and a hospital
    child = person(2010)
    own = StaffFactory(role="bureau", region=child.region)
    shanghai = RegionFactory(
        code="310100", name="上海市", province=ProvinceFactory(code="310000", name="上海市")
    )
    other = StaffFactory(role="bureau", region=shanghai)
    answers, hospital = {}, hospital_staff()
    for name, staff in (("own", own), ("other", other), ("hospital", hospital)):
        api.force_authenticate(staff)
        answers[name] = api.get(card_url(child.card_number))
    # then another region's window gets the same 404 as for an unknown card, and nothing is recorded
    assert answers["own"].status_code == 200 and answers["hospital"].status_code == 200
    assert answers["other"].status_code == 404
    assert answers["other"].json()["error"] == "not_found"
    assert child.name_masked not in answers["other"].content.decode()
    assert set(PersonViewLog.objects.values_list("staff_id", flat=True)) == {own.pk, hospital.pk}

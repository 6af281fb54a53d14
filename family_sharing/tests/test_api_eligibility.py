"""Who may pay for whom, through the resident API (API.md section 2): every row is asked of
`POST /api/v1/bindings/check/` and then requested with `POST /api/v1/bindings/`."""

import datetime as dt

import pytest

from accounts.tests.factories import PersonFactory, ProvinceFactory, RegionFactory, ResidentFactory
from family_sharing.models import Binding
from family_sharing.tests.factories import PolicyFactory, parent_edge, person, sharer

pytestmark = pytest.mark.django_db

CHECK, BINDINGS = "/api/v1/bindings/check/", "/api/v1/bindings/"


def body(beneficiary, code, **extra):
    return {
        "beneficiary_id_number": beneficiary.id_number,
        "beneficiary_name": beneficiary.name,
        "relation_code": code,
        **extra,
    }


def codes(reasons):
    return [r["code"] for r in reasons]


@pytest.fixture
def me(api, family):
    """The family's sharer, signed in."""
    api.force_authenticate(ResidentFactory(person=family["me"]))
    return family["me"]


@pytest.mark.parametrize(
    ("who", "code", "derived"),
    [
        ("wife", "12", "12"),
        ("wife", "10", "12"),
        ("father", "51", "51"),
        ("mother", "52", "52"),
        ("son", "20", "20"),
        ("daughter", "30", "30"),
        ("elder_brother", "71", "71"),
        ("younger_brother", "73", "73"),
        ("elder_sister", "75", "75"),
        ("younger_sister", "77", "77"),
        ("pat_gf", "61", "61"),
        ("pat_gm", "62", "62"),
        ("mat_gf", "63", "63"),
        ("mat_gm", "64", "64"),
        ("sons_son", "41", "41"),
        ("sons_daughter", "42", "42"),
        ("daughters_son", "43", "43"),
        ("daughters_daughter", "44", "44"),
        ("adoptive_father", "57", "51"),
        ("step_father_supporting", "57", "51"),
    ],
)
def test_every_near_relative_of_article_1045_may_be_bound(api, family, me, who, code, derived):
    # given the sharer and one of their near relatives in the registry
    relative = family[who]
    # when the sharer checks and then asks
    checked = api.post(CHECK, body(relative, code), format="json")
    created = api.post(BINDINGS, body(relative, code), format="json")
    # then the check allows it with the registry's specific code, and a binding waits for consent
    assert checked.status_code == 200, checked.json()
    assert checked.json() == {
        "eligible": True,
        "needs_evidence": False,
        "derived_relation_code": derived,
        "reasons": [],
    }
    assert created.status_code == 201, created.json()
    assert created.json()["status"] == "pending_consent"
    assert created.json()["relation_code"] == code
    assert Binding.objects.get().beneficiary == relative


@pytest.mark.parametrize(
    ("who", "code", "reason"),
    [
        ("step_father", "57", "not_near_relative"),  # a step-parent without a support relationship
        ("son_in_law", "28", "not_near_relative"),
        ("father_in_law", "55", "not_near_relative"),
        ("great_gf", "66", "not_near_relative"),
        ("former_wife", "12", "not_near_relative"),  # the marriage ended in 2004
        ("mat_gf", "61", "relation_mismatch"),  # paternal code for the mother's father
        ("mother", "51", "relation_mismatch"),  # 父亲 must be male
        ("son", "51", "relation_mismatch"),  # a parent must be born before the sharer
        ("father", "20", "relation_mismatch"),  # a child must be born after the sharer
        ("younger_brother", "71", "relation_mismatch"),  # 兄 must be born before the sharer
    ],
)
def test_relations_that_are_not_near_relatives_or_contradict_the_registry_are_refused(
    api, family, me, who, code, reason
):
    # given the sharer and a relative declared with this code
    relative = family[who]
    # when the sharer checks and then asks
    checked = api.post(CHECK, body(relative, code), format="json")
    created = api.post(BINDINGS, body(relative, code), format="json")
    # then the check names the one reason, the request is refused with it, and nothing is stored
    assert checked.status_code == 200
    assert checked.json()["eligible"] is False
    assert codes(checked.json()["reasons"]) == [reason]
    assert created.status_code == 422
    assert created.json()["error"] == reason
    assert codes(created.json()["details"]) == [reason]
    assert Binding.objects.count() == 0


def test_when_the_registry_is_silent_the_binding_is_allowed_but_needs_evidence(api, me):
    # given a man who says he is the sharer's father, unknown to the registry
    stranger = person(1950)
    # when
    checked = api.post(CHECK, body(stranger, "51"), format="json")
    created = api.post(BINDINGS, body(stranger, "51"), format="json")
    # then
    assert checked.json()["eligible"] is True
    assert checked.json()["needs_evidence"] is True
    assert checked.json()["derived_relation_code"] is None
    assert codes(checked.json()["reasons"]) == ["relation_unverified"]
    assert checked.json()["reasons"][0]["message"].startswith("户籍登记中暂未查到")
    assert created.status_code == 201
    assert codes(created.json()["reasons"]) == ["relation_unverified"]


def test_a_sibling_is_refused_under_core_family_and_allowed_once_the_region_adopts_near_relatives(
    api, family, me
):
    # given a region on core_family since 2022 (its near_relatives version moved to a later date)
    region = me.region
    PolicyFactory(region=region, scope="core_family", effective_from=dt.date(2022, 1, 1))
    region.policies.filter(scope="near_relatives").update(effective_from=dt.date(2099, 1, 1))
    sister = family["elder_sister"]
    # when / then: a sibling is out of scope, a spouse is not
    checked = api.post(CHECK, body(sister, "75"), format="json")
    assert codes(checked.json()["reasons"]) == ["relation_out_of_policy_scope"]
    refused = api.post(BINDINGS, body(sister, "75"), format="json")
    assert (refused.status_code, refused.json()["error"]) == (422, "relation_out_of_policy_scope")
    assert codes(api.post(CHECK, body(family["wife"], "12"), format="json").json()["reasons"]) == []
    assert Binding.objects.count() == 0
    # when the region moves to near_relatives from a past date
    region.policies.filter(scope="near_relatives").update(effective_from=dt.date(2024, 7, 1))
    # then the sibling may be bound
    assert api.post(CHECK, body(sister, "75"), format="json").json()["eligible"] is True
    assert api.post(BINDINGS, body(sister, "75"), format="json").status_code == 201


def test_a_future_policy_date_is_honoured_by_as_of(api, family, me):
    # given a region that adopts near_relatives only next month
    region = me.region
    PolicyFactory(region=region, scope="core_family", effective_from=dt.date(2022, 1, 1))
    region.policies.filter(scope="near_relatives").update(effective_from=dt.date(2099, 1, 1))
    # when the check is asked for a date after the change
    checked = api.post(CHECK, body(family["elder_sister"], "75", as_of="2099-01-01"), format="json")
    # then
    assert checked.json()["eligible"] is True


def _region(province_code, region_code, name, cross_from=None):
    province = ProvinceFactory(code=province_code, name=name)
    return RegionFactory(code=region_code, name=name, province=province, cross_province_from=cross_from)


def test_cross_province_needs_both_regions_enabled(api):
    # given a sharer in Hebei (first batch) with a father in Sichuan (first batch) and a mother in
    # Guangdong (not enabled)
    hebei = _region("130000", "130100", "石家庄市", dt.date(2025, 1, 1))
    sichuan = _region("510000", "510100", "成都市", dt.date(2025, 1, 1))
    guangdong = _region("440000", "440100", "广州市")
    PolicyFactory(region=hebei, scope="near_relatives")
    me = sharer(region=hebei, birth=dt.date(1980, 5, 1))
    father, mother = person(1950, region=sichuan), person(1952, male=False, region=guangdong)
    parent_edge(father, me)
    parent_edge(mother, me)
    api.force_authenticate(ResidentFactory(person=me))
    # when / then: two first-batch regions may share
    assert api.post(CHECK, body(father, "51"), format="json").json()["reasons"] == []
    assert api.post(BINDINGS, body(father, "51"), format="json").status_code == 201
    # when / then: a region outside the batch may not
    checked = api.post(CHECK, body(mother, "52"), format="json")
    assert codes(checked.json()["reasons"]) == ["cross_province_not_enabled"]
    refused = api.post(BINDINGS, body(mother, "52"), format="json")
    assert (refused.status_code, refused.json()["error"]) == (422, "cross_province_not_enabled")
    assert Binding.objects.count() == 1
    # when the bureau enables Guangdong from a past date
    guangdong.cross_province_from = dt.date(2026, 1, 1)
    guangdong.save()
    # then
    assert api.post(CHECK, body(mother, "52"), format="json").json()["eligible"] is True
    assert api.post(BINDINGS, body(mother, "52"), format="json").status_code == 201
    assert Binding.objects.count() == 2


def test_every_reason_that_applies_is_returned_and_the_request_is_refused_with_all_of_them(api, family):
    # given a sharer in arrears without a personal account, asking for an uninsured "father" who is a woman
    me = PersonFactory(status="arrears", insurance_type="resident")
    uninsured = person(1950, male=False, insurance_type="none")
    api.force_authenticate(ResidentFactory(person=me))
    # when
    checked = api.post(CHECK, body(uninsured, "51"), format="json")
    created = api.post(BINDINGS, body(uninsured, "51"), format="json")
    # then
    expected = {
        "sharer_no_personal_account",
        "sharer_not_normal",
        "beneficiary_not_insured",
        "relation_mismatch",
    }
    assert set(codes(checked.json()["reasons"])) == expected
    assert created.status_code == 422
    assert created.json()["error"] == "refused"
    assert set(codes(created.json()["details"])) == expected
    assert Binding.objects.count() == 0

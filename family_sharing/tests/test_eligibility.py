"""The eligibility engine against the law (民法典 第1045条, DESIGN.md sections 4 to 6)."""

import datetime as dt

import pytest

from accounts.models import Province
from accounts.tests.factories import PersonFactory, ProvinceFactory, RegionFactory
from family_sharing.eligibility import binding_eligibility, relation_facts
from family_sharing.tests.factories import PolicyFactory, parent_edge, person, sharer, spouse_edge

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 11, 25)


def check(s, b, code, as_of=TODAY):
    return binding_eligibility(sharer=s, beneficiary=b, relation=relation_facts(code), as_of=as_of)


@pytest.mark.parametrize(
    ("who", "code", "derived"),
    [
        ("wife", "12", "12"),
        ("wife", "10", "12"),
        ("father", "51", "51"),
        ("mother", "52", "52"),
        ("son", "20", "20"),
        ("daughter", "30", "30"),
        ("elder_sister", "75", "75"),
        ("younger_brother", "73", "73"),
        ("pat_gf", "61", "61"),
        ("pat_gm", "62", "62"),
        ("mat_gf", "63", "63"),
        ("mat_gm", "64", "64"),
        ("sons_son", "41", "41"),
        ("daughters_daughter", "44", "44"),
    ],
)
def test_every_near_relative_of_article_1045_is_eligible(family, who, code, derived):
    result = check(family["me"], family[who], code)
    assert result.codes() == []
    assert result.eligible and not result.needs_evidence
    assert result.derived_relation_code == derived


def test_wrong_line_a_paternal_code_for_a_maternal_grandfather_is_a_mismatch(family):
    result = check(family["me"], family["mat_gf"], "61")
    assert result.codes() == ["relation_mismatch"]
    assert not result.eligible


def test_a_father_who_is_female_is_refused_before_any_registry_look_up(family, django_assert_num_queries):
    with django_assert_num_queries(4):  # code, account, policy, duplicate — no registry query
        result = check(family["me"], family["mother"], "51")
    assert result.codes() == ["relation_mismatch"]


def test_a_parent_younger_than_the_sharer_is_refused(family):
    assert check(family["me"], family["son"], "51").codes() == ["relation_mismatch"]


@pytest.mark.parametrize("code", ["28", "55", "53", "38", "72", "66", "91"])
def test_in_laws_great_grandparents_and_cousins_are_not_near_relatives(family, code):
    result = check(family["me"], family["father"], code)
    assert "not_near_relative" in result.codes()
    assert not result.eligible


def test_adoptive_parent_counts_as_a_parent(near_relatives_policy):
    me, adoptive_father = sharer(), person(1950)
    parent_edge(adoptive_father, me, kind="adoptive")
    assert check(me, adoptive_father, "57").codes() == []
    assert check(me, adoptive_father, "51").codes() == []


def test_step_parent_counts_only_with_a_support_relationship(near_relatives_policy):
    me, supported, unsupported = sharer(), person(1950), person(1951)
    parent_edge(supported, me, kind="step_supported")
    parent_edge(unsupported, me, kind="step")
    assert check(me, supported, "57").codes() == []
    assert check(me, unsupported, "57").codes() == ["not_near_relative"]


def test_a_divorced_spouse_is_not_a_near_relative(near_relatives_policy):
    me, former = sharer(), person(1981, male=False)
    spouse_edge(me, former, valid_from=dt.date(2005, 1, 1), valid_to=dt.date(2025, 6, 30))
    assert check(me, former, "12").codes() == ["not_near_relative"]
    assert check(me, former, "12", as_of=dt.date(2025, 6, 30)).codes() == []  # the last day of the marriage


def test_when_the_registry_is_silent_the_binding_needs_evidence(near_relatives_policy):
    me, stranger_father = sharer(), person(1950)
    result = check(me, stranger_father, "51")
    assert result.eligible and result.needs_evidence
    assert result.codes() == ["relation_unverified"]
    assert result.derived_relation_code is None


def test_self_binding_is_refused(near_relatives_policy):
    me = sharer()
    assert "self_binding" in check(me, me, "51").codes()


def test_a_sibling_is_refused_under_core_family_and_allowed_after_near_relatives(family):
    region = family["me"].region
    PolicyFactory(region=region, scope="core_family", effective_from=dt.date(2022, 1, 1))
    region.policies.filter(scope="near_relatives").update(effective_from=dt.date(2026, 12, 1))
    assert check(family["me"], family["elder_sister"], "75").codes() == ["relation_out_of_policy_scope"]
    assert check(family["me"], family["wife"], "12").codes() == []
    assert check(family["me"], family["elder_sister"], "75", as_of=dt.date(2026, 12, 1)).codes() == []


def test_without_any_policy_the_region_is_self_only():
    me, father = sharer(), person(1950)
    parent_edge(father, me)
    assert check(me, father, "51").codes() == ["relation_out_of_policy_scope"]


def _province_region(province_code, region_code, name, cross_from=None):
    province = ProvinceFactory(code=province_code, name=name)
    return RegionFactory(code=region_code, name=name, province=province, cross_province_from=cross_from)


def test_cross_province_needs_both_regions_enabled(near_relatives_policy):
    hebei = _province_region("130000", "130100", "石家庄市", dt.date(2025, 1, 1))
    sichuan = _province_region("510000", "510100", "成都市", dt.date(2025, 1, 1))
    guangdong = _province_region("440000", "440100", "广州市")
    PolicyFactory(region=hebei)
    me = sharer(region=hebei)
    father_in_sichuan = person(1950, region=sichuan)
    mother_in_guangdong = person(1952, male=False, region=guangdong)
    parent_edge(father_in_sichuan, me)
    parent_edge(mother_in_guangdong, me)
    assert check(me, father_in_sichuan, "51").codes() == []
    assert check(me, mother_in_guangdong, "52").codes() == ["cross_province_not_enabled"]
    guangdong.cross_province_from = dt.date(2026, 11, 1)
    guangdong.save()
    assert check(me, mother_in_guangdong, "52").codes() == []
    assert check(me, mother_in_guangdong, "52", as_of=dt.date(2026, 10, 31)).codes() == [
        "cross_province_not_enabled"
    ]
    assert Province.objects.count() == 4


def test_every_reason_that_applies_is_returned(near_relatives_policy):
    me = sharer(status="arrears", insurance_type="resident")
    uninsured = person(2000, male=False, insurance_type="none")
    result = check(me, uninsured, "51")
    assert set(result.codes()) == {
        "sharer_no_personal_account",
        "sharer_not_normal",
        "beneficiary_not_insured",
        "relation_mismatch",
    }


def test_an_unknown_beneficiary_is_beneficiary_not_found(near_relatives_policy):
    assert check(sharer(), None, "51").codes() == ["beneficiary_not_found"]


def test_a_check_costs_the_same_few_queries_whatever_the_family(family, django_assert_max_num_queries):
    with django_assert_max_num_queries(6):
        check(family["me"], family["mat_gm"], "64")
    with django_assert_max_num_queries(6):
        check(family["me"], family["daughters_daughter"], "44")


def test_half_siblings_count_as_siblings(near_relatives_policy):
    me, half_brother = sharer(), person(1990)
    mother, other_father = person(1955, male=False), person(1950)
    parent_edge(mother, me)
    parent_edge(mother, half_brother)
    parent_edge(other_father, half_brother)
    assert check(me, half_brother, "73").derived_relation_code == "73"


def test_person_factory_makes_distinct_people():
    assert PersonFactory().id_number != PersonFactory().id_number

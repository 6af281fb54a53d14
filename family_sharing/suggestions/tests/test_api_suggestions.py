"""Suggested relatives through the API (API.md section 2, DESIGN.md section 6): the near relatives
the registry records for the caller, masked, each listing logged, and binding one by its
`suggestion_id` with nothing typed; someone else's, an edited, an old or an already bound
suggestion is refused and changes nothing."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from freezegun import freeze_time

from accounts.models import Message
from accounts.tests.factories import AccountFactory, StaffFactory
from family_sharing.models import Binding, BindingEvent
from family_sharing.suggestions.models import SuggestionListing
from family_sharing.tests.factories import PolicyFactory, parent_edge, person, sharer, spouse_edge
from family_sharing.tests.test_api_bindings import as_user
from portal.core.time import today

pytestmark = pytest.mark.django_db

SUGGESTIONS, BINDINGS = "/api/v1/family/suggestions/", "/api/v1/bindings/"


def listed(api, person_):
    response = as_user(api, person_).get(SUGGESTIONS)
    assert response.status_code == 200, response.json()
    return response.json()


def one(items, name):
    """The item of the relative whose masked name is `name`'s."""
    masked = name[0] + "*" * (len(name) - 1)
    (item,) = [i for i in items if i["name_masked"] == masked]
    return item


def codes(reasons):
    return [r["code"] for r in reasons]


def nothing_written():
    return (Binding.objects.count(), BindingEvent.objects.count(), Message.objects.count())


# --- the list ----------------------------------------------------------------------------------


def test_the_list_shows_each_registry_near_relative_masked_with_the_derived_relation(
    api, daughter_and_parents
):
    # given a daughter whose parents and brother the registry records
    f = daughter_and_parents

    # when she asks for her suggestions
    items = listed(api, f["daughter"])
    raw = as_user(api, f["daughter"]).get(SUGGESTIONS).content.decode()

    # then each is listed masked, with the relation the registry gives, insured and not yet bound
    assert [(i["name_masked"], i["relation_code"], i["relation_name"]) for i in items] == [
        ("王**", "51", "父亲"),
        ("李**", "52", "母亲"),
        ("王**", "73", "弟"),
    ]
    assert all(i["insured"] and not i["bound"] and i["bindable"] and i["reasons"] == [] for i in items)
    # and no full name, identity number or card number is in the answer
    for relative in (f["father"], f["mother"], f["brother"]):
        for secret in (relative.name, relative.id_number, relative.card_number, relative.id_number_masked):
            assert secret not in raw
    # and the suggestion ids are opaque: none is the same, none names a person
    ids = [i["suggestion_id"] for i in items]
    assert len(set(ids)) == 3


def test_every_near_relative_of_article_1045_is_listed_and_nobody_else(api, family):
    # given the registry family of the eligibility tests (in-laws, a great-grandfather, a former wife
    # and a step-father without a support relationship among them)
    items = listed(api, family["me"])

    # then exactly the near relatives are listed, spouse first and grandchildren last, by birth
    assert [i["relation_code"] for i in items] == [
        "12",  # wife
        "51", "51", "51", "52",  # adoptive father (1948), step-father with support (1949), father, mother
        "20", "30",  # son, daughter
        "71", "75", "73", "77",  # elder brother, elder sister, younger brother, younger sister
        "61", "63", "62", "64",  # grandparents
        "41", "43", "42", "44",  # grandchildren: the two grandsons (2025), then the granddaughters
    ]  # fmt: skip
    assert len(items) == 19


def test_a_relative_outside_the_regions_policy_is_listed_with_the_reason(api, daughter_and_parents):
    # given a region whose policy covers only spouse, parents and children
    f = daughter_and_parents
    PolicyFactory(region=f["daughter"].region, effective_from=dt.date(2025, 1, 1), scope="core_family")

    # when she lists her relatives
    brother = listed(api, f["daughter"])[2]

    # then her brother is shown, with the reason, and cannot be bound
    assert brother["relation_code"] == "73"
    assert brother["reasons"] == [
        {"code": "relation_out_of_policy_scope", "message": "您所在统筹区目前的政策不允许与这类亲属共济"}
    ]
    assert brother["bindable"] is False

    # when she binds him anyway
    before = nothing_written()
    response = api.post(BINDINGS, {"suggestion_id": brother["suggestion_id"]}, format="json")

    # then it is refused with that reason and nothing is written
    assert response.status_code == 422
    assert response.json()["error"] == "relation_out_of_policy_scope"
    assert nothing_written() == before


def test_an_uninsured_relative_is_listed_as_not_insured(api, daughter_and_parents):
    f = daughter_and_parents
    f["mother"].insurance_type = "none"
    f["mother"].save()

    mother = listed(api, f["daughter"])[1]

    assert mother["insured"] is False
    assert codes(mother["reasons"]) == ["beneficiary_not_insured"]


def test_a_resident_without_a_personal_account_sees_the_relatives_and_why_they_cannot_bind(
    api, daughter_and_parents
):
    # given her father, who has resident insurance only
    f = daughter_and_parents

    # when he lists his relatives
    items = listed(api, f["father"])

    # then he sees his children, each with the reason he cannot pay for them
    assert [i["relation_code"] for i in items] == ["30", "20"]
    assert all(codes(i["reasons"]) == ["sharer_no_personal_account"] and not i["bindable"] for i in items)


def test_listing_costs_the_same_queries_for_a_small_family_and_a_large_one(api, family, daughter_and_parents):
    # given a resident with 3 registry relatives and one with 19
    def queries(person_):
        client = as_user(api, person_)
        with CaptureQueriesContext(connection) as captured:
            assert client.get(SUGGESTIONS).status_code == 200
        return len(captured)

    # then both listings take the same number of queries (no query per relative)
    small, large = queries(daughter_and_parents["daughter"]), queries(family["me"])
    assert small == large


def test_every_listing_is_logged_with_who_where_and_whom(api, daughter_and_parents):
    f = daughter_and_parents

    # when she lists twice
    listed(api, f["daughter"])
    listed(api, f["daughter"])

    # then two rows say who listed, through the API, and which relatives were shown
    rows = list(SuggestionListing.objects.order_by("id"))
    assert len(rows) == 2
    for row in rows:
        assert row.viewer.person == f["daughter"] and row.surface == "api"
        assert row.relatives == [f["father"].pk, f["mother"].pk, f["brother"].pk] and row.count == 3


def test_an_empty_listing_is_logged_too(api, near_relatives_policy):
    loner = sharer()
    assert listed(api, loner) == []
    assert SuggestionListing.objects.get().relatives == []


def test_staff_cannot_list_suggestions(api):
    api.force_authenticate(StaffFactory())
    assert api.get(SUGGESTIONS).status_code == 403
    assert not SuggestionListing.objects.exists()


# --- binding by suggestion ---------------------------------------------------------------------


def test_binding_a_suggested_father_starts_the_usual_binding_and_the_bound_flag_flips(
    api, daughter_and_parents
):
    # given her suggestions
    f = daughter_and_parents
    father = listed(api, f["daughter"])[0]

    # when she binds her father by his suggestion id alone
    response = api.post(BINDINGS, {"suggestion_id": father["suggestion_id"]}, format="json")

    # then the binding waits for his consent, with the relation the registry gives
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "pending_consent" and body["relation_code"] == "51"
    assert body["beneficiary"]["name_masked"] == "王**"
    binding = Binding.objects.get()
    assert (binding.sharer, binding.beneficiary, binding.channel) == (f["daughter"], f["father"], "web")
    assert binding.derived_relation_code == "51"
    # and he is asked
    assert Message.objects.get(person=f["father"]).subject == "家庭共济绑定申请"
    # and the next listing shows him bound and no longer bindable; the others are unchanged
    items = listed(api, f["daughter"])
    assert [(i["bound"], i["bindable"]) for i in items] == [(True, False), (False, True), (False, True)]


def test_a_registry_parent_binding_a_child_under_16_consents_as_guardian(api, near_relatives_policy):
    # given a mother and her registry son of 10
    mother = sharer(male=False)
    son = person(today().year - 10)
    parent_edge(mother, son)

    # when she binds him from her suggestions
    (item,) = listed(api, mother)
    response = api.post(BINDINGS, {"suggestion_id": item["suggestion_id"]}, format="json")

    # then her consent as guardian is enough: the binding goes to verification
    assert response.status_code == 201
    assert response.json()["status"] == "pending_verification"
    assert Binding.objects.get().guardian_consent is True


def test_an_already_bound_suggestion_is_409_duplicate_binding_and_changes_nothing(api, daughter_and_parents):
    # given a binding of her father by his suggestion
    f = daughter_and_parents
    father = listed(api, f["daughter"])[0]
    assert api.post(BINDINGS, {"suggestion_id": father["suggestion_id"]}, format="json").status_code == 201
    before = nothing_written()

    # when the same suggestion is sent again (a double tap)
    response = api.post(BINDINGS, {"suggestion_id": father["suggestion_id"]}, format="json")

    # then it is the conflict of API.md, and nothing more is written
    assert response.status_code == 409
    assert response.json()["error"] == "duplicate_binding"
    assert nothing_written() == before


def test_someone_elses_suggestion_id_is_refused_even_for_a_relative_they_share(api, daughter_and_parents):
    # given her brother, also a registered resident with a personal account, and her suggestion of
    # their father
    f = daughter_and_parents
    father = listed(api, f["daughter"])[0]
    f["brother"].insurance_type = "employee"
    f["brother"].save()
    AccountFactory(person=f["brother"])
    before = nothing_written()

    # when the brother sends her suggestion id
    response = as_user(api, f["brother"]).post(
        BINDINGS, {"suggestion_id": father["suggestion_id"]}, format="json"
    )

    # then it names nothing for him, and nothing is written
    assert response.status_code == 404
    assert response.json() == {
        "error": "suggestion_not_found",
        "message": "没有找到这位推荐的亲属，请回到“家庭共济”页面重新选择",
        "details": [
            {
                "code": "suggestion_not_found",
                "message": "没有找到这位推荐的亲属，请回到“家庭共济”页面重新选择",
                "field": "suggestion_id",
            }
        ],
    }
    assert nothing_written() == before


@pytest.mark.parametrize(
    "edit",
    [
        lambda s: s[:-1] + ("A" if s[-1] != "A" else "B"),  # the MAC
        lambda s: ("1" if s[0] != "1" else "2") + s[1:],  # the time
        lambda s: s.split(".")[1],  # the MAC alone
        lambda s: "",
        lambda s: "x" * 64,
    ],
    ids=["mac", "time", "no-time", "empty", "junk"],
)
def test_an_edited_suggestion_id_is_refused_and_changes_nothing(api, daughter_and_parents, edit):
    f = daughter_and_parents
    father = listed(api, f["daughter"])[0]
    before = nothing_written()

    response = api.post(BINDINGS, {"suggestion_id": edit(father["suggestion_id"])}, format="json")

    assert response.status_code in (400, 404)
    assert response.json()["error"] in ("suggestion_not_found", "blank")
    assert nothing_written() == before


def test_a_suggestion_id_is_valid_for_a_day(api, daughter_and_parents):
    # given her suggestions listed at 09:00
    f = daughter_and_parents
    with freeze_time("2026-11-25 09:00:00+08:00"):
        items = listed(api, f["daughter"])
    father, mother = items[0], items[1]

    # when she binds her father 23 hours later, it is done
    with freeze_time("2026-11-26 08:00:00+08:00"):
        response = api.post(BINDINGS, {"suggestion_id": father["suggestion_id"]}, format="json")
    assert response.status_code == 201

    # when she binds her mother with the same listing a day and a second later
    before = nothing_written()
    with freeze_time("2026-11-26 09:00:01+08:00"):
        response = api.post(BINDINGS, {"suggestion_id": mother["suggestion_id"]}, format="json")

    # then the suggestion has expired and nothing is written
    assert response.status_code == 404
    assert response.json()["error"] == "suggestion_expired"
    assert nothing_written() == before


def test_a_relative_the_registry_no_longer_records_is_not_found(api, near_relatives_policy):
    # given a husband whose marriage the registry shows, and his suggestion of his wife
    husband, wife = sharer(), person(1982, male=False)
    edge = spouse_edge(husband, wife)
    (item,) = listed(api, husband)

    # when the registry records the divorce before he binds her
    edge.valid_to = dt.date(2020, 1, 1)
    edge.save()
    response = api.post(BINDINGS, {"suggestion_id": item["suggestion_id"]}, format="json")

    # then the suggestion names nobody any more
    assert response.status_code == 404
    assert response.json()["error"] == "suggestion_not_found"
    assert not Binding.objects.exists()


def test_a_suggestion_id_with_a_typed_number_is_refused(api, daughter_and_parents):
    f = daughter_and_parents
    father = listed(api, f["daughter"])[0]

    response = api.post(
        BINDINGS,
        {"suggestion_id": father["suggestion_id"], "beneficiary_id_number": f["mother"].id_number},
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["error"] == "suggestion_with_number"
    assert not Binding.objects.exists()

"""可绑定的亲属 on /family/ through Django's test client: the registry's near relatives, masked, each
with a 绑定 button that binds with nothing typed; refusals on a page of their own, with their codes."""

import datetime as dt
import re

import pytest
from django.test import Client

from accounts.models import Message
from accounts.tests.factories import ResidentFactory
from family_sharing.models import Binding, BindingEvent
from family_sharing.suggestions.errors import SuggestionError
from family_sharing.suggestions.models import SuggestionListing
from family_sharing.suggestions.views import REASON_MSGIDS
from family_sharing.tests.factories import PolicyFactory
from family_sharing.tests.test_pages import data_codes, signed_in, untranslated_chinese

pytestmark = pytest.mark.django_db

BIND = "/family/suggestions/bind/"


def section(html: str) -> str:
    """The 可绑定的亲属 section of the page."""
    match = re.search(
        r'<section class="binding-section" aria-labelledby="section-suggestions">(.*?)</section>', html, re.S
    )
    assert match, "no suggestions section"
    return match.group(1)


def suggestion_ids(html: str) -> list[str]:
    return re.findall(r'name="suggestion_id" value="([^"]+)"', html)


@pytest.fixture
def daughter(daughter_and_parents):
    return ResidentFactory(person=daughter_and_parents["daughter"])


def test_the_family_page_lists_the_registry_relatives_masked_with_a_bind_button_each(
    client, daughter, daughter_and_parents
):
    # when she opens 家庭共济
    page = signed_in(client, daughter).get("/family/").content.decode()

    # then her parents and brother are there, masked, with the relation in words, each bindable
    part = section(page)
    assert "可绑定的亲属" in part
    assert [m for m in re.findall(r'binding__relation">([^<]+)<', part)] == [
        "TA是您的父亲",
        "TA是您的母亲",
        "TA是您的弟",
    ]
    assert part.count("已参保") == 3 and part.count("未绑定") == 3
    assert len(suggestion_ids(part)) == 3
    assert part.count('<button type="submit" class="button"') == 3
    # and no full name, identity number or card number is on the page
    for relative in daughter_and_parents.values():
        if relative != daughter.person:
            assert (
                relative.name not in page
                and relative.id_number not in page
                and relative.card_number not in page
            )
    # and the listing is logged as a web listing
    row = SuggestionListing.objects.get()
    assert (row.viewer, row.surface, row.count) == (daughter, "web", 3)


def test_one_tap_binds_the_father_and_the_page_says_what_happens_next(client, daughter, daughter_and_parents):
    # given her suggestions
    signed_in(client, daughter)
    father_id = suggestion_ids(client.get("/family/").content.decode())[0]

    # when she taps 绑定 on her father
    response = client.post(BIND, {"suggestion_id": father_id})

    # then the binding waits for his consent, and she lands on the page that says what comes next
    binding = Binding.objects.get()
    assert (binding.beneficiary, binding.relation_code_id, binding.status) == (
        daughter_and_parents["father"],
        "51",
        "pending_consent",
    )
    assert response.status_code == 302 and response["Location"] == f"/family/{binding.pk}/submitted/"
    submitted = client.get(response["Location"]).content.decode()
    assert "等待亲属同意" in submitted and "在“家庭共济”里选择“同意”" in submitted
    # and on 家庭共济 her father is shown as bound, without a button
    part = section(client.get("/family/").content.decode())
    assert part.count("等待亲属同意") == 1 and len(suggestion_ids(part)) == 2


def test_a_relative_outside_the_policy_is_shown_with_the_reason_and_no_button(
    client, daughter, daughter_and_parents
):
    PolicyFactory(region=daughter.person.region, effective_from=dt.date(2025, 1, 1), scope="core_family")

    part = section(signed_in(client, daughter).get("/family/").content.decode())

    assert "TA是您的弟" in part
    assert data_codes(part) == ["relation_out_of_policy_scope"]
    assert "您所在统筹区目前的政策不允许与这类亲属共济" in part
    assert len(suggestion_ids(part)) == 2


def test_a_resident_who_cannot_share_sees_the_relatives_the_reason_and_no_buttons(
    client, daughter_and_parents
):
    father = ResidentFactory(person=daughter_and_parents["father"])

    part = section(signed_in(client, father).get("/family/").content.decode())

    assert "TA是您的女" in part and "TA是您的子" in part  # GB/T 4761 names: 30 女, 20 子
    assert data_codes(part) == ["sharer_no_personal_account"]
    assert suggestion_ids(part) == []


def test_someone_elses_suggestion_is_refused_on_a_page_with_the_code_and_nothing_changes(
    client, daughter, daughter_and_parents
):
    # given her suggestion of her father, and another resident
    father_id = suggestion_ids(signed_in(client, daughter).get("/family/").content.decode())[0]
    stranger = ResidentFactory(person=daughter_and_parents["brother"])
    before = (Binding.objects.count(), BindingEvent.objects.count(), Message.objects.count())

    # when the other resident posts it
    response = signed_in(Client(), stranger).post(BIND, {"suggestion_id": father_id})

    # then the page says so, with the code, and nothing is written
    assert response.status_code == 404
    page = response.content.decode()
    assert data_codes(page) == ["suggestion_not_found"]
    assert "没有办理任何绑定" in page
    assert (Binding.objects.count(), BindingEvent.objects.count(), Message.objects.count()) == before


def test_a_double_tap_is_duplicate_binding_on_a_page_that_points_to_the_binding(client, daughter):
    signed_in(client, daughter)
    father_id = suggestion_ids(client.get("/family/").content.decode())[0]
    assert client.post(BIND, {"suggestion_id": father_id}).status_code == 302

    response = client.post(BIND, {"suggestion_id": father_id})

    assert response.status_code == 409
    assert data_codes(response.content.decode()) == ["duplicate_binding"]
    assert "已经在办理中或已生效" in response.content.decode()
    assert Binding.objects.count() == 1


def test_a_post_without_a_suggestion_is_400(client, daughter):
    response = signed_in(client, daughter).post(BIND, {})
    assert response.status_code == 400
    assert data_codes(response.content.decode()) == ["suggestion_not_found"]


def test_the_section_is_in_english_too(client, daughter, daughter_and_parents):
    # given a core-family policy, so that a reason is shown too
    PolicyFactory(region=daughter.person.region, effective_from=dt.date(2025, 1, 1), scope="core_family")
    signed_in(client, daughter)
    client.post("/i18n/setlang/", {"language": "en", "next": "/family/"})

    part = section(client.get("/family/").content.decode())

    assert "Relatives you can bind" in part and "They are your father" in part
    assert untranslated_chinese(part) == []


def test_the_refusal_page_is_in_english_too(client, daughter):
    signed_in(client, daughter)
    client.post("/i18n/setlang/", {"language": "en", "next": "/family/"})

    page = client.post(BIND, {"suggestion_id": "nothing"}).content.decode()

    assert untranslated_chinese(page.split("<main", 1)[1].split("</main>", 1)[0]) == []


def test_reason_msgids_are_the_suggestion_error_messages():
    assert {code: text for code, text in REASON_MSGIDS.items()} == {e: e.message for e in SuggestionError}

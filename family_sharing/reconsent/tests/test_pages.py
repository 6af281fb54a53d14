"""The young person's re-consent page (/family/<id>/reconsent/) and its prompt on 家庭共济, through
Django's test client: what it says, the two answers, and the refusals."""

import pytest
from django.test import Client
from freezegun import freeze_time

from family_sharing.models import Binding, BindingEvent
from family_sharing.reconsent.models import ReconsentRequest
from family_sharing.reconsent.tests.conftest import BIRTHDAY_16, at
from family_sharing.tests.test_pages import data_codes, signed_in, untranslated_chinese

pytestmark = pytest.mark.django_db


def page_url(binding: Binding) -> str:
    return f"/family/{binding.pk}/reconsent/"


@pytest.fixture
def asked(family, run_on):
    run_on(BIRTHDAY_16)
    return family


@pytest.fixture
def on_the_day():
    with freeze_time(at(BIRTHDAY_16, hour=12)):
        yield


def test_the_family_page_asks_the_young_person_and_links_to_the_question(client: Client, asked, on_the_day):
    binding = asked["binding"]
    page = signed_in(client, asked["son"]).get("/family/").content.decode()
    assert "需要您本人确认" in page
    assert f'href="{page_url(binding)}"' in page
    # and not his father
    father_page = signed_in(Client(), asked["father"]).get("/family/").content.decode()
    assert page_url(binding) not in father_page


def test_the_question_says_who_since_when_and_what_each_answer_means(client: Client, asked, on_the_day):
    binding, last_day = asked["binding"], ReconsentRequest.objects.get().due_on
    page = signed_in(client, asked["son"]).get(page_url(binding)).content.decode()
    assert "<dd>刘**</dd>" in page and "<dd>您是TA的子</dd>" in page
    assert f"{last_day.year}年{last_day.month}月{last_day.day}日" in page
    assert "TA能在自己的账户明细中看到每一笔为您支付的金额" in page
    assert 'value="confirm"' in page and 'value="decline"' in page


def test_confirming_on_the_page_keeps_the_binding_and_goes_back_to_the_family_page(client, asked, on_the_day):
    binding = asked["binding"]
    response = signed_in(client, asked["son"]).post(page_url(binding), {"answer": "confirm"})
    assert (response.status_code, response["Location"]) == (302, "/family/")
    binding.refresh_from_db()
    assert binding.status == "active"
    assert ReconsentRequest.objects.get().answer == "confirmed"
    # and the question is gone
    assert client.get(page_url(binding)).status_code == 404
    assert "需要您本人确认" not in client.get("/family/").content.decode()


def test_declining_on_the_page_revokes_the_binding(client, asked, on_the_day):
    binding = asked["binding"]
    signed_in(client, asked["son"]).post(page_url(binding), {"answer": "decline"})
    binding.refresh_from_db()
    assert (binding.status, binding.reasons) == ("revoked", ["reconsent_declined"])


def test_the_sharer_does_not_get_the_question_and_cannot_answer_it(client, asked, on_the_day):
    binding = asked["binding"]
    signed_in(client, asked["father"])
    assert client.get(page_url(binding)).status_code == 404
    events = BindingEvent.objects.count()
    response = client.post(page_url(binding), {"answer": "confirm"})
    assert response.status_code == 403
    assert data_codes(response.content.decode()) == ["reconsent_not_allowed"]
    assert ReconsentRequest.objects.get().answer == ""
    assert BindingEvent.objects.count() == events


def test_an_answer_that_is_neither_is_a_bad_request(client, asked, on_the_day):
    response = signed_in(client, asked["son"]).post(page_url(asked["binding"]), {"answer": "maybe"})
    assert response.status_code == 400
    assert ReconsentRequest.objects.get().answer == ""


def test_the_question_and_the_prompt_are_in_english_too(client, asked, on_the_day):
    signed_in(client, asked["son"])
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    question = client.get(page_url(asked["binding"])).content.decode()
    assert "Do you want to keep receiving family sharing?" in question
    assert untranslated_chinese(question) == []
    prompt = client.get("/family/").content.decode()
    assert "Your own answer is needed" in prompt
    assert untranslated_chinese(prompt) == []

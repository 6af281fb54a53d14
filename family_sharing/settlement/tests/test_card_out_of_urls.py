"""Card numbers never travel in a counter URL (issue 15): the look-up is a POST that redirects to the
patient's page by an opaque signed token, so neither the access log nor the browser history holds a
card or identity number. A `?card=` query looks nothing up; the token opens only for the staff
member who swiped the card."""

import re

import pytest

from accounts.models import PersonViewLog
from accounts.tests.factories import ResidentFactory, StaffFactory
from family_sharing.tests.test_pages import signed_in

pytestmark = pytest.mark.django_db


def look_up(client, card: str) -> str:
    found = client.post("/counter/settle/", {"card": card})
    assert found.status_code == 302, found.content
    return found["Location"]


def test_the_look_up_is_a_post_that_redirects_to_an_opaque_url(client, family, hospital_staff):
    son, father, _ = family
    signed_in(client, hospital_staff)
    # when staff swipe the card (the form posts)
    location = look_up(client, father.card_number)
    # then the page they land on names nobody by a number
    assert location.startswith("/counter/settle/")
    for secret in (father.card_number, father.id_number, son.card_number, son.id_number):
        assert secret.lower() not in location.lower()
    page = client.get(location).content.decode()
    assert father.name_masked in page
    assert PersonViewLog.objects.filter(person=father, surface="counter").count() == 1
    # and no link or form on the page carries a card number in its URL
    for url in re.findall(r'(?:href|action)="([^"]*)"', page):
        assert "card=" not in url and father.card_number not in url


def test_a_card_in_the_query_string_looks_nothing_up(client, family, hospital_staff):
    son, father, _ = family
    signed_in(client, hospital_staff)
    response = client.get("/counter/settle/", {"card": father.card_number})
    assert response.status_code == 200
    page = response.content.decode()
    assert father.name_masked not in page and 'data-testid="holder-name"' not in page
    assert not PersonViewLog.objects.exists()


def test_the_look_up_form_posts_with_a_csrf_token(client, family, hospital_staff):
    signed_in(client, hospital_staff)
    page = client.get("/counter/settle/").content.decode()
    form = re.search(r'<form method="(\w+)" action="/counter/settle/"(.*?)</form>', page, re.S)
    assert form is not None and form.group(1) == "post"
    assert "csrfmiddlewaretoken" in form.group(2)


def test_a_forged_or_someone_elses_patient_url_is_404(client, family, hospital_staff):
    _, father, _ = family
    signed_in(client, hospital_staff)
    location = look_up(client, father.card_number)
    # a made-up token, a tampered one
    assert client.get("/counter/settle/1:forged/").status_code == 404
    assert client.get(location.rstrip("/") + "x/").status_code == 404
    # another counter's staff member holding the URL (a log, a shared screen) finds nothing
    other = StaffFactory(role="hospital", institution=hospital_staff.institution, region=None, is_staff=False)
    client.logout()
    signed_in(client, other)
    assert client.get(location).status_code == 404


def test_residents_cannot_open_a_patients_counter_page(client, family, hospital_staff):
    _, father, _ = family
    signed_in(client, hospital_staff)
    location = look_up(client, father.card_number)
    client.logout()
    signed_in(client, ResidentFactory())
    assert client.get(location).status_code == 403

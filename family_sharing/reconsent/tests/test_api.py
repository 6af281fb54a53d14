"""POST /api/v1/bindings/{id}/reconsent/ {"accept": bool}: the young person's answer, as `consent/`
answers (200 with the binding); everyone else is refused and nothing changes."""

import pytest
from freezegun import freeze_time

from accounts.tests.factories import ResidentFactory
from family_sharing.models import BindingEvent
from family_sharing.reconsent.models import ReconsentRequest
from family_sharing.reconsent.tests.conftest import BIRTHDAY_16, at

pytestmark = pytest.mark.django_db


def reconsent(api, user, binding, body):
    api.force_authenticate(user)
    with freeze_time(at(BIRTHDAY_16, hour=12)):
        return api.post(f"/api/v1/bindings/{binding.pk}/reconsent/", body, format="json")


@pytest.fixture
def asked(family, run_on):
    run_on(BIRTHDAY_16)
    return family


@pytest.mark.parametrize(
    ("accept", "status", "reasons"), [(True, "active", None), (False, "revoked", ["reconsent_declined"])]
)
def test_the_young_person_confirms_or_declines(api, asked, accept, status, reasons):
    response = reconsent(api, asked["son"], asked["binding"], {"accept": accept})
    assert response.status_code == 200
    body = response.json()
    assert (body["id"], body["status"]) == (str(asked["binding"].pk), status)
    if reasons:
        assert [r["code"] for r in body["reasons"]] == reasons
    assert ReconsentRequest.objects.get(binding=asked["binding"]).answer == (
        "confirmed" if accept else "declined"
    )


def test_the_sharer_is_refused_with_its_code_and_nothing_changes(api, asked):
    events = BindingEvent.objects.count()
    response = reconsent(api, asked["father"], asked["binding"], {"accept": True})
    assert response.status_code == 403
    assert response.json()["error"] == "reconsent_not_allowed"
    assert response.json()["message"] == "只有被共济人本人可以确认是否继续共济，共济人或监护人不能代为确认"
    assert ReconsentRequest.objects.get(binding=asked["binding"]).answer == ""
    assert BindingEvent.objects.count() == events


@pytest.mark.parametrize("who", ["mother", "stranger"])
def test_someone_who_cannot_see_the_binding_gets_the_plain_404(api, asked, who):
    # the mother is a guardian of a child under 16 only; at 16 the binding is her son's and his father's
    user = asked["mother"] if who == "mother" else ResidentFactory()
    response = reconsent(api, user, asked["binding"], {"accept": True})
    assert (response.status_code, response.json()["error"]) == (404, "not_found")
    assert ReconsentRequest.objects.get(binding=asked["binding"]).answer == ""


def test_accept_is_required(api, asked):
    response = reconsent(api, asked["son"], asked["binding"], {})
    assert response.status_code == 400
    assert response.json()["details"][0]["field"] == "accept"
    assert ReconsentRequest.objects.get(binding=asked["binding"]).answer == ""


def test_nothing_to_answer_is_a_conflict(api, family):
    # not asked yet
    response = reconsent(api, family["son"], family["binding"], {"accept": True})
    assert (response.status_code, response.json()["error"]) == (409, "reconsent_not_pending")

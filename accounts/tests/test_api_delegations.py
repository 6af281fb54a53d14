"""Family-service API: add (multipart), confirm, rights, revoke; acting under a delegation that is not
the caller's active one with that scope is 404, whatever the reason; an unknown scope 400."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from knox.models import AuthToken

from accounts.delegations.models import Delegation
from accounts.tests.factories import PersonFactory, ResidentFactory
from accounts.tests.test_delegations import PNG, relation_codes  # noqa: F401

pytestmark = pytest.mark.django_db


def as_user(api, user):
    _instance, token = AuthToken.objects.create(user=user)
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return api


@pytest.fixture
def pair():
    parent = ResidentFactory(person=PersonFactory(birth=dt.date(1950, 1, 1), is_pensioner=True))
    child = ResidentFactory(person=PersonFactory(birth=dt.date(1980, 1, 1)))
    return child, parent


def create(api, parent, scopes):
    return api.post(
        "/api/v1/delegations/",
        {
            "principal_name": parent.person.name,
            "principal_card_number": parent.person.card_number,
            "relation_code": "51",
            "scopes": scopes,
            "id_document": SimpleUploadedFile("id.png", PNG, "image/png"),
        },
        format="multipart",
    )


def test_the_whole_delegation_through_the_api(api, pair):
    from rest_framework.test import APIClient

    child, parent = pair
    created = create(as_user(api, child), parent, ["view_rights"])
    assert created.status_code == 201, created.json()
    body = created.json()
    assert (body["status"], body["role"], body["scopes"]) == (
        "pending_confirmation",
        "agent",
        ["view_rights"],
    )
    principal_api = as_user(APIClient(), parent)
    confirmed = principal_api.post(
        f"/api/v1/delegations/{body['id']}/confirm/", {"accept": True}, format="json"
    )
    assert confirmed.json()["status"] == "active"
    rights = api.get(f"/api/v1/delegations/{body['id']}/rights/")
    assert rights.status_code == 200
    assert rights.json()["sections"][0]["title"] == "养老金资格认证"
    beyond = api.post("/api/v1/certification/sessions/", {"delegation_id": body["id"]}, format="json")
    assert beyond.status_code == 404 and beyond.json()["error"] == "not_found"
    assert principal_api.post(f"/api/v1/delegations/{body['id']}/revoke/").json()["status"] == "revoked"
    after = api.get(f"/api/v1/delegations/{body['id']}/rights/")
    assert after.status_code == 404 and after.json()["error"] == "not_found"


def test_an_unknown_scope_is_400_and_creates_nothing(api, pair):
    child, parent = pair
    response = create(as_user(api, child), parent, ["view_rights", "withdraw_cash"])
    assert response.status_code == 400 and response.json()["error"] == "scope_unknown"
    assert not Delegation.objects.exists()


def test_a_certify_delegation_starts_a_session_once(api, pair):
    from rest_framework.test import APIClient

    child, parent = pair
    body = create(as_user(api, child), parent, ["certify"]).json()
    as_user(APIClient(), parent).post(
        f"/api/v1/delegations/{body['id']}/confirm/", {"accept": True}, format="json"
    )
    first = api.post("/api/v1/certification/sessions/", {"delegation_id": body["id"]}, format="json")
    second = api.post("/api/v1/certification/sessions/", {"delegation_id": body["id"]}, format="json")
    assert first.status_code == 201 and first.json()["id"] == second.json()["id"]


def test_someone_elses_delegation_is_404(api, pair):
    child, parent = pair
    body = create(as_user(api, child), parent, ["certify"]).json()
    as_user(api, ResidentFactory())
    assert (
        api.post("/api/v1/certification/sessions/", {"delegation_id": body["id"]}, format="json").status_code
        == 404
    )
    assert api.get(f"/api/v1/delegations/{body['id']}/rights/").status_code == 404

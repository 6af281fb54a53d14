"""Delegations for children (DESIGN.md section 10, issue 15), tried over HTTP as the real clients and
as someone who should not get in:

- only a registry parent (birth, adoptive, supported step-parent) opens one for a child under 16, or
  a bureau officer who checked the documents; anyone else is refused and nothing is created;
- every registry guardian sees every delegation for their child and may revoke it, with a reason
  that is recorded and told to the agent;
- the principal look-up answers a stranger about a child exactly as about no one, and is limited
  per user and per address, also when the requests arrive together.
"""

import datetime as dt
import re
import threading

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import override_settings
from knox.models import AuthToken
from rest_framework.test import APIClient

from accounts.delegations.models import Delegation, DelegationDocument
from accounts.models import Message
from accounts.tests.factories import PersonFactory, RegionFactory, ResidentFactory, StaffFactory
from accounts.tests.test_admin import admin_login
from accounts.tests.test_delegation_pages import signed_in
from accounts.tests.test_delegations import PNG, registry_parent, relation_codes  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture
def family():
    """A child of 9 whose mother and father are both recorded as parents in the civil registry."""
    mother = ResidentFactory(person=PersonFactory(name="李红", birth=dt.date(1986, 3, 1), male=False))
    father = ResidentFactory(person=PersonFactory(name="王强", birth=dt.date(1984, 7, 1)))
    kid = PersonFactory(name="王小明", birth=dt.date(2017, 6, 1))
    registry_parent(mother.person, kid)
    registry_parent(father.person, kid)
    return mother, father, kid


def as_user(user) -> APIClient:
    client = APIClient()
    _instance, token = AuthToken.objects.create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def fields(name, card, *, id_document=True, face_photo=True, relation="20"):
    data = {"principal_name": name, "principal_card_number": card, "relation_code": relation}
    data["scopes"] = ["view_rights", "certify"]
    if id_document:
        data["id_document"] = SimpleUploadedFile("id.png", PNG, "image/png")
    if face_photo:
        data["face_photo"] = SimpleUploadedFile("face.png", PNG, "image/png")
    return data


def codes_shown(html: str) -> list[str]:
    return sorted(re.findall(r'data-code="([a-z_]+)"', html))


# --- who may open one ---------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["stranger", "step_parent_without_support"])
def test_a_stranger_cannot_open_a_delegation_for_a_child_and_nothing_is_created(client, family, kind):
    # given someone who knows the child's name and card number and holds a photo (any JPEG/PNG)
    _mother, _father, kid = family
    stranger = ResidentFactory(person=PersonFactory(name="赵六", birth=dt.date(1970, 1, 1)))
    if kind == "step_parent_without_support":
        registry_parent(stranger.person, kid, kind="step")  # 继父母 without 扶养关系: not a guardian

    # when they try on the page and through the API
    page = signed_in(client, stranger).post("/family-service/new/", fields(kid.name, kid.card_number))
    api = as_user(stranger).post(
        "/api/v1/delegations/", fields(kid.name, kid.card_number), format="multipart"
    )

    # then both refuse with the not-found answer, and nothing is stored or sent
    assert page.status_code == 422 and codes_shown(page.content.decode()) == ["principal_not_found"]
    assert api.status_code == 422 and api.json()["error"] == "principal_not_found"
    assert "未满16周岁" in api.json()["message"]  # the rule is said to everyone alike
    assert not Delegation.objects.exists() and not DelegationDocument.objects.exists()
    assert not Message.objects.exists()


def test_a_registry_parent_opens_it_and_the_other_parent_sees_and_revokes_it(client, family):
    mother, father, kid = family
    # when the mother adds her son on the page
    page = signed_in(client, mother).post("/family-service/new/", fields(kid.name, kid.card_number))
    assert page.status_code == 302
    delegation = Delegation.objects.get()
    assert (delegation.agent, delegation.status, delegation.principal_minor) == (mother, "active", True)
    assert client.get(f"/family-service/{delegation.pk}/rights/").status_code == 200

    # then the father is told, and sees it on his page and in the API as a guardian
    assert Message.objects.filter(person=father.person, subject="孩子的亲情服务授权已开通").count() == 1
    client.logout()
    home = signed_in(client, father).get("/family-service/").content.decode()
    assert f'data-delegation="{delegation.pk}" data-role="guardian"' in home
    assert f'data-revoke="{delegation.pk}"' in home
    listed = as_user(father).get("/api/v1/delegations/").json()
    assert [(d["id"], d["role"]) for d in listed] == [(str(delegation.pk), "guardian")]

    # when he revokes without saying why, it is refused and stays in effect
    bare = client.post(f"/family-service/{delegation.pk}/revoke/")
    assert bare.status_code == 400 and "revoke_reason_required" in codes_shown(bare.content.decode())
    delegation.refresh_from_db()
    assert delegation.status == "active"
    # when he says why, it ends, recorded as his act with his reason, and the mother is told
    done = client.post(f"/family-service/{delegation.pk}/revoke/", {"reason": "孩子的事由我来办"})
    assert done.status_code == 302
    delegation.refresh_from_db()
    assert (delegation.status, delegation.revoked_by, delegation.revoke_reason) == (
        "revoked",
        father,
        "孩子的事由我来办",
    )
    told = Message.objects.get(person=mother.person, subject="亲情服务授权已撤销")
    assert "孩子的事由我来办" in told.body
    # and the mother can no longer act, and sees who ended it and why
    client.logout()
    signed_in(client, mother)
    assert client.get(f"/family-service/{delegation.pk}/rights/").status_code == 404
    assert 'data-code="revoked_by_guardian"' in client.get("/family-service/").content.decode()


def test_the_other_parent_revokes_through_the_api_and_a_stranger_cannot(family):
    mother, father, kid = family
    created = as_user(mother).post(
        "/api/v1/delegations/", fields(kid.name, kid.card_number), format="multipart"
    )
    assert created.status_code == 201 and created.json()["status"] == "active"
    delegation_id = created.json()["id"]
    stranger = as_user(ResidentFactory())
    assert stranger.get("/api/v1/delegations/").json() == []
    assert stranger.post(f"/api/v1/delegations/{delegation_id}/revoke/", {"reason": "x"}).status_code == 404
    guardian = as_user(father)
    no_reason = guardian.post(f"/api/v1/delegations/{delegation_id}/revoke/", {}, format="json")
    assert no_reason.status_code == 400 and no_reason.json()["error"] == "revoke_reason_required"
    revoked = guardian.post(
        f"/api/v1/delegations/{delegation_id}/revoke/", {"reason": "不同意"}, format="json"
    ).json()
    assert (revoked["status"], revoked["revoked_by"], revoked["revoke_reason"]) == (
        "revoked",
        "guardian",
        "不同意",
    )
    assert as_user(mother).get(f"/api/v1/delegations/{delegation_id}/rights/").status_code == 404


def test_a_bureau_officer_who_checked_the_documents_opens_one_for_a_grandmother(client, family):
    # given a grandmother appointed guardian, who is not a registry parent, at the window
    mother, father, kid = family
    grandma = ResidentFactory(person=PersonFactory(name="王奶奶", birth=dt.date(1955, 1, 1), male=False))
    url = "/admin/accounts/delegation/open-for-child/"
    form = {
        "principal_name": kid.name,
        "principal_card_number": kid.card_number,
        "agent_name": grandma.person.name,
        "agent_card_number": grandma.person.card_number,
        "relation_code": "41",
        "scopes": ["view_rights"],
        "documents_checked": "",
    }
    # an officer of another region finds no such child, and nothing is created
    admin_login(client, StaffFactory(region=RegionFactory(code="310100", name="上海市")))
    elsewhere = client.post(url, {**form, "documents_checked": "户口簿"})
    assert 'data-code="principal_not_found"' in elsewhere.content.decode()
    client.logout()
    # the child's region's officer must say which documents were checked
    officer = StaffFactory()
    admin_login(client, officer)
    assert (
        f'href="{url}"' in client.get("/admin/accounts/delegation/").content.decode()
    )  # reachable from the list
    assert 'data-code="documents_checked_required"' in client.post(url, form).content.decode()
    assert not Delegation.objects.exists()
    # and then it is opened, active at once, with who and what recorded
    opened = client.post(url, {**form, "documents_checked": "户口簿、法院指定监护判决书、监护人身份证"})
    assert opened.status_code == 302
    delegation = Delegation.objects.get()
    assert (delegation.agent, delegation.status, delegation.opened_by) == (grandma, "active", officer)
    assert delegation.documents_checked.startswith("户口簿")
    # the grandmother may act; both parents are told and may revoke it
    client.logout()
    assert signed_in(client, grandma).get(f"/family-service/{delegation.pk}/rights/").status_code == 200
    parents = Message.objects.filter(subject="孩子的亲情服务授权已开通").values_list("person", flat=True)
    assert sorted(parents) == sorted([mother.person_id, father.person_id])
    client.logout()
    assert (
        f'data-revoke="{delegation.pk}"' in signed_in(client, mother).get("/family-service/").content.decode()
    )


def test_an_officer_opens_for_children_only(client):
    adult = PersonFactory(birth=dt.date(1990, 1, 1))
    agent = ResidentFactory()
    admin_login(client, StaffFactory())
    page = client.post(
        "/admin/accounts/delegation/open-for-child/",
        {
            "principal_name": adult.name,
            "principal_card_number": adult.card_number,
            "agent_name": agent.person.name,
            "agent_card_number": agent.person.card_number,
            "relation_code": "20",
            "scopes": ["view_rights"],
            "documents_checked": "户口簿",
        },
    )
    assert 'data-code="principal_not_minor"' in page.content.decode()
    assert not Delegation.objects.exists()


# --- the look-up tells a stranger nothing ---------------------------------------------------------


@pytest.mark.parametrize(
    "documents", [{}, {"face_photo": False}, {"face_photo": False, "id_document": False}]
)
def test_a_stranger_looking_up_a_child_gets_the_same_answer_as_for_no_one(client, family, documents):
    _mother, _father, kid = family
    stranger = ResidentFactory()
    api = as_user(stranger)
    signed_in(client, stranger)
    asks = {
        "child": (kid.name, kid.card_number),
        "no such card": ("王小明", "Z99999999"),
        "card with another name": ("李四", kid.card_number),
    }
    answers = {}
    for what, (name, card) in asks.items():
        by_api = api.post("/api/v1/delegations/", fields(name, card, **documents), format="multipart")
        page = client.post("/family-service/new/", fields(name, card, **documents))
        answers[what] = (
            by_api.status_code,
            by_api.json(),
            page.status_code,
            codes_shown(page.content.decode()),
        )
    assert answers["child"] == answers["no such card"] == answers["card with another name"]
    assert "face_photo_required" not in str(answers["child"])
    assert not Delegation.objects.exists()


def test_the_guardian_is_told_the_childs_face_photo_is_missing(family):
    mother, _father, kid = family
    answer = as_user(mother).post(
        "/api/v1/delegations/", fields(kid.name, kid.card_number, face_photo=False), format="multipart"
    )
    assert answer.status_code == 400
    assert [d["code"] for d in answer.json()["details"]] == ["face_photo_required"]


@override_settings(RATE_LIMITS={"delegation_lookup": {"key": (3, 3600), "address": (100, 3600)}})
def test_the_look_up_limit_on_the_page_answers_429_with_retry_after(client, family):
    _mother, _father, kid = family
    signed_in(client, ResidentFactory())
    statuses = [
        client.post("/family-service/new/", fields("某人", f"Z{n:08d}")).status_code for n in range(3)
    ]
    assert statuses == [422, 422, 422]
    limited = client.post("/family-service/new/", fields(kid.name, kid.card_number))
    assert limited.status_code == 429 and int(limited["Retry-After"]) > 0
    assert "throttled" in codes_shown(limited.content.decode())
    assert not Delegation.objects.exists()


@override_settings(RATE_LIMITS={"delegation_lookup": {"key": (100, 3600), "address": (2, 3600)}})
def test_the_look_up_is_limited_per_address_whoever_asks(family):
    _mother, _father, kid = family
    answers = [
        as_user(ResidentFactory()).post(
            "/api/v1/delegations/", fields(kid.name, kid.card_number), format="multipart"
        )
        for _ in range(3)
    ]
    assert [a.status_code for a in answers] == [422, 422, 429]
    assert answers[2].json()["error"] == "throttled" and int(answers[2]["Retry-After"]) > 0


@pytest.mark.django_db(transaction=True)
@override_settings(RATE_LIMITS={"delegation_lookup": {"key": (3, 3600), "address": (100, 3600)}})
def test_the_look_up_limit_holds_when_requests_arrive_together(relation_codes):  # noqa: F811
    # given one user who sends eight look-ups at the same moment
    user = ResidentFactory()
    _instance, token = AuthToken.objects.create(user=user)
    start = threading.Barrier(8)
    statuses: list[int] = []

    def ask(n: int) -> None:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
        try:
            start.wait()
            answer = client.post("/api/v1/delegations/", fields("某人", f"Z{n:08d}"), format="multipart")
            statuses.append(answer.status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=ask, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # then exactly three are looked up and the other five are 429
    assert sorted(statuses) == [422] * 3 + [429] * 5


def test_the_guardians_page_and_the_guardian_revocation_are_in_english_too(client, family):
    from family_sharing.tests.test_pages import untranslated_chinese

    mother, father, kid = family
    created = as_user(mother).post(
        "/api/v1/delegations/", fields(kid.name, kid.card_number), format="multipart"
    )
    signed_in(client, father)
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    before = client.get("/family-service/").content.decode()
    assert "Acting for my children" in before and "Reason for revoking" in before
    client.post(f"/family-service/{created.json()['id']}/revoke/", {"reason": "no"})
    client.logout()
    signed_in(client, mother)
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    after = client.get("/family-service/").content.decode()
    assert "The guardian 王* revoked this authorisation. Reason: no" in after
    assert untranslated_chinese(before) == [] and untranslated_chinese(after) == []
    assert untranslated_chinese(client.get("/family-service/new/").content.decode()) == []

"""Pages and API that act for a principal (DESIGN.md section 10, issue 15) show nothing of the
principal before an active delegation with that scope, whose agent is the caller, is found: a
delegation id that does not exist, someone else's, a pending or revoked one, or one without the
scope all get the same 404, and no name, status or date of the principal is in any answer."""

import datetime as dt
import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from accounts.delegations.services import delegation_revoke
from accounts.tests.factories import PersonFactory, ResidentFactory
from accounts.tests.test_api_delegations import as_user
from accounts.tests.test_delegation_pages import signed_in
from accounts.tests.test_delegations import active, add, relation_codes  # noqa: F401
from certification.models import CertificationSession, HomeVisit
from certification.tests.test_home_visits import PDF

pytestmark = pytest.mark.django_db


def pensioner_login(name: str):
    return ResidentFactory(
        person=PersonFactory(
            name=name, birth=dt.date(1948, 4, 1), is_pensioner=True, last_certified_on=dt.date(2025, 12, 20)
        )
    )


@pytest.fixture
def cases():
    """The caller (an agent) and, by case, a delegation id that is not their active `certify` one,
    with the principal behind it."""
    agent = ResidentFactory(person=PersonFactory(name="孙建华", birth=dt.date(1975, 1, 1)))
    other_agent = ResidentFactory(person=PersonFactory(name="周立新", birth=dt.date(1976, 1, 1)))
    theirs_principal = pensioner_login("钱德顺")
    theirs = active(other_agent, theirs_principal, ["certify", "view_rights"])
    revoked_principal = pensioner_login("吴玉兰")
    revoked = active(agent, revoked_principal, ["certify", "view_rights"])
    delegation_revoke(actor=revoked_principal, delegation=revoked)
    scope_principal = pensioner_login("郑国庆")
    wrong_scope = active(agent, scope_principal, ["view_rights"])
    pending_principal = pensioner_login("冯桂芝")
    pending = add(agent, pending_principal.person, ["certify"])
    return agent, {
        "no such id": (uuid.uuid4(), None),
        "someone else's": (theirs.pk, theirs_principal.person),
        "revoked": (revoked.pk, revoked_principal.person),
        "without certify": (wrong_scope.pk, scope_principal.person),
        "pending": (pending.pk, pending_principal.person),
    }


def leaks(body: str, person) -> list[str]:
    if person is None:
        return []
    return [shown for shown in (person.name, person.name_masked, person.card_number) if shown in body]


def test_the_acting_pages_are_404_and_show_nothing_of_the_principal(client, cases):
    agent, by_case = cases
    signed_in(client, agent)
    for case, (delegation_id, principal) in by_case.items():
        page = client.get(f"/certification/for/{delegation_id}/")
        start = client.post(f"/certification/for/{delegation_id}/")
        visit = client.post(
            f"/certification/for/{delegation_id}/home-visit/",
            {"reason": "mobility", "address": "家中", "documents": [SimpleUploadedFile("病历.pdf", PDF)]},
        )
        for answer in (page, start, visit):
            body = answer.content.decode()
            assert (case, answer.status_code, leaks(body, principal)) == (case, 404, [])
    assert not CertificationSession.objects.exists() and not HomeVisit.objects.exists()


def test_the_acting_api_answers_each_case_exactly_as_an_unknown_id(cases):
    agent, by_case = cases
    api = as_user(APIClient(), agent)
    answers = {}
    for case, (delegation_id, principal) in by_case.items():
        session = api.post(
            "/api/v1/certification/sessions/", {"delegation_id": str(delegation_id)}, format="json"
        )
        assert leaks(session.content.decode(), principal) == []
        answers[case] = (session.status_code, session.json())
    assert set(map(repr, answers.values())) == {repr(answers["no such id"])}
    assert answers["no such id"][0] == 404
    assert not CertificationSession.objects.exists()


def test_the_rights_summary_needs_view_rights_and_shows_nothing_otherwise(client, cases):
    agent, _by_case = cases
    principal = pensioner_login("陈秀珍")
    certify_only = active(agent, principal, ["certify"])
    signed_in(client, agent)
    page = client.get(f"/family-service/{certify_only.pk}/rights/")
    assert page.status_code == 404 and leaks(page.content.decode(), principal.person) == []
    unknown = as_user(APIClient(), agent).get(f"/api/v1/delegations/{uuid.uuid4()}/rights/")
    by_api = as_user(APIClient(), agent).get(f"/api/v1/delegations/{certify_only.pk}/rights/")
    assert (
        (by_api.status_code, by_api.json()) == (unknown.status_code, unknown.json()) == (404, unknown.json())
    )

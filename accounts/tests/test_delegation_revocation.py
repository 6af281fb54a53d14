"""Ending a delegation: the adult principal, or the guardian who added a principal under 16, on the
family-service pages; bureau staff in the admin with a recorded reason. From the moment it is
revoked the agent's acting pages and API answer 404 (the delegation is no longer found), and an act
that was already past the look-up is refused (403 `no_delegation`) by the locked re-check."""

import datetime as dt

import pytest
from knox.models import AuthToken

from accounts.delegations.models import Delegation, DelegationAct
from accounts.delegations.services import delegation_revoke, delegation_revoke_by_staff
from accounts.models import Message
from accounts.tests.factories import PersonFactory, RegionFactory, ResidentFactory, StaffFactory
from accounts.tests.test_delegation_pages import signed_in
from accounts.tests.test_delegations import active, add, png, registry_parent, relation_codes  # noqa: F401
from portal.core.errors import ApplicationError

pytestmark = pytest.mark.django_db


@pytest.fixture
def guardian_and_kid():
    guardian = ResidentFactory(person=PersonFactory(name="王丽", birth=dt.date(1985, 1, 1)))
    kid = PersonFactory(name="王小宝", birth=dt.date(2018, 5, 15))
    registry_parent(guardian.person, kid)
    delegation = add(guardian, kid, ["view_rights"], face_photo=png("face.png"))
    assert delegation.status == "active"
    return guardian, kid, delegation


def test_the_guardian_of_a_child_revokes_on_the_page_and_can_no_longer_act(client, guardian_and_kid):
    guardian, _kid, delegation = guardian_and_kid
    signed_in(client, guardian)
    home = client.get("/family-service/").content.decode()
    assert f'data-revoke="{delegation.pk}"' in home
    assert client.get(f"/family-service/{delegation.pk}/rights/").status_code == 200
    # when the guardian revokes
    assert client.post(f"/family-service/{delegation.pk}/revoke/").status_code == 302
    # then it is ended by them, and the very next look at the child's rights is refused
    delegation.refresh_from_db()
    assert (delegation.status, delegation.revoked_by, delegation.revoke_reason) == ("revoked", guardian, "")
    assert delegation.ended_at is not None
    refused = client.get(f"/family-service/{delegation.pk}/rights/")
    assert refused.status_code == 404 and "王小宝" not in refused.content.decode()
    assert DelegationAct.objects.filter(delegation=delegation).count() == 1  # only the look before
    assert f'data-revoke="{delegation.pk}"' not in client.get("/family-service/").content.decode()


def test_the_agent_of_an_adult_may_not_revoke_and_is_not_offered_to(client, pair):
    child, parent = pair
    delegation = active(child, parent, ["view_rights"])
    signed_in(client, child)
    assert f'data-revoke="{delegation.pk}"' not in client.get("/family-service/").content.decode()
    page = client.post(f"/family-service/{delegation.pk}/revoke/")
    assert page.status_code == 403 and 'data-code="revoke_not_allowed"' in page.content.decode()
    delegation.refresh_from_db()
    assert delegation.status == "active"


def test_a_principal_under_16_cannot_revoke_what_the_guardian_set_up(guardian_and_kid):
    _guardian, kid, delegation = guardian_and_kid
    kid_login = ResidentFactory(person=kid)
    with pytest.raises(ApplicationError) as refused:
        delegation_revoke(actor=kid_login, delegation=delegation)
    assert (refused.value.status, refused.value.codes()) == (403, ["revoke_not_allowed"])
    assert Delegation.objects.get().status == "active"


def test_the_adult_principal_revokes_on_the_page_and_the_agent_is_refused_at_once(client, pair):
    child, parent = pair
    delegation = active(child, parent, ["view_rights", "certify"])
    signed_in(client, parent)
    assert f'data-revoke="{delegation.pk}"' in client.get("/family-service/").content.decode()
    client.post(f"/family-service/{delegation.pk}/revoke/")
    client.logout()
    signed_in(client, child)
    start = client.post(f"/certification/for/{delegation.pk}/")
    assert start.status_code == 404 and parent.person.name_masked not in start.content.decode()
    assert Message.objects.filter(person=child.person, subject="亲情服务授权已撤销").count() == 1


def test_a_revoked_agent_is_refused_by_the_api_at_once(api, pair):
    child, parent = pair
    delegation = active(child, parent, ["view_rights"])
    _instance, token = AuthToken.objects.create(user=child)
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert api.get(f"/api/v1/delegations/{delegation.pk}/rights/").status_code == 200
    delegation_revoke_by_staff(actor=StaffFactory(), delegation=delegation, reason="身份证件系伪造")
    refused = api.get(f"/api/v1/delegations/{delegation.pk}/rights/")
    assert refused.status_code == 404
    assert refused.json()["error"] == "not_found"


def test_staff_revoke_with_a_reason_that_is_recorded_and_told(pair):
    child, parent = pair
    delegation = active(child, parent, ["certify"])
    staff = StaffFactory()
    with pytest.raises(ApplicationError) as no_reason:
        delegation_revoke_by_staff(actor=staff, delegation=delegation, reason="  ")
    assert (no_reason.value.status, no_reason.value.codes()) == (400, ["revoke_reason_required"])
    assert Delegation.objects.get().status == "active"
    delegation_revoke_by_staff(actor=staff, delegation=delegation, reason="委托人反映并未同意")
    delegation.refresh_from_db()
    assert (delegation.status, delegation.revoked_by, delegation.revoke_reason) == (
        "revoked",
        staff,
        "委托人反映并未同意",
    )
    told = Message.objects.filter(subject="亲情服务授权已由经办机构撤销")
    assert sorted(m.person_id for m in told) == sorted([child.person_id, parent.person_id])
    assert all("委托人反映并未同意" in m.body for m in told)
    with pytest.raises(ApplicationError) as twice:
        delegation_revoke_by_staff(actor=staff, delegation=delegation, reason="再次")
    assert (twice.value.status, twice.value.codes()) == (409, ["invalid_transition"])


def test_staff_of_another_region_cannot_revoke(pair):
    child, parent = pair
    delegation = active(child, parent, ["certify"])
    elsewhere = StaffFactory(region=RegionFactory(code="310100", name="上海市"))
    with pytest.raises(ApplicationError) as refused:
        delegation_revoke_by_staff(actor=elsewhere, delegation=delegation, reason="核查")
    assert refused.value.status == 403
    assert Delegation.objects.get().status == "active"


def test_the_guardian_revokes_through_the_api_too(api, guardian_and_kid):
    guardian, _kid, delegation = guardian_and_kid
    _instance, token = AuthToken.objects.create(user=guardian)
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    body = api.post(f"/api/v1/delegations/{delegation.pk}/revoke/").json()
    assert (body["status"], body["revoke_reason"]) == ("revoked", "")
    assert api.get(f"/api/v1/delegations/{delegation.pk}/rights/").status_code == 404

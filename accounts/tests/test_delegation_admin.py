"""Bureau staff and delegations in the admin (behind OTP, their region only): the documents a
delegation was added with open only for them, and they revoke with a reason the people see."""

import datetime as dt

import pytest

from accounts.delegations.models import Delegation
from accounts.tests.factories import PersonFactory, RegionFactory, ResidentFactory, StaffFactory
from accounts.tests.test_admin import admin_login
from accounts.tests.test_delegation_pages import signed_in
from accounts.tests.test_delegations import PNG, active, add, png, registry_parent, relation_codes  # noqa: F401

pytestmark = pytest.mark.django_db


def test_delegation_documents_open_for_staff_of_the_region_only(client):
    guardian = ResidentFactory(person=PersonFactory(birth=dt.date(1985, 1, 1)))
    kid = PersonFactory(birth=dt.date(2018, 5, 15))
    registry_parent(guardian.person, kid)
    delegation = add(guardian, kid, ["view_rights"], face_photo=png("face.png"))
    admin_login(client, StaffFactory())
    page = client.get(f"/admin/accounts/delegation/{delegation.pk}/change/").content.decode()
    urls = [f"/admin/accounts/delegation/document/{d.pk}/" for d in delegation.documents.all()]
    assert len(urls) == 2 and all(url in page for url in urls)
    opened = client.get(urls[0])
    assert opened.status_code == 200 and opened["Content-Type"] == "image/png"
    assert b"".join(opened.streaming_content) == PNG
    client.logout()
    admin_login(client, StaffFactory(region=RegionFactory(code="310100", name="上海市")))
    assert all(client.get(url).status_code == 404 for url in urls)


def test_staff_revoke_in_the_admin_and_the_principal_sees_why(client, pair):
    child, parent = pair
    delegation = active(child, parent, ["certify"])
    admin_login(client, StaffFactory())
    listing = client.get("/admin/accounts/delegation/").content.decode()
    assert f"/admin/accounts/delegation/{delegation.pk}/revoke/" in listing
    empty = client.post(f"/admin/accounts/delegation/{delegation.pk}/revoke/", {"reason": ""})
    assert 'data-code="revoke_reason_required"' in empty.content.decode()
    assert Delegation.objects.get().status == "active"
    done = client.post(f"/admin/accounts/delegation/{delegation.pk}/revoke/", {"reason": "证件存疑"})
    assert done.status_code == 302
    assert Delegation.objects.get().revoke_reason == "证件存疑"
    client.logout()
    home = signed_in(client, parent).get("/family-service/").content.decode()
    assert 'data-code="revoked_by_staff"' in home and "证件存疑" in home


def test_staff_of_another_region_do_not_find_the_revoke_page(client, pair):
    child, parent = pair
    delegation = active(child, parent, ["certify"])
    admin_login(client, StaffFactory(region=RegionFactory(code="310100", name="上海市")))
    assert client.get(f"/admin/accounts/delegation/{delegation.pk}/revoke/").status_code == 404
    assert (
        client.post(f"/admin/accounts/delegation/{delegation.pk}/revoke/", {"reason": "x"}).status_code == 404
    )
    assert Delegation.objects.get().status == "active"

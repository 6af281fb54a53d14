"""The admin walk (portal/tests/admin_walk.py): every admin URL, filled with another region's
objects, as an OTP-verified bureau officer of region A and as the same officer without the code."""

import pytest
from django.contrib import admin
from django.test import Client, override_settings

from accounts.models import Message
from accounts.tests.factories import PersonFactory, StaffFactory
from accounts.tests.test_admin import admin_login
from portal.tests.admin_walk import (
    RegionB,
    Walk,
    admin_requests,
    build_region_b,
    snapshot,
    walk_as_officer,
    walk_unverified,
)

pytestmark = pytest.mark.django_db


def run_walk(region_b: RegionB) -> Walk:
    officer = StaffFactory()  # region 110100
    own = PersonFactory(region=officer.region, name="李甲乙")
    verified, unverified = Client(), Client()
    assert admin_login(verified, officer).status_code == 302
    unverified.force_login(officer)
    # the officer's session works: their own region's person is listed (the walk is not vacuous)
    assert (
        f"/admin/accounts/person/{own.pk}/change/" in verified.get("/admin/accounts/person/").content.decode()
    )
    requests = admin_requests(region_b)
    before = snapshot(region_b)
    walk = Walk()
    walk_as_officer(verified, requests, region_b, walk)
    walk_unverified(unverified, requests, region_b, walk)
    changed = {
        key: (value, after) for key, value in before.items() if (after := snapshot(region_b)[key]) != value
    }
    walk.problems += [f"changed: {key} {values}" for key, values in changed.items()]
    return walk


def test_no_admin_page_shows_or_changes_another_regions_records():
    region_b = build_region_b()
    walk = run_walk(region_b)
    print(f"admin walk: {walk.pairs} URL x role pairs checked")
    assert walk.problems == [], "\n".join(walk.problems)
    assert walk.pairs >= 2 * 200  # two roles; every registered admin's changelist, add, change, ...


def test_the_walk_fails_for_an_admin_page_registered_without_the_region_rule():
    # given an admin registered the plain way for a model with a person in it
    region_b = build_region_b()
    parent = next(obj for obj in region_b.objects.values() if obj._meta.label == "accounts.Person")
    region_b.objects[Message] = Message.objects.create(person=parent, subject="提醒", body="…")
    admin.site.register(Message, admin.ModelAdmin)
    try:
        with override_settings(ROOT_URLCONF="portal.tests.admin_walk_urls"):
            walk = run_walk(region_b)
    finally:
        admin.site.unregister(Message)
    # then the walk reports its pages
    assert any("/admin/accounts/message/" in problem for problem in walk.problems), walk.problems
    assert any(f"/{region_b.objects[Message].pk}/change/" in problem for problem in walk.problems)


def test_a_url_pattern_the_walk_cannot_fill_fails_it_by_name():
    region_b = build_region_b()
    parent = next(obj for obj in region_b.objects.values() if obj._meta.label == "accounts.Person")
    region_b.objects[Message] = Message.objects.create(person=parent, subject="提醒", body="…")

    class WithAnUnknownParameter(admin.ModelAdmin):
        def get_urls(self):
            from django.urls import path

            return [path("<int:widget_id>/print/", self.admin_site.admin_view(lambda r, widget_id: None))]

    admin.site.register(Message, WithAnUnknownParameter)
    try:
        with pytest.raises(
            AssertionError, match=r"cannot fill widget_id in /admin/accounts/message/<int:widget_id>/print/"
        ):
            admin_requests(region_b)
    finally:
        admin.site.unregister(Message)

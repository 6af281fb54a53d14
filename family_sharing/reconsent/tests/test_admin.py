"""The bureau sees the re-consent state of bindings in the admin, read-only: a list column, a filter,
and the request on the binding's page."""

import datetime as dt

import pytest

from accounts.tests.factories import StaffFactory
from family_sharing.reconsent.services import binding_reconsent
from family_sharing.reconsent.tests.conftest import BIRTHDAY_16
from family_sharing.tests.test_admin import admin_login

pytestmark = pytest.mark.django_db

DAY = dt.timedelta(days=1)


@pytest.fixture
def officer(client, family):
    staff = StaffFactory(region=family["son"].person.region)
    admin_login(client, staff)
    return staff


def test_the_binding_list_shows_and_filters_the_re_consent_state(
    client, officer, family, run_on, guardian_binding
):
    # given the father's binding held for want of an answer, and the mother's confirmed
    mothers = guardian_binding(family["mother"], family["son"].person)
    run_on(BIRTHDAY_16)
    binding_reconsent(actor=family["son"], binding=mothers, accept=True)
    run_on(BIRTHDAY_16 + 30 * DAY)
    # when the officer lists bindings
    listing = client.get("/admin/family_sharing/binding/").content.decode()
    held = client.get("/admin/family_sharing/binding/?reconsent=held").content.decode()
    confirmed = client.get("/admin/family_sharing/binding/?reconsent=confirmed").content.decode()
    # then the column says each state, and the filter picks one
    assert "年满16周岁本人确认" in listing
    assert "逾期未确认，已暂停" in listing and "本人已确认" in listing
    assert f"/admin/family_sharing/binding/{family['binding'].pk}/change/" in held
    assert f"/admin/family_sharing/binding/{mothers.pk}/change/" not in held
    assert f"/admin/family_sharing/binding/{mothers.pk}/change/" in confirmed


def test_the_request_is_shown_read_only_on_the_binding_page(client, officer, family, run_on):
    run_on(BIRTHDAY_16)
    page = client.get(f"/admin/family_sharing/binding/{family['binding'].pk}/change/").content.decode()
    last_day = BIRTHDAY_16 + 29 * DAY
    assert "最晚确认日期" in page and f"{last_day.year}年{last_day.month}月{last_day.day}日" in page
    assert 'name="reconsent-0-answer"' not in page and 'name="reconsent-0-due_on"' not in page

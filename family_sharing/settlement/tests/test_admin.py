"""Bureau staff read settlements, reversals and the ledger in the admin: read-only, found by a whole
card number posted to the list's look-up form, shown masked, their own pooling region only."""

import pytest

from accounts.models import PersonalAccount
from accounts.tests.factories import ProvinceFactory, RegionFactory, StaffFactory
from family_sharing.settlement.selectors import settlement_get
from family_sharing.settlement.services import settlement_create, settlement_reverse
from family_sharing.tests.test_admin import admin_login

pytestmark = pytest.mark.django_db


def settle(staff, son, father, key="adm"):
    return settlement_create(
        actor=staff,
        sharer_card_number=son.card_number,
        beneficiary_card_number=father.card_number,
        category="medical_self_pay",
        amount_fen=4_200,
        description="",
        idempotency_key=key,
    )


def test_bureau_staff_find_a_settlement_by_card_and_see_it_masked(client, family, hospital_staff):
    son, father, _ = family
    result = settle(hospital_staff, son, father)
    settlement_reverse(
        actor=hospital_staff,
        settlement=settlement_get(viewer=hospital_staff, settlement_id=result.id),
        reason="退费",
    )
    staff = StaffFactory(role="bureau")
    admin_login(client, staff)
    found = client.post("/admin/family_sharing/settlement/lookup/", {"number": father.card_number.lower()})
    assert found["Location"] == f"/admin/family_sharing/settlement/?person={father.pk}"  # no number
    page = client.get(found["Location"]).content.decode()
    assert father.card_number_masked in page and son.card_number_masked in page
    assert father.card_number not in page and son.card_number not in page
    assert "4200" in page
    assert "已冲正" in page or "icon-yes" in page
    assert (
        "4200" not in client.get("/admin/family_sharing/settlement/", {"q": son.card_number}).content.decode()
    )
    reversals = client.get("/admin/family_sharing/reversal/").content.decode()
    assert "退费" in reversals
    found = client.post("/admin/accounts/accountentry/lookup/", {"number": son.card_number})
    ledger = client.get(found["Location"]).content.decode()
    assert "-4200" in ledger and son.card_number_masked in ledger


def test_staff_of_another_region_see_none_of_it(client, family, hospital_staff):
    son, father, _ = family
    settle(hospital_staff, son, father)
    elsewhere = RegionFactory(
        code="310100", name="上海市", province=ProvinceFactory(code="310000", name="上海市")
    )
    admin_login(client, StaffFactory(role="bureau", region=elsewhere))
    page = client.get("/admin/family_sharing/settlement/").content.decode()
    assert "4200" not in page


def test_the_ledger_and_settlements_are_read_only_but_the_monthly_credit_can_be_set(
    client, family, hospital_staff
):
    son, father, _ = family
    result = settle(hospital_staff, son, father)
    admin_login(client, StaffFactory(role="bureau"))
    assert client.get(f"/admin/family_sharing/settlement/{result.id}/delete/").status_code == 403
    account = PersonalAccount.objects.get(person=son)
    response = client.post(
        f"/admin/accounts/personalaccount/{account.pk}/change/", {"monthly_credit_fen": "25000"}
    )
    assert response.status_code == 302
    account.refresh_from_db()
    assert (account.monthly_credit_fen, account.balance_fen) == (25_000, 100_000 - 4_200)

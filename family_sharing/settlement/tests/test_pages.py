"""The counter's settlement pages and the resident's /account/ page, through Django's test client."""

import re

import pytest
from django.test import Client

from accounts.models import AccountEntry, PersonalAccount, PersonViewLog
from accounts.tests.factories import InstitutionFactory, ResidentFactory, StaffFactory
from family_sharing.settlement.models import Reversal, Settlement
from family_sharing.settlement.services import settlement_create, settlement_reverse
from family_sharing.tests.test_pages import signed_in, untranslated_chinese

pytestmark = pytest.mark.django_db


def settle_steps(client, father, binding, amount="123.45", description="门诊"):
    """The look-up posts the card and lands on the patient's page (opaque URL); the review posts
    there. Returns (the patient's page, the review page); `.holder_url` is the page's URL."""
    found = client.post("/counter/settle/", {"card": father.card_number.lower()})
    assert found.status_code == 302
    assert found["Location"].startswith("/counter/settle/") and father.card_number not in found["Location"]
    lookup = client.get(found["Location"])
    review = client.post(
        found["Location"],
        {
            "step": "review",
            "binding": str(binding.pk),
            "amount": amount,
            "description": description,
        },
    )
    lookup.holder_url = review.holder_url = found["Location"]
    return lookup, review


def hidden(html, name):
    return re.search(rf'name="{name}" value="([^"]*)"', html).group(1)


def test_counter_settles_after_a_confirmation_showing_the_balance_after(client, family, hospital_staff):
    # given the hospital office and a father whose son pays for him
    son, father, binding = family
    signed_in(client, hospital_staff)
    # when staff look the father's card up
    lookup, review = settle_steps(client, father, binding)
    # then they see him masked, his status and the sharer who may pay; the look-up is recorded
    page = lookup.content.decode()
    assert father.name_masked in page and father.name not in page
    assert son.card_number_masked in page and son.card_number not in page
    assert PersonViewLog.objects.filter(person=father, surface="counter").exists()
    assert re.search(
        r'<select[^>]*id="id_binding"[^>]*autofocus|<select[^>]*autofocus[^>]*id="id_binding"', page
    )
    # and the confirmation shows the balance after, with nothing settled yet
    confirm = review.content.decode()
    assert "请核对后确认" in confirm
    assert re.search(r'data-testid="balance-after">876.55<', confirm)
    assert not Settlement.objects.exists()
    # when they confirm (twice: a double press)
    data = {
        "step": "confirm",
        "binding": str(binding.pk),
        "amount": hidden(confirm, "amount"),
        "description": "门诊",
        "key": hidden(confirm, "key"),
    }
    first = client.post(lookup.holder_url, data)
    second = client.post(lookup.holder_url, data)
    # then it is settled once and the receipt opens
    settlement = Settlement.objects.get()
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"] == f"/counter/settlements/{settlement.pk}/"
    assert PersonalAccount.objects.get(person=son).balance_fen == 87_655
    receipt = client.get(first["Location"]).content.decode()
    assert str(settlement.pk) in receipt
    assert hospital_staff.institution.name in receipt
    assert "123.45" in receipt and "876.55" in receipt
    assert father.name not in receipt and son.name not in receipt
    assert "data-print" in receipt and "js/print-button" in receipt


def test_a_refusal_is_shown_beside_the_amount_before_confirmation(client, family, hospital_staff):
    son, father, binding = family
    signed_in(client, hospital_staff)
    _, review = settle_steps(client, father, binding, amount="1000.01")
    page = review.content.decode()
    assert 'data-code="insufficient_balance"' in page
    assert "请核对后确认" not in page


def test_an_unknown_card_is_said_so(client, family, hospital_staff):
    signed_in(client, hospital_staff)
    response = client.post("/counter/settle/", {"card": "Z99999999"})
    assert response.status_code == 404
    assert 'data-code="card_not_found"' in response.content.decode()


def test_a_patient_without_an_active_binding_has_nobody_to_pay(client, family, hospital_staff):
    son, father, binding = family
    binding.status = "revoked"
    binding.save()
    signed_in(client, hospital_staff)
    page = client.post("/counter/settle/", {"card": father.card_number}, follow=True).content.decode()
    assert 'data-code="binding_not_active"' in page
    assert "id_binding" not in page


def test_the_counter_reverses_with_a_reason_once(client, family, hospital_staff):
    son, father, binding = family
    result = settlement_create(
        actor=hospital_staff,
        sharer_card_number=son.card_number,
        beneficiary_card_number=father.card_number,
        category="medical_self_pay",
        amount_fen=5_000,
        description="",
        idempotency_key="page-1",
    )
    signed_in(client, hospital_staff)
    url = f"/counter/settlements/{result.id}/reverse/"
    form = client.get(url).content.decode()
    assert re.search(r'<input[^>]*id="id_reason"[^>]*autofocus|<input[^>]*autofocus[^>]*id="id_reason"', form)
    empty = client.post(url, {"reason": ""})
    assert 'data-code="field_required"' in empty.content.decode()
    done = client.post(url, {"reason": "患者退费"})
    assert done.status_code == 302
    assert Reversal.objects.get().reason == "患者退费"
    assert client.post(url, {"reason": "再来一次"}).status_code == 302  # back to the receipt
    assert Reversal.objects.count() == 1
    assert PersonalAccount.objects.get(person=son).balance_fen == 100_000
    assert "已冲正" in client.get(f"/counter/settlements/{result.id}/").content.decode()


def test_staff_of_another_institution_never_see_a_settlement(client, family, hospital_staff):
    son, father, _ = family
    result = settlement_create(
        actor=hospital_staff,
        sharer_card_number=son.card_number,
        beneficiary_card_number=father.card_number,
        category="medical_self_pay",
        amount_fen=5_000,
        description="",
        idempotency_key="page-2",
    )
    other = StaffFactory(role="hospital", institution=InstitutionFactory(), region=None, is_staff=False)
    signed_in(client, other)
    assert client.get(f"/counter/settlements/{result.id}/").status_code == 404
    assert client.post(f"/counter/settlements/{result.id}/reverse/", {"reason": "x"}).status_code == 404
    assert str(result.id) not in client.get("/counter/settlements/").content.decode()
    assert not Reversal.objects.exists()


def test_counter_home_links_to_settlement(client, hospital_staff):
    page = signed_in(client, hospital_staff).get("/counter/").content.decode()
    assert 'href="/counter/settle/"' in page


# --- the resident's /account/ ----------------------------------------------------------------


@pytest.fixture
def paid(family, hospital_staff):
    son, father, _ = family
    settlement_create(
        actor=hospital_staff,
        sharer_card_number=son.card_number,
        beneficiary_card_number=father.card_number,
        category="medical_self_pay",
        amount_fen=12_345,
        description="住院：肺炎",
        idempotency_key="acct-1",
    )
    return ResidentFactory(person=son)


def test_the_account_page_shows_every_entry_and_for_whom_and_where(client, paid, hospital):
    page = signed_in(client, paid).get("/account/").content.decode()
    assert "876.55" in page
    assert "-123.45" in page and "+1,000.00" in page
    assert "为 赵**" in page and f"在 {hospital.name}" in page
    assert "肺炎" not in page  # the diagnosis stays at the hospital
    assert page.index("-123.45") < page.index("+1,000.00")  # newest first


def test_the_account_page_filters_by_month(client, paid):
    AccountEntry.objects.filter(kind="credit").update(created_at="2026-01-15T10:00:00+08:00")
    client = signed_in(client, paid)
    january = client.get("/account/", {"month": "2026-01"}).content.decode()
    assert "+1,000.00" in january and "-123.45" not in january
    for month in ("2026-1", "0000-01"):  # year 0 is no date: once a server error
        bad = client.get("/account/", {"month": month})
        assert bad.status_code == 200 and 'data-code="month_format"' in bad.content.decode()
    last = client.get("/account/", {"month": "9999-12"})  # no following month: once a server error
    assert last.status_code == 200 and "+1,000.00" not in last.content.decode()
    assert signed_in(Client(), paid).get("/account/export.csv", {"month": "9999-12"}).status_code == 200


def test_the_resident_exports_their_own_entries_as_csv(client, paid, family):
    response = signed_in(client, paid).get("/account/export.csv")
    text = response.content.decode("utf-8-sig")
    assert response["Content-Type"].startswith("text/csv")
    lines = text.strip().splitlines()
    assert lines[0].startswith("时间,类型,金额（元）")
    assert len(lines) == 3
    assert "-123.45" in lines[1] and "赵**" in lines[1]


def test_the_account_api_lists_entries_newest_first(api, paid, hospital):
    api.force_authenticate(paid)
    data = api.get("/api/v1/account/").json()
    assert data["balance_fen"] == 87_655
    assert [e["kind"] for e in data["entries"]] == ["family_settlement", "credit"]
    first = data["entries"][0]
    assert first["amount_fen"] == -12_345 and first["balance_after_fen"] == 87_655
    assert first["beneficiary_name_masked"] == "赵**" and first["institution_name"] == hospital.name
    assert data["entries"][1]["beneficiary_name_masked"] is None
    assert set(first) == {
        "id",
        "kind",
        "amount_fen",
        "balance_after_fen",
        "beneficiary_name_masked",
        "institution_name",
        "created_at",
    }


def test_the_account_api_filters_by_month_and_pages_by_100(api, paid):
    account = PersonalAccount.objects.get(person=paid.person)
    AccountEntry.objects.bulk_create(
        AccountEntry(account=account, kind="credit", amount_fen=1, balance_after_fen=1) for _ in range(150)
    )
    api.force_authenticate(paid)
    first = api.get("/api/v1/account/").json()
    assert first["count"] == 152 and len(first["entries"]) == 100 and first["next"]
    assert len(api.get("/api/v1/account/", {"page": 2}).json()["entries"]) == 52
    assert api.get("/api/v1/account/", {"month": "1999-01"}).json()["entries"] == []
    bad = api.get("/api/v1/account/", {"month": "January"})
    assert bad.status_code == 400 and bad.json()["error"] == "month_format"


def test_another_residents_entries_are_never_shown(client, paid):
    stranger = ResidentFactory()
    page = signed_in(Client(), stranger).get("/account/").content.decode()
    assert "123.45" not in page


def test_every_settlement_reason_has_its_translatable_text():
    from family_sharing.settlement.errors import SettlementError
    from family_sharing.settlement.forms import REASON_MSGIDS

    assert {code: text for code, text in REASON_MSGIDS.items()} == {e: e.message for e in SettlementError}


def test_the_beneficiary_sees_what_a_relative_paid_for_them_but_not_the_relatives_balance(
    client, paid, family, hospital_staff
):
    # given: the father (resident insurance, no personal account of his own) signs in
    son, father, _ = family
    settlement = Settlement.objects.get()
    father_user = ResidentFactory(person=father)
    page = signed_in(client, father_user).get("/account/").content.decode()

    # then: the payment, who paid (masked) and where; never the son's balance or the diagnosis
    assert "亲属为您共济支付的" in page
    assert "123.45" in page and f"由 {son.name_masked} 的个人账户支付" in page
    assert "北京市第一人民医院" in page
    assert "876.55" not in page and "肺炎" not in page

    # and a reversal shows as money returned to the relative
    from family_sharing.settlement.services import settlement_reverse

    settlement_reverse(actor=hospital_staff, settlement=settlement, reason="重复收费")
    page = signed_in(Client(), father_user).get("/account/").content.decode()
    assert "冲正退回" in page


def test_payments_for_someone_else_are_not_shown_to_the_beneficiary(client, paid):
    stranger = ResidentFactory()
    page = signed_in(client, stranger).get("/account/").content.decode()
    assert "亲属为您共济支付的" not in page


def test_the_account_api_lists_what_relatives_paid_for_the_caller(api, paid, family, hospital):
    # given
    son, father, _ = family
    api.force_authenticate(ResidentFactory(person=father))

    # when
    data = api.get("/api/v1/account/").json()

    # then: no account of his own, one payment by his son (masked), no balance of the son's
    assert data["balance_fen"] is None and data["entries"] == []
    assert [
        (r["kind"], r["amount_fen"], r["sharer_name_masked"], r["institution_name"]) for r in data["received"]
    ] == [("family_settlement", 12_345, son.name_masked, hospital.name)]
    assert "balance_after_fen" not in data["received"][0]


def test_the_account_page_is_in_english_too(client, paid, hospital, hospital_staff):
    # given a resident whose account paid for his father, and one payment reversed
    settlement = Settlement.objects.get()
    settlement_reverse(actor=hospital_staff, settlement=settlement, reason="患者退费")
    signed_in(client, paid)
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})

    # when he opens his personal account
    page = client.get("/account/").content.decode()

    # then every entry says in English what it was, for whom and where
    assert "Personal account statement" in page and "3 entries" in page
    assert "Monthly credit" in page and "Family sharing payment" in page and "Reversal refund" in page
    assert "For 赵**" in page and f"At {hospital.name}" in page
    # and the lines the portal described itself (stored in Chinese) read in English too
    assert "Own share of medical costs at a designated medical institution" in page
    assert "Reversal: Own share of medical costs at a designated medical institution" in page
    assert untranslated_chinese(page, data=(hospital.name,)) == []

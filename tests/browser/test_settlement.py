"""Family settlement in the browser. Hospital staff settle a father's cost from his son's account with
the keyboard only — swipe (type) the patient's card, choose the sharer, type the amount, confirm,
print the receipt, reverse — and the son reads the payment on /account/ with the month filter.

Screenshots at a desktop width land in $SCREENSHOT_DIR (default /tmp)."""

import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from accounts.models import AccountEntry, PersonalAccount
from accounts.tests.factories import (
    AccountFactory,
    InstitutionFactory,
    PersonFactory,
    ResidentFactory,
    StaffFactory,
)
from family_sharing.settlement.models import Reversal, Settlement
from family_sharing.settlement.services import settlement_create
from family_sharing.tests.factories import BindingFactory
from tests.browser.test_counter_bind import SHOTS, desk, focused, sign_in_by_keyboard  # noqa: F401
from tests.browser.test_family_binding import sign_in
from tests.browser.test_resident_pages import CONTRAST_JS, fits_the_phone

pytestmark = pytest.mark.browser


@pytest.fixture
def family(relation_codes: None):
    son = PersonFactory(name="赵志刚")
    AccountFactory(person=son, balance_fen=100_000)
    father = PersonFactory(name="赵文华", insurance_type="resident")
    binding = BindingFactory(sharer=son, beneficiary=father, relation_code_id="51", status="active")
    return son, father, binding


def test_counter_settles_prints_and_reverses_with_the_keyboard_only(desk: Page, family):  # noqa: F811
    son, father, _ = family
    staff = StaffFactory(role="hospital", institution=InstitutionFactory(name="北京协和医院"), is_staff=False)
    page = desk
    sign_in_by_keyboard(page, staff)

    # when staff Tab from 刷卡绑定 to 家庭共济支付 on the counter home and press Enter
    page.wait_for_function("document.activeElement && document.activeElement.classList.contains('button')")
    assert focused(page).startswith("刷卡绑定家庭共济")
    page.keyboard.press("Tab")
    assert focused(page).startswith("家庭共济支付")
    page.keyboard.press("Enter")
    page.wait_for_url("**/counter/settle/")
    # then the patient's card field has focus
    assert focused(page) == "id_card"
    # and the card is swiped (typed + Enter)
    page.keyboard.type(father.card_number.lower())
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r".*/counter/settle/[^/?]+/$"))
    # on a page whose URL names no card (the look-up was a POST; issue 15)
    assert father.card_number not in page.url.upper() and "card=" not in page.url

    # then the patient is shown masked with his status and the son who may pay; the sharer is focused
    expect(page.get_by_test_id("holder-name")).to_have_text("赵**")
    expect(page.get_by_test_id("sharers")).to_contain_text("父亲")
    assert focused(page) == "id_binding"
    assert son.card_number not in page.content()

    # when Enter moves to the amount, the amount and Enter, a description and Enter
    page.keyboard.press("Enter")
    assert focused(page) == "id_amount"
    page.keyboard.type("123.45")
    page.keyboard.press("Enter")
    assert focused(page) == "id_description"
    page.keyboard.type("门诊自付")
    page.keyboard.press("Enter")

    # then the confirmation shows the son's balance after, with 确认支付 focused; nothing paid yet
    expect(page.get_by_test_id("balance-after")).to_have_text("876.55")
    assert focused(page).startswith("确认支付")
    assert not Settlement.objects.exists()
    page.screenshot(path=SHOTS / "counter-settle-confirm.png", full_page=True)
    assert page.evaluate(CONTRAST_JS) == []

    # when Enter confirms
    page.keyboard.press("Enter")
    page.wait_for_url("**/counter/settlements/*/")

    # then the receipt shows the number, institution and amount; 打印凭证 is focused
    settlement = Settlement.objects.get()
    expect(page.get_by_test_id("settlement-number")).to_have_text(str(settlement.pk))
    expect(page.get_by_test_id("receipt-amount")).to_have_text("123.45")
    expect(page.locator(".receipt")).to_contain_text("北京协和医院")
    assert focused(page).startswith("打印凭证")
    assert PersonalAccount.objects.get(person=son).balance_fen == 87_655

    # when staff Tab to 冲正 and press Enter, type the reason and Enter
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    assert focused(page).startswith("冲正")
    page.keyboard.press("Enter")
    page.wait_for_url("**/reverse/")
    assert focused(page) == "id_reason"
    page.keyboard.type("患者退费")
    page.keyboard.press("Enter")

    # then the receipt says 已冲正 and the money is back, once
    page.wait_for_url(f"**/counter/settlements/{settlement.pk}/")
    expect(page.get_by_test_id("reversed")).to_be_visible()
    assert Reversal.objects.get().reason == "患者退费"
    assert PersonalAccount.objects.get(person=son).balance_fen == 100_000
    # and the printed receipt is the receipt alone (print CSS hides navigation and buttons)
    page.emulate_media(media="print")
    assert page.locator(".site-header").is_hidden()
    assert page.locator(".no-print").is_hidden()
    page.screenshot(path=SHOTS / "counter-receipt-print.png", full_page=True)


def hospital_settles_for_father(family: Any, *, description: str = "") -> Any:
    """A hospital's counter staff member, who has just paid 86.50 of the father's cost from the
    son's account."""
    son, father, _ = family
    staff = StaffFactory(role="hospital", institution=InstitutionFactory(name="北京协和医院"), is_staff=False)
    settlement_create(
        actor=staff,
        sharer_card_number=son.card_number,
        beneficiary_card_number=father.card_number,
        category="medical_self_pay",
        amount_fen=8_650,
        description=description,
        idempotency_key="browser-1",
    )
    return staff


def test_the_son_sees_the_family_payment_and_filters_by_month(page: Page, family):
    son, father, _ = family
    hospital_settles_for_father(family, description="住院：肺炎")
    AccountEntry.objects.filter(kind="credit").update(created_at="2026-01-15T10:00:00+08:00")
    user = ResidentFactory(person=son)

    # when he signs in and opens 个人账户 from the navigation
    sign_in(page, user, next_url="/me/")
    page.get_by_role("navigation").get_by_role("link", name="个人账户", exact=True).click()
    page.wait_for_url("**/account/")

    # then he sees the balance and the payment for his father at the hospital, never the diagnosis
    expect(page.get_by_test_id("balance")).to_have_text("913.50")
    first = page.locator(".entry").first
    expect(first).to_contain_text("共济支付")
    expect(first).to_contain_text("-86.50")
    expect(first).to_contain_text("为 赵**")
    expect(first).to_contain_text("在 北京协和医院")
    assert "肺炎" not in page.content()
    assert fits_the_phone(page)
    assert page.evaluate(CONTRAST_JS) == []
    page.screenshot(path=SHOTS / "account.png", full_page=True)

    # when he picks January 2026 and presses 查看
    page.get_by_label("按月份查看").fill("2026-01")
    page.get_by_role("button", name="查看").click()
    page.wait_for_url("**/account/?month=2026-01")

    # then only the opening credit of January is listed
    expect(page.locator(".entry")).to_have_count(1)
    expect(page.locator(".entry").first).to_contain_text("划入")

"""Hospital medical-insurance office staff bind a family at the counter with the keyboard only: sign in,
open 刷卡绑定家庭共济, swipe (type) both cards and the relation code pressing Enter, read the result
panel, and go on to the next customer. No clicks anywhere.

Screenshots at a desktop width land in $SCREENSHOT_DIR (default /tmp) for a person to look at."""

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from accounts.tests.factories import InstitutionFactory, StaffFactory
from family_sharing.models import Binding, BindingStatus
from family_sharing.tests.factories import parent_edge, person, sharer
from family_sharing.verification import bindings_verify
from tests.browser.test_resident_pages import CONTRAST_JS, SMALL_TARGETS_JS

pytestmark = pytest.mark.browser

DESK = {"width": 1280, "height": 800}
SHOTS = Path(os.environ.get("SCREENSHOT_DIR", "/tmp"))  # noqa: S108


@pytest.fixture
def desk(browser: Browser, live_server: Any, transactional_db: None) -> Iterator[Page]:
    """A desktop-sized browser at the hospital's medical-insurance office."""
    context = browser.new_context(
        base_url=live_server.url, viewport=DESK, locale="zh-CN", timezone_id="Asia/Shanghai"
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


def focused(page: Page) -> str:
    return page.evaluate("() => document.activeElement.id || document.activeElement.textContent.trim()")


def sign_in_by_keyboard(page: Page, staff: Any) -> None:
    page.goto("/counter/login/")
    # (Chromium applies autofocus at a rendering update that may come after the load event: wait for it)
    expect(page.locator("#id_username")).to_be_focused()
    page.keyboard.type(staff.username)
    page.keyboard.press("Tab")
    page.keyboard.type("Staff-Password-42")
    page.keyboard.press("Tab")
    page.keyboard.type("123456")
    page.keyboard.press("Enter")
    page.wait_for_url("**/counter/")


def test_counter_staff_bind_a_family_with_the_keyboard_only(desk, reference, monkeypatch):
    # given the verification worker has not run yet (tests run Celery inline, so it is held back)
    monkeypatch.setattr("family_sharing.services._enqueue_verification", lambda: None)
    # and hospital staff, a son with a personal account present with his card, and his father's card
    staff = StaffFactory(role="hospital", institution=InstitutionFactory(name="北京协和医院"), is_staff=False)
    son = sharer(name="赵志刚")
    father = person(1948, name="赵文华")
    parent_edge(father, son)
    page = desk

    # when staff sign in by keyboard, the counter home has focus on 刷卡绑定家庭共济; Enter opens it
    sign_in_by_keyboard(page, staff)
    # (Chromium applies autofocus at a rendering update that may come after the load event: wait for it)
    expect(page.get_by_role("link", name=re.compile("^刷卡绑定家庭共济"))).to_be_focused()
    page.screenshot(path=SHOTS / "counter-home.png", full_page=True)
    page.keyboard.press("Enter")
    page.wait_for_url("**/counter/bind/")

    # then the sharer's card field has focus
    assert focused(page) == "id_sharer_card_number"
    page.screenshot(path=SHOTS / "counter-bind.png", full_page=True)

    # when the sharer's card is swiped (typed and Enter), then the beneficiary's card, then the code
    page.keyboard.type(son.card_number.lower())
    page.keyboard.press("Enter")
    assert focused(page) == "id_beneficiary_card_number"
    page.keyboard.type(father.card_number)
    page.keyboard.press("Enter")
    assert focused(page) == "id_relation_code"
    page.keyboard.type("51")
    assert page.locator("#id_relation_code").input_value() == "51"
    page.screenshot(path=SHOTS / "counter-bind-filled.png", full_page=True)
    page.keyboard.press("Enter")

    # then the result panel has focus and shows masked names, the relation, 等待核验 and the id
    page.wait_for_url("**/counter/bind/done/")
    binding = Binding.objects.get()
    assert binding.channel == "hospital"
    assert focused(page) == "result-title"
    panel = page.locator(".panel--result")
    expect(page.get_by_role("heading", name="已受理，等待核验")).to_be_visible()
    expect(panel).to_contain_text("等待核验亲属关系")
    assert binding.status == BindingStatus.PENDING_VERIFICATION
    expect(panel).to_contain_text("赵**")
    expect(panel).to_contain_text("51 父亲")
    expect(panel).to_contain_text(str(binding.pk))
    assert son.card_number not in page.content()
    page.screenshot(path=SHOTS / "counter-done.png", full_page=True)
    assert page.evaluate(CONTRAST_JS) == []
    assert page.evaluate(SMALL_TARGETS_JS) == []

    # when the verification pass has run and the panel is opened again
    bindings_verify()
    page.reload()

    # then it says the binding is in effect
    expect(page.get_by_role("heading", name="已受理，核验通过，已生效")).to_be_visible()
    expect(panel).to_contain_text("已生效")
    assert focused(page) == "result-title"
    page.screenshot(path=SHOTS / "counter-done-active.png", full_page=True)

    # when staff press Tab and Enter on 继续办理
    page.keyboard.press("Tab")
    assert focused(page).startswith("继续办理")
    page.keyboard.press("Enter")

    # then an empty form is ready for the next customer, the sharer's card field focused
    page.wait_for_url("**/counter/bind/")
    assert focused(page) == "id_sharer_card_number"
    assert page.locator("#id_sharer_card_number").input_value() == ""
    binding.refresh_from_db()
    assert binding.status == BindingStatus.ACTIVE


def test_counter_refusal_moves_focus_to_the_field_in_error(desk, reference):
    # given hospital staff and a son with a personal account
    staff = StaffFactory(role="hospital", institution=InstitutionFactory(), is_staff=False)
    son = sharer()
    page = desk
    sign_in_by_keyboard(page, staff)
    page.goto("/counter/bind/")

    # when the beneficiary's card is one nobody holds
    page.keyboard.type(son.card_number)
    page.keyboard.press("Enter")
    page.keyboard.type("Z99999999")
    page.keyboard.press("Enter")
    page.keyboard.type("51")
    page.keyboard.press("Enter")

    # then the reason is beside that card with its code, and focus is on it to type it again
    page.wait_for_selector(".error-summary")
    expect(page.locator("#id_beneficiary_card_number_error [data-code]")).to_have_attribute(
        "data-code", "beneficiary_not_found"
    )
    assert focused(page) == "id_beneficiary_card_number"
    assert page.locator("#id_sharer_card_number").input_value() == son.card_number
    page.screenshot(path=SHOTS / "counter-refused.png", full_page=True)
    assert page.evaluate(CONTRAST_JS) == []
    assert not Binding.objects.exists()

"""Re-consent at 16 in a real browser on a phone: the son, whose father bound him as guardian, turns
16 today; the daily pass asks him; he signs in, follows the prompt on 家庭共济, reads the question
and agrees. axe-core (WCAG 2.1 A and AA) finds nothing on the question page, in normal and large
text and in English, and it does not scroll sideways at 320 CSS pixels.

Screenshots land in $SCREENSHOT_DIR (default /tmp) for a person to look at."""

from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from accounts.tests.factories import PersonFactory, ResidentFactory
from family_sharing.models import Binding
from family_sharing.reconsent.models import ReconsentRequest
from family_sharing.reconsent.run import reconsent_run
from family_sharing.tests.factories import BindingFactory, sharer
from portal.core.time import add_months, today
from tests.browser.test_accessibility import violations
from tests.browser.test_family_binding import looks_right, sign_in
from tests.browser.test_resident_pages import fits_the_phone

pytestmark = pytest.mark.browser


@pytest.fixture
def asked(relation_codes: None) -> tuple[Any, Binding]:
    """A son who turns 16 today, his father's binding (consented to as guardian), and the pass run."""
    son = ResidentFactory(
        person=PersonFactory(name="刘小明", birth=add_months(today(), -12 * 16), insurance_type="resident")
    )
    binding = BindingFactory(
        sharer=sharer(name="刘建华"), beneficiary=son.person, relation_code_id="20", guardian_consent=True
    )
    assert reconsent_run().asked == 1
    return son, binding


def test_the_son_confirms_the_binding_his_father_made_for_him(page: Page, asked: tuple[Any, Binding]):
    son, binding = asked
    # when he signs in and opens 家庭共济
    sign_in(page, son, next_url="/family/")
    expect(page.get_by_role("heading", name="需要您本人确认")).to_be_visible()
    looks_right(page, "reconsent-prompt.png")

    # and follows the prompt to the question
    page.get_by_role("link", name="确认与刘**的家庭共济").click()
    page.wait_for_url(f"**/family/{binding.pk}/reconsent/")
    expect(page.get_by_role("heading", name="确认是否继续接受家庭共济", level=1)).to_be_visible()
    expect(page.get_by_text("TA能在自己的账户明细中看到每一笔为您支付的金额")).to_be_visible()
    looks_right(page, "reconsent-question.png")

    # and agrees
    page.get_by_role("button", name="同意继续共济").click()
    page.wait_for_url("**/family/")

    # then he is told, the prompt is gone, and the binding stays in effect with his answer recorded
    expect(page.get_by_text("您已同意继续接受家庭共济。")).to_be_visible()
    expect(page.get_by_role("heading", name="需要您本人确认")).to_have_count(0)
    binding.refresh_from_db()
    assert binding.status == "active"
    assert ReconsentRequest.objects.get(binding=binding).answer == "confirmed"


@pytest.fixture(scope="module")
def axe() -> Axe:
    return Axe()


@pytest.mark.parametrize(("large_text", "english"), [(False, False), (True, False), (False, True)])
def test_the_question_page_meets_wcag_aa_and_reflows_at_320_pixels(
    page: Page, axe: Axe, asked: tuple[Any, Binding], large_text: bool, english: bool
):
    son, binding = asked
    url = f"/family/{binding.pk}/reconsent/"
    sign_in(page, son, next_url="/family/")
    if large_text:
        page.get_by_role("button", name="大字模式").click()
        page.wait_for_selector("html.large-text")
    if english:
        page.get_by_role("button", name="English").click()
        page.wait_for_selector("html[lang=en]")
    assert violations(axe, page, url) == []
    assert violations(axe, page, "/family/") == []
    page.set_viewport_size({"width": 320, "height": 640})
    for shown in (url, "/family/"):
        page.goto(shown)
        assert fits_the_phone(page), shown

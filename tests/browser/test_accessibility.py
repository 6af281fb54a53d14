"""WCAG 2.1 A and AA, checked by axe-core (Deque's rule engine, through axe-playwright-python) on the
pages residents and counter staff use, signed in, with data on them, in normal and large text, in
Chinese and in English. The hand-written checks of test_resident_pages (contrast against the
background, 48-pixel targets, no sideways scrolling on a phone) stay: axe does not measure targets
at 48 pixels, the size chosen for elderly users."""

from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page

from accounts.tests.factories import ResidentFactory
from tests.browser.test_counter_bind import desk, sign_in_by_keyboard  # noqa: F401
from tests.browser.test_family_binding import sign_in
from tests.browser.test_settlement import family, hospital_settles_for_father  # noqa: F401

pytestmark = pytest.mark.browser

WCAG_AA = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}
RESIDENT_PAGES = ("/me/", "/account/", "/account/?month=2026-01", "/family/", "/family/new/")
RESIDENT_PAGES += ("/certification/", "/family-service/", "/family-service/new/")
COUNTER_PAGES = ("/counter/", "/counter/bind/", "/counter/settle/", "/counter/settlements/")


@pytest.fixture(scope="module")
def axe() -> Axe:
    return Axe()


def violations(axe: Axe, page: Page, url: str) -> list[str]:
    response = page.goto(url)
    assert response is not None and response.status == 200, url
    found = axe.run(page, options=WCAG_AA).response["violations"]
    return [f"{url} {v['id']} ({v['impact']}): {v['nodes'][0]['target']}" for v in found]


@pytest.fixture
def paid_family(family: Any) -> Any:  # noqa: F811
    """The son of the settlement tests, one family payment from his account on record."""
    return family[0], hospital_settles_for_father(family)


@pytest.mark.parametrize(("large_text", "english"), [(False, False), (True, False), (False, True)])
def test_resident_pages_meet_wcag_aa(page: Page, axe: Axe, paid_family: Any, large_text: bool, english: bool):
    son, _ = paid_family
    sign_in(page, ResidentFactory(person=son), next_url="/me/")
    if large_text:
        page.get_by_role("button", name="大字模式").click()
        page.wait_for_selector("html.large-text")
    if english:
        page.get_by_role("button", name="English").click()
        page.wait_for_selector("html[lang=en]")
    assert [v for url in RESIDENT_PAGES for v in violations(axe, page, url)] == []


def test_counter_pages_meet_wcag_aa(desk: Page, axe: Axe, paid_family: Any):  # noqa: F811
    _, staff = paid_family
    sign_in_by_keyboard(desk, staff)
    assert [v for url in COUNTER_PAGES for v in violations(axe, desk, url)] == []


@pytest.mark.parametrize("large_text", [False, True])
def test_public_pages_meet_wcag_aa(page: Page, axe: Axe, large_text: bool):
    if large_text:
        page.goto("/")
        page.get_by_role("button", name="大字模式").click()
        page.wait_for_selector("html.large-text")
    public = ("/", "/login/", "/register/", "/counter/login/", "/admin/login/")
    assert [v for url in public for v in violations(axe, page, url)] == []

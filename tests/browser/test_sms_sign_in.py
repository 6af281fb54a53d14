"""SMS sign-in in Chromium on a phone (issue 17, decision record 0017): the resident types the identity
number, presses 短信发送验证码, reads the code from the SMS, types password and code and presses
Enter. The page after the button is checked by axe in normal and large-text mode, where the code field
comes first."""

import os
import re
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page

from accounts.tests.factories import ResidentFactory
from portal.core.notify import MemorySmsSender

pytestmark = pytest.mark.browser

WCAG_AA = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}
SHOTS = Path(os.environ.get("SCREENSHOT_DIR", "/tmp"))  # noqa: S108


@pytest.mark.parametrize("large_text", [False, True])
def test_a_resident_signs_in_with_a_code_sent_by_sms_and_enter(page: Page, large_text: bool):
    MemorySmsSender.outbox.clear()
    resident = ResidentFactory()
    assert resident.person is not None
    if large_text:
        page.goto("/")
        page.get_by_role("button", name="大字模式").click()
        page.wait_for_selector("html.large-text")
    page.goto("/login/")
    page.get_by_label("身份证号").fill(resident.person.id_number)
    page.get_by_role("button", name="短信发送验证码").click()
    page.wait_for_selector('[data-code="sms_code_requested"]')
    # the code field has the focus; in large-text mode it also comes first
    assert page.evaluate("document.activeElement.id") == "id_otp"
    order = page.evaluate(
        "[...document.querySelectorAll('form.form input:not([type=hidden])')].map(e => e.id)"
    )
    assert order == (
        ["id_otp", "id_login", "id_password"] if large_text else ["id_login", "id_password", "id_otp"]
    )
    found = Axe().run(page, options=WCAG_AA).response["violations"]
    assert [f"{v['id']}: {v['nodes'][0]['target']}" for v in found] == []
    page.screenshot(path=str(SHOTS / f"sms-sign-in{'-large' if large_text else ''}.png"), full_page=True)
    [(to, text)] = MemorySmsSender.outbox
    assert to == resident.person.phone
    [code] = re.findall(r"(?<!\d)\d{6}(?!\d)", text)
    page.get_by_label("动态验证码").fill(code)
    page.get_by_label("密码", exact=True).fill("Correct-Horse-42")
    page.keyboard.press("Enter")  # Enter signs in; it does not send another code
    page.wait_for_url("**/me/")
    assert len(MemorySmsSender.outbox) == 2  # the code, then the sign-in notice

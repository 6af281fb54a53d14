"""Passkeys in Chromium (issue 17, decision record 0019), with Chromium's virtual authenticator (CDP
`WebAuthn.addVirtualAuthenticator`: a platform authenticator that holds resident keys and verifies
the user) standing in for a fingerprint sensor: a resident adds a passkey on /me/security/, signs
out, and signs in with the password and the passkey. django-otp-webauthn's scripts run under the
Content-Security-Policy with no violation; axe checks /me/security/ and the passkey step.

WebAuthn needs a secure context and an RP ID equal to the page's host: the live server's
http://localhost:PORT is both, so the test points OTP_WEBAUTHN_* at it."""

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from django_otp_webauthn.models import WebAuthnCredential
from playwright.sync_api import Browser, ConsoleMessage, Page, expect

from accounts.tests.factories import ResidentFactory
from tests.browser.conftest import PHONE
from tests.browser.test_csp import LISTEN
from tests.browser.test_family_binding import PASSWORD, sign_in
from tests.browser.test_resident_pages import fits_the_phone

pytestmark = pytest.mark.browser

WCAG_AA = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}
SHOTS = Path(os.environ.get("SCREENSHOT_DIR", "/tmp"))  # noqa: S108
AUTHENTICATOR = {
    "protocol": "ctap2",
    "transport": "internal",
    "hasResidentKey": True,
    "hasUserVerification": True,
    "isUserVerified": True,
}


@pytest.fixture
def relying_party(settings: Any, live_server: Any) -> None:
    host = live_server.url.split("//", 1)[1].split(":", 1)[0]
    settings.OTP_WEBAUTHN_RP_ID = host
    settings.OTP_WEBAUTHN_ALLOWED_ORIGINS = [live_server.url]


@pytest.fixture
def phone(browser: Browser, live_server: Any, transactional_db: None, relying_party: None) -> Iterator[Any]:
    """A phone-sized page with a virtual platform authenticator, and the CSP violations it reports."""
    context = browser.new_context(
        base_url=live_server.url, viewport=PHONE, locale="zh-CN", timezone_id="Asia/Shanghai"
    )
    context.set_default_timeout(15_000)
    context.add_init_script(LISTEN)
    page = context.new_page()
    violations: list[str] = []

    def console(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text:
            violations.append(message.text)

    page.on("console", console)
    page.on("pageerror", lambda error: violations.append(f"page error: {error}"))
    cdp = context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    cdp.send("WebAuthn.addVirtualAuthenticator", {"options": AUTHENTICATOR})
    yield page, violations
    context.close()


def no_violation(page: Page, violations: list[str], where: str) -> None:
    seen = page.evaluate("() => window.__csp || []")
    assert violations + [f"{where}: {v}" for v in seen] == []


def axe_violations(page: Page) -> list[str]:
    found = Axe().run(page, options=WCAG_AA).response["violations"]
    return [f"{page.url} {v['id']}: {v['nodes'][0]['target']}" for v in found]


def test_a_resident_adds_a_passkey_signs_out_and_signs_in_with_password_and_passkey(phone):
    page, violations = phone
    resident = ResidentFactory()

    # given a resident signed in with password and authenticator code, on 登录安全
    sign_in(page, resident, next_url="/me/security/")
    expect(page.get_by_role("heading", name="登录安全", exact=True)).to_be_visible()

    # when she presses 添加通行密钥 (the virtual authenticator is her fingerprint sensor)
    page.get_by_role("button", name="添加通行密钥").click()

    # then the page reloads with the passkey listed and the message
    expect(page.get_by_test_id("passkey")).to_have_count(1)
    expect(page.locator(".messages")).to_contain_text("通行密钥已添加")
    assert WebAuthnCredential.objects.filter(user=resident).count() == 1
    no_violation(page, violations, "/me/security/ after adding")
    assert axe_violations(page) == []
    assert fits_the_phone(page)
    page.screenshot(path=str(SHOTS / "passkey-security.png"), full_page=True)

    # when she signs out and signs in again with identity number, password and 使用通行密钥
    page.get_by_role("button", name="退出登录").click()
    page.goto("/login/")
    page.get_by_label("身份证号").fill(resident.person.id_number)
    page.get_by_label("密码", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="使用通行密钥").click()
    page.wait_for_url("**/login/passkey/")
    expect(page.get_by_role("button", name="使用通行密钥确认")).to_be_visible()
    assert axe_violations(page) == []
    assert fits_the_phone(page)
    page.screenshot(path=str(SHOTS / "passkey-sign-in.png"), full_page=True)
    page.get_by_role("button", name="使用通行密钥确认").click()

    # then she lands on 我的, signed in by the passkey
    page.wait_for_url("**/me/")
    expect(page.get_by_role("heading", name="我的医保")).to_be_visible()
    no_violation(page, violations, "/me/ after the passkey")
    assert WebAuthnCredential.objects.get(user=resident).last_used_at is not None


@pytest.mark.parametrize(("large_text", "english"), [(True, False), (False, True)])
def test_the_security_page_meets_wcag_aa_and_fits_320_pixels(phone, large_text: bool, english: bool):
    page, violations = phone
    resident = ResidentFactory()
    WebAuthnCredential.objects.create(
        user=resident, credential_id=b"x" * 16, public_key=b"k", name="通行密钥"
    )
    sign_in(page, resident, next_url="/me/security/")
    if large_text:
        page.get_by_role("button", name="大字模式").click()
        page.wait_for_selector("html.large-text")
    if english:
        page.get_by_role("button", name="English").click()
        page.wait_for_selector("html[lang=en]")
        expect(page.get_by_role("button", name="Add a passkey")).to_be_visible()
    expect(page.get_by_test_id("passkey")).to_have_count(1)
    assert axe_violations(page) == []
    page.set_viewport_size({"width": 320, "height": 640})
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 320
    no_violation(page, violations, "/me/security/")

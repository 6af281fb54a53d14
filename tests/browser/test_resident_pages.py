"""A resident on a phone, in a real browser: register, enrol an authenticator, sign in, see 我的.

Fields are found by their visible labels and submitted from the keyboard, as a screen-reader or
keyboard-only user would. Screenshots land in $SCREENSHOT_DIR (default /tmp) for a person to look at."""

import base64
import datetime as dt
import os
import re
import time
from pathlib import Path

import pytest
from playwright.sync_api import Page

from accounts.tests.factories import AccountFactory, PersonFactory
from portal.core.notify import MemorySmsSender

pytestmark = pytest.mark.browser

PASSWORD = "Spring-Garden-1944"
# Screenshots for a person to look at (phone width, normal and large text).
SHOTS = Path(os.environ.get("SCREENSHOT_DIR", "/tmp"))  # noqa: S108

# WCAG 2.1 contrast of every element that draws text of its own, against the first opaque
# background behind it. Returns the failures (< 4.5:1).
CONTRAST_JS = """
() => {
  const parse = (c) => {
    const m = c.match(/rgba?\\(([^)]+)\\)/);
    if (!m) return null;
    const p = m[1].split(',').map((s) => parseFloat(s));
    return { r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1 };
  };
  const lum = ({ r, g, b }) => {
    const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const background = (el) => {
    for (; el; el = el.parentElement) {
      const c = parse(getComputedStyle(el).backgroundColor);
      if (c && c.a > 0.99) return c;
    }
    return { r: 255, g: 255, b: 255, a: 1 };
  };
  const failures = [];
  for (const el of document.querySelectorAll('body *')) {
    if (![...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim())) continue;
    const style = getComputedStyle(el);
    const box = el.getBoundingClientRect();
    if (style.visibility === 'hidden' || box.width < 2 || box.height < 2 || box.bottom < 0) continue;
    const a = lum(parse(style.color)), b = lum(background(el));
    const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    if (ratio < 4.5) failures.push(`${el.tagName} "${el.textContent.trim().slice(0, 20)}" ${ratio.toFixed(2)}`);
  }
  return failures;
}
"""

# Buttons, inputs, navigation links and button-links must be at least 48×48 CSS pixels (those
# rendered: the sign-in form's `hidden` default button is no target).
SMALL_TARGETS_JS = """
() => [...document.querySelectorAll('button, input:not([type=hidden]), .site-nav a, a.button, .site-name')]
  .filter((el) => el.getClientRects().length > 0)
  .filter((el) => { const r = el.getBoundingClientRect(); return r.height < 48 || r.width < 48; })
  .map((el) => `${el.tagName} "${(el.textContent || el.name).trim()}" ${el.getBoundingClientRect().width}x${el.getBoundingClientRect().height}`)
"""


def totp_code(secret: str, *, steps_ahead: int = 0) -> str:
    """What an authenticator app shows for this base32 secret (RFC 6238, 30 s, 6 digits)."""
    from django_otp.oath import TOTP

    totp = TOTP(base64.b32decode(secret), step=30, t0=0, digits=6)
    totp.time = time.time() + steps_ahead * 30
    return f"{totp.token():06d}"


def fits_the_phone(page: Page) -> bool:
    """No sideways scrolling on a 390px-wide screen."""
    return page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")


def test_resident_registers_enrols_an_authenticator_signs_in_and_sees_masked_numbers(page):
    # given an 82-year-old employee-insured resident imported by the bureau, with no account yet
    person = PersonFactory(name="王秀英", birth=dt.date(1944, 3, 8), male=False)
    AccountFactory(person=person, balance_fen=123_456)

    # when she opens the portal and follows 注册
    page.goto("/")
    page.get_by_role("link", name="注册").first.click()
    page.screenshot(path=SHOTS / "register.png", full_page=True)
    assert fits_the_phone(page)

    # and fills the form by its labels, sending it with Enter
    page.get_by_label("身份证号").fill(person.id_number.lower())
    page.get_by_label("姓名").fill(person.name)
    page.get_by_label("社会保障卡号").fill(person.card_number)
    page.get_by_label("手机号").fill(person.phone)
    page.get_by_label("密码", exact=True).fill(PASSWORD)
    page.get_by_label("确认密码").fill(PASSWORD)
    MemorySmsSender.outbox.clear()
    page.get_by_label("确认密码").press("Enter")

    # then a code goes to the number on file and the SMS page names it masked
    page.wait_for_url("**/register/sms/")
    assert page.get_by_text(person.phone_masked).is_visible()
    [(to, text)] = MemorySmsSender.outbox
    assert to == person.phone
    page.screenshot(path=SHOTS / "register-sms.png", full_page=True)
    assert fits_the_phone(page)

    # when she types the code from the SMS
    page.get_by_label("短信验证码").fill(re.findall(r"(?<!\d)\d{6}(?!\d)", text)[0])
    page.get_by_label("短信验证码").press("Enter")

    # then the authenticator page shows a QR code and the secret
    page.wait_for_url("**/register/authenticator/")
    assert page.get_by_role("img", name="身份验证器二维码").is_visible()
    secret = page.locator("#totp-secret").inner_text().replace(" ", "")
    assert re.fullmatch(r"[A-Z2-7]{32}", secret)
    page.screenshot(path=SHOTS / "authenticator.png", full_page=True)
    assert fits_the_phone(page)

    # when she types the code her new authenticator shows
    page.get_by_label("动态验证码").fill(totp_code(secret))
    page.get_by_label("动态验证码").press("Enter")

    # then enrolment is done and she is asked to sign in
    page.wait_for_url("**/login/")
    assert page.get_by_text("身份验证器已开通").is_visible()

    # when she signs in with the next code (each code works once)
    page.get_by_label("身份证号").fill(person.id_number)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_label("动态验证码").fill(totp_code(secret, steps_ahead=1))
    page.get_by_label("动态验证码").press("Enter")

    # then 我的 shows her status, balance and only masked numbers
    page.wait_for_url("**/me/")
    html = page.content()
    assert person.id_number_masked in html
    assert person.card_number_masked in html
    assert person.id_number not in html
    assert person.card_number not in html
    assert page.get_by_text("1,234.56").is_visible()
    assert page.get_by_text("正常", exact=True).is_visible()
    page.screenshot(path=SHOTS / "me.png", full_page=True)
    assert fits_the_phone(page)

    # when she switches on large text
    page.get_by_role("button", name="大字模式").click()

    # then the whole page grows by a third and still fits the phone
    page.wait_for_selector("html.large-text")
    assert page.evaluate("() => getComputedStyle(document.documentElement).fontSize") == "24px"
    assert page.get_by_role("button", name="大字模式").get_attribute("aria-pressed") == "true"
    page.screenshot(path=SHOTS / "me-large.png", full_page=True)
    assert fits_the_phone(page)


def test_register_errors_are_beside_their_fields_and_the_summary_takes_focus(page):
    # given the registration form in large-text mode
    page.goto("/register/")
    page.get_by_role("button", name="大字模式").click()
    page.wait_for_selector("html.large-text")

    # when it is sent with a malformed identity number and nothing else
    page.get_by_label("身份证号").fill("1234")
    page.get_by_role("button", name="下一步").click()

    # then the summary has focus and each reason sits beside its field
    page.wait_for_selector(".error-summary")
    assert page.evaluate("() => document.activeElement.className") == "error-summary"
    assert page.locator("#id_id_number_error [data-code]").get_attribute("data-code") == "id_number_format"
    assert page.locator("#id_name_error [data-code]").get_attribute("data-code") == "field_required"
    assert page.get_by_label("身份证号").get_attribute("aria-invalid") == "true"
    page.screenshot(path=SHOTS / "large-text.png", full_page=True)
    assert fits_the_phone(page)


@pytest.mark.parametrize("large_text", [False, True])
def test_pages_have_enough_contrast_and_big_enough_targets(page, large_text):
    # given each public page, in normal and in large text
    if large_text:
        page.goto("/")
        page.get_by_role("button", name="大字模式").click()
        page.wait_for_selector("html.large-text")
    for url in ("/", "/register/", "/login/", "/counter/login/", "/no-such-page/"):
        page.goto(url)
        if url == "/register/":
            page.get_by_role("button", name="下一步").click()
            page.wait_for_selector(".field-error")

        # then text contrast is at least 4.5:1, targets at least 48px, and nothing scrolls sideways
        assert page.evaluate(CONTRAST_JS) == [], url
        assert page.evaluate(SMALL_TARGETS_JS) == [], url
        assert fits_the_phone(page), url


def test_keyboard_user_can_skip_to_the_main_content(page):
    # given the home page
    page.goto("/")

    # when the first Tab reaches the skip link and Enter follows it
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.textContent.trim()") == "跳到主要内容"
    page.keyboard.press("Enter")

    # then focus is on the main content
    assert page.evaluate("() => document.activeElement.id") == "main"


def test_english_switch_in_the_browser(page):
    # given the Chinese sign-in page
    page.goto("/login/")

    # when English is chosen
    page.get_by_role("button", name="English").click()

    # then the same page is in English, with lang="en"
    page.wait_for_selector("html[lang=en]")
    assert page.get_by_label("Identity card number").is_visible()
    assert page.get_by_label("One-time code").is_visible()

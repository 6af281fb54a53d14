"""The Content-Security-Policy in a real browser (issue 15): the main pages of every audience load with
no violation reported — home, sign-in, registration, 我的, 家庭共济 (with its htmx instant check
working), 个人账户, the counter (the keyboard-first flow and the receipt's print button, both from
static/js now), the admin index and the API docs (Swagger UI, whose inline script runs by nonce).

Violations are collected two ways: a `securitypolicyviolation` listener installed before any page
script (per document, read after each step) and Chromium's console, which reports every refused
script, style or handler."""

import datetime as dt
import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, ConsoleMessage, expect

from accounts.tests.factories import (
    AccountFactory,
    InstitutionFactory,
    PersonFactory,
    ResidentFactory,
    StaffFactory,
)
from family_sharing.tests.factories import BindingFactory, parent_edge, person, sharer
from tests.browser.test_counter_bind import focused, sign_in_by_keyboard
from tests.browser.test_family_binding import sign_in

pytestmark = pytest.mark.browser

LISTEN = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__csp.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`);
});
"""


class Watched:
    """A browser context whose pages report every CSP violation into `violations`."""

    def __init__(self, browser: Browser, base_url: str) -> None:
        self.context = browser.new_context(
            base_url=base_url,
            viewport={"width": 1280, "height": 900},
            locale="zh-CN",
            timezone_id="Asia/Shanghai",
        )
        self.context.set_default_timeout(15_000)
        self.context.add_init_script(LISTEN)
        self.violations: list[str] = []
        self.page = self.context.new_page()
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda error: self.violations.append(f"page error: {error}"))

    def _console(self, message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text:
            self.violations.append(f"console: {message.text}")

    def check(self, where: str) -> None:
        """Adds the violations the current document saw; then the list must still be empty."""
        seen = self.page.evaluate("() => window.__csp || []")
        self.violations += [f"{where}: {v}" for v in seen]
        assert self.violations == [], self.violations

    def visit(self, path: str) -> None:
        response = self.page.goto(path)
        assert response is not None and response.ok, (path, response and response.status)
        assert "script-src 'self'" in (response.header_value("content-security-policy") or "")
        self.page.wait_for_load_state("load")
        self.check(path)


@pytest.fixture
def watched(browser: Browser, live_server: Any, transactional_db: None) -> Iterator[Any]:
    made: list[Watched] = []

    def make() -> Watched:
        made.append(Watched(browser, live_server.url))
        return made[-1]

    yield make
    for w in made:
        w.context.close()


def test_public_and_resident_pages_report_no_violation_and_htmx_still_checks(watched, reference):
    # anonymous: home, sign-in, registration
    visitor = watched()
    for path in ("/", "/login/", "/register/"):
        visitor.visit(path)
    # a resident with a registry father: 我的, 家庭共济, 个人账户, and the instant check (htmx)
    daughter = ResidentFactory(person=sharer(name="王秀英", birth=dt.date(1975, 3, 8), male=False))
    father = ResidentFactory(person=person(1946, name="王德顺"))
    parent_edge(father.person, daughter.person)
    resident = watched()
    sign_in(resident.page, daughter, next_url="/me/")
    resident.check("/me/ after sign-in")
    for path in ("/me/", "/family/", "/account/", "/family/new/"):
        resident.visit(path)
    page = resident.page
    page.get_by_label("亲属身份证号").fill(father.person.id_number)
    page.get_by_label("亲属姓名").fill(father.person.name)
    page.get_by_label("关系", exact=True).select_option(label="父亲")
    expect(page.locator("#eligibility")).to_contain_text("可以办理")
    resident.check("/family/new/ instant check")


def test_counter_pages_report_no_violation_and_the_keyboard_flow_still_works(watched, relation_codes):
    son = PersonFactory(name="赵志刚")
    AccountFactory(person=son, balance_fen=100_000)
    father = PersonFactory(name="赵文华", insurance_type="resident")
    BindingFactory(sharer=son, beneficiary=father, relation_code_id="51", status="active")
    staff = StaffFactory(role="hospital", institution=InstitutionFactory(name="北京协和医院"), is_staff=False)
    desk = watched()
    sign_in_by_keyboard(desk.page, staff)
    desk.check("/counter/")
    desk.visit("/counter/settle/")
    page = desk.page
    # the Enter-advances script (static/js/enter-advances.js) focuses the card field and moves on
    assert focused(page) == "id_card"
    page.keyboard.type(father.card_number)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r".*/counter/settle/[^/?]+/$"))
    assert focused(page) == "id_binding"
    page.keyboard.press("Enter")
    assert focused(page) == "id_amount"
    page.keyboard.type("12.30")
    page.keyboard.press("Enter")
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("balance-after")).to_have_text("987.70")
    desk.check("/counter/settle/ review")
    page.keyboard.press("Enter")
    page.wait_for_url("**/counter/settlements/*/")
    desk.check("receipt")
    # the print button is bound by static/js/print-button.js (no onclick attribute)
    page.evaluate("() => { window.__printed = 0; window.print = () => { window.__printed += 1; }; }")
    page.get_by_role("button", name=re.compile("打印凭证")).click()
    assert page.evaluate("() => window.__printed") == 1
    desk.check("receipt print")


def test_admin_index_and_api_docs_report_no_violation(watched, relation_codes):
    staff = StaffFactory()
    officer = watched()
    officer.visit("/admin/login/?next=/admin/")
    officer.page.fill("#id_username", staff.username)
    officer.page.fill("#id_password", "Staff-Password-42")
    officer.page.fill("#id_otp_token", "123456")
    officer.page.get_by_role("button", name="登录").click()
    officer.page.wait_for_url("**/admin/")
    officer.check("/admin/")
    # the API docs: Swagger UI renders the operations (its inline script ran under the nonce)
    officer.visit("/api/v1/docs/")
    expect(officer.page.locator(".swagger-ui .info .title")).to_contain_text("医保家庭共济门户 API")
    expect(officer.page.locator(".opblock").first).to_be_visible()
    officer.check("/api/v1/docs/ rendered")

"""WCAG 2.1 1.4.10 Reflow: nothing scrolls sideways at 320 CSS pixels (issue 17). axe cannot see it,
so this test measures it: every resident, counter and public page, in normal and in large-text mode
(适老化, switched on with its button), at 320 x 640, must have `document.documentElement.scrollWidth
<= window.innerWidth`. A failure names the page, the viewer, the mode, the width and the widest
element that sticks out (tag, id, classes and three ancestors): usually what to fix.

The pages are not a hand list. Every route of the URL resolver outside /api/ and /admin/ (the walk
of the authorization matrix, portal/tests/test_authorization_matrix.py) is opened in the fixture
world (reflow_world.py: portal/tests/world.py's, plus what it lacks for every part of every page to
show), each path parameter filled with every object of the viewer's own that the selectors list
(bindings, delegations, settlements, ...). A route whose GET is refused with 405 (a POST-only
action) or answers anything but HTML (CSV, JSON) is no page. A page only a form reaches (the
registration steps, the passkey step, the counter's bind result) has a FLOW that gets there. A route
the walk can neither open nor reach fails the test with what to add, so a new page is covered as
soon as it is routed. Collapsed parts (<details>) are opened before measuring. Each data-entry form
(`form[method=post][novalidate]`) is also sent as it is (empty) once per route and the page with
its errors measured; SCENARIOS add pages behind a filled form (the instant eligibility check, a
refused binding request, the counter's payment confirmation) and the error pages."""

import itertools
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY, devices_for_user
from playwright.sync_api import Browser, BrowserContext, Page

from accounts.delegations.selectors import delegation_list
from accounts.models import Person, User
from certification.selectors import home_visit_list
from family_sharing.selectors import binding_list
from family_sharing.settlement.selectors import card_holder_token, settlement_list
from portal.core.notify import MemorySmsSender
from portal.tests.test_authorization_matrix import (
    PAGE_COUNTER,
    PAGE_RESIDENT,
    PUBLIC,
    Route,
    portal_routes,
    route_class,
)
from tests.browser.reflow_world import ReflowWorld, reflow_world

pytestmark = pytest.mark.browser

VIEWPORT = {"width": 320, "height": 640}  # WCAG 1.4.10: 320 CSS pixels wide
MODES = {"normal": False, "large-text": True}
# Screenshots for a person to look at, in $SCREENSHOT_DIR (default /tmp): the pages of issue 17's
# finding, the home-visit form on /certification/ and the same form with its errors.
SHOTS = Path(os.environ.get("SCREENSHOT_DIR", "/tmp"))  # noqa: S108
SHOT_NAMES = {
    "/certification/ as pensioner": "certification",
    "/certification/home-visit/ (sent empty) as pensioner": "certification-home-visit-errors",
}
NEWCOMER_PASSWORD = "Spring-Garden-1944"  # what the newcomers choose when they register
RESIDENT_PASSWORD = "Correct-Horse-42"  # ResidentFactory's

# Every element whose box reaches past the right edge of the viewport, outside any scrolling
# container; the one reaching furthest (the deepest of equals) is named with three ancestors.
OVERFLOW_JS = """
() => {
  const doc = document.documentElement;
  const out = { scrollWidth: doc.scrollWidth, innerWidth: window.innerWidth,
                largeText: doc.classList.contains('large-text'), widest: null };
  if (doc.scrollWidth <= window.innerWidth) return out;
  const scrolled = (el) => {
    for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
      if (getComputedStyle(p).overflowX !== 'visible') return true;
    }
    return false;
  };
  const name = (el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')
    + [...el.classList].map((c) => '.' + c).join('');
  let worst = null;
  for (const el of document.body.querySelectorAll('*')) {
    const box = el.getBoundingClientRect();
    if (box.right <= window.innerWidth + 0.5 || (box.width === 0 && box.height === 0) || scrolled(el)) continue;
    if (!worst || box.right > worst.right + 0.5 || (box.right >= worst.right - 0.5 && worst.el.contains(el))) {
      worst = { el, right: box.right, width: box.width };
    }
  }
  if (worst) {
    const path = [];
    for (let el = worst.el; el && el !== document.body && path.length < 4; el = el.parentElement) path.unshift(name(el));
    const text = (worst.el.textContent || worst.el.value || '').trim().replace(/\\s+/g, ' ').slice(0, 30);
    out.widest = `${path.join(' > ')} (${Math.round(worst.width)}px wide, right edge at ${Math.round(worst.right)}px)`
      + (text ? ` "${text}"` : '');
  }
  return out;
}
"""


# --- viewers, and the objects each may see ---------------------------------------------------


@dataclass
class Viewer:
    key: str
    user: User | None
    page: Page


def session_of(user: User) -> str:
    """The session key the sign-in pages give: the user, and a second factor of theirs passed."""
    client = Client()
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = next(devices_for_user(user)).persistent_id
    session.save()
    assert session.session_key is not None
    return session.session_key


# A path parameter and the viewer's own objects that fill it (what the selectors let them see).
CANDIDATES: dict[str, Callable[[User], list[str]]] = {
    "binding_id": lambda user: [str(b.pk) for b in binding_list(viewer=user)],
    "delegation_id": lambda user: [str(d.pk) for d in delegation_list(viewer=user)],
    "visit_id": lambda user: [str(v.pk) for v in home_visit_list(person=user.person)] if user.person else [],
    "settlement_id": lambda user: [str(s.pk) for s in settlement_list(viewer=user)],
    # the counter's opaque name for a patient it looked up: each patient it has paid for
    "token": lambda user: sorted(
        {card_holder_token(staff=user, person=s.binding.beneficiary) for s in settlement_list(viewer=user)}
    ),
}


def urls_of(route: Route, user: User | None) -> list[str]:
    if not route.params:
        return [route.url({})]
    values: list[list[str]] = []
    for param in route.params:
        if param not in CANDIDATES or user is None:
            raise LookupError(
                f"{route.pattern!r} has the path parameter {param!r}: add to CANDIDATES in {__name__} "
                "the viewer's own objects that fill it"
            )
        values.append(CANDIDATES[param](user))
    return [route.url(dict(zip(route.params, combo, strict=True))) for combo in itertools.product(*values)]


# --- measuring -------------------------------------------------------------------------------


@dataclass
class Walk:
    mode: str
    failures: list[str] = field(default_factory=list)
    measured: list[str] = field(default_factory=list)  # "url (what) as viewer" of every page measured

    def measure(self, viewer: Viewer, what: str = "") -> None:
        page = viewer.page
        path = re.sub(r"^https?://[^/]+", "", page.url)
        label = f"{path}{f' ({what})' if what else ''} as {viewer.key}"
        page.evaluate("() => document.querySelectorAll('details').forEach((d) => { d.open = true; })")
        found = page.evaluate(OVERFLOW_JS)
        if found["largeText"] != (self.mode == "large-text"):
            self.failures.append(f"{label}: not in {self.mode} mode")
        if found["scrollWidth"] > found["innerWidth"]:
            self.failures.append(
                f"{label} [{self.mode}, {found['innerWidth']}px]: content is {found['scrollWidth']}px wide; "
                f"widest: {found['widest'] or 'no single element (margins or a transform)'}"
            )
        self.measured.append(label)
        if label in SHOT_NAMES:
            page.screenshot(path=SHOTS / f"reflow-{self.mode}-{SHOT_NAMES[label]}.png", full_page=True)


def send_empty(walk: Walk, viewer: Viewer) -> bool:
    """Each data-entry form of the page sent as it is, and the answer measured: the form with the
    reasons beside its fields. Whether the page had one."""
    page = viewer.page
    url = page.url
    forms = page.locator("main form[method=post][novalidate]")
    count = forms.count()
    for index in range(count):
        if index:
            page.goto(url)
        with page.expect_navigation():
            forms.nth(index).locator("[type=submit]:visible").first.click()
        walk.measure(viewer, "sent empty")
    return count > 0


# --- pages reached through a form -----------------------------------------------------------


def _register(page: Page, person: Person) -> None:
    page.goto("/register/")
    page.get_by_label("身份证号").fill(person.id_number)
    page.get_by_label("姓名").fill(person.name)
    page.get_by_label("社会保障卡号").fill(person.card_number)
    page.get_by_label("手机号").fill(person.phone)
    page.get_by_label("密码", exact=True).fill(NEWCOMER_PASSWORD)
    page.get_by_label("确认密码").fill(NEWCOMER_PASSWORD)
    page.get_by_role("button", name="下一步").click()
    page.wait_for_url("**/register/sms/")


def _register_sms(page: Page, person: Person) -> None:
    MemorySmsSender.outbox.clear()
    _register(page, person)
    [(_, text)] = MemorySmsSender.outbox
    page.get_by_label("短信验证码").fill(re.findall(r"(?<!\d)\d{6}(?!\d)", text)[0])
    page.get_by_label("短信验证码").press("Enter")
    page.wait_for_url("**/register/authenticator/")


def _passkey_step(page: Page, w: ReflowWorld) -> None:
    person = w.pensioner.person
    assert person is not None
    page.goto("/login/")
    page.get_by_label("身份证号").fill(person.id_number)
    page.get_by_label("密码").fill(RESIDENT_PASSWORD)
    page.get_by_role("button", name="使用通行密钥").click()
    page.wait_for_url("**/login/passkey/")


def _authenticator_start(page: Page, w: ReflowWorld) -> None:
    page.goto("/me/security/")
    page.get_by_role("button", name="开通身份验证器").click()
    page.wait_for_url("**/me/security/authenticator/")


def _counter_bind(page: Page, w: ReflowWorld) -> None:
    son, father = w.counter_family
    page.goto("/counter/bind/")
    page.locator("#id_sharer_card_number").fill(son.card_number)
    page.locator("#id_beneficiary_card_number").fill(father.card_number)
    page.locator("#id_relation_code").select_option("51")
    page.locator("#counter-bind-form [type=submit]").click()
    page.wait_for_url("**/counter/bind/done/")


# Routes whose page only a form reaches (a plain GET is sent elsewhere), by pattern: who gets there
# and how.
FLOWS: dict[str, tuple[str, Callable[[Page, ReflowWorld], None]]] = {
    "register/sms/": ("anonymous", lambda page, w: _register(page, w.newcomers[0])),
    "register/authenticator/": ("anonymous", lambda page, w: _register_sms(page, w.newcomers[1])),
    "login/passkey/": ("anonymous", _passkey_step),
    "me/security/authenticator/": ("pensioner", _authenticator_start),
    "counter/bind/done/": ("hospital X", _counter_bind),
}
# Routes that answer a GET with a redirect and have no page of their own.
NOT_PAGES = {"i18n/setlang/": "Django's language switch: a POST; a GET is sent back"}


def _eligibility_check(page: Page, w: ReflowWorld) -> None:
    """The bind form with the instant check's answer under it: an identity number with the wrong
    name (the check runs when a field changes)."""
    page.goto("/family/new/")
    page.get_by_label("亲属身份证号").fill(w.newcomers[0].id_number)
    page.get_by_label("亲属姓名").fill("欧阳错名")
    page.locator("#id_relation_code").select_option("51")
    page.wait_for_selector("#eligibility .check")


def _refused_binding(page: Page, w: ReflowWorld) -> None:
    """The same form sent: refused, the reasons in the summary and beside the fields."""
    page.get_by_role("button", name="提交申请").click()
    page.wait_for_selector(".error-summary")


def _settle_confirmation(page: Page, w: ReflowWorld) -> None:
    """The counter's payment confirmation, before 确认支付."""
    staff, patient = w.world.a.hospital_staff, w.world.a.mother
    page.goto(f"/counter/settle/{card_holder_token(staff=staff, person=patient)}/")
    page.locator("#id_amount").fill("123.45")
    page.locator("#id_description").fill("门诊自付")
    page.get_by_role("button", name="核对").click()
    page.wait_for_selector("[data-testid=balance-after]")


# Pages behind a filled form, and the error pages: whose, what, how.
SCENARIOS: list[tuple[str, str, Callable[[Page, ReflowWorld], Any]]] = [
    ("resident A", "eligibility check", _eligibility_check),
    ("resident A", "bind request refused", _refused_binding),
    ("hospital X", "payment confirmation", _settle_confirmation),
    ("anonymous", "404 page", lambda page, w: page.goto("/reflow-no-such-page/")),
    ("resident A", "403 page", lambda page, w: page.goto("/counter/")),
]


# --- the walk ----------------------------------------------------------------------------------


def walk_routes(walk: Walk, viewers: dict[str, list[Viewer]], w: ReflowWorld) -> None:
    """Every page route as each viewer of its kind, with each of the viewer's objects that opens it."""
    by_key = {v.key: v for group in viewers.values() for v in group}
    group_of = {PUBLIC: "public", PAGE_RESIDENT: "resident", PAGE_COUNTER: "counter"}
    for route in portal_routes():
        if route.api:
            continue
        group = group_of[route_class(route)]
        opened, sent, answers = 0, False, set()
        for viewer in viewers[group]:
            if "405" in answers:
                break
            try:
                urls = urls_of(route, viewer.user)
            except LookupError as error:
                walk.failures.append(str(error))
                break
            for url in urls:
                response = viewer.page.request.get(url, max_redirects=0)
                html = response.headers.get("content-type", "").startswith("text/html")
                answers.add(str(response.status) if html else "not HTML")
                if response.status == 405:  # the method, whatever the object: a POST-only action
                    break
                if response.status != 200 or not html:
                    continue
                viewer.page.goto(url)
                walk.measure(viewer)
                if not sent:  # one page of the route shows its forms' errors
                    sent = send_empty(walk, viewer)
                opened += 1
        if opened or answers <= {"405", "not HTML"} or route.pattern in NOT_PAGES:
            continue
        if route.pattern in FLOWS:
            key, flow = FLOWS[route.pattern]
            flow(by_key[key].page, w)
            walk.measure(by_key[key])
            send_empty(walk, by_key[key])
            continue
        walk.failures.append(
            f"{route.pattern!r} ({group}) could not be opened: GET answered {sorted(answers)}. Give a "
            f"viewer of {__name__} an object it shows (reflow_world), a FLOW that reaches it, or list "
            "it in NOT_PAGES with the reason"
        )


@pytest.fixture
def contexts(
    browser: Browser, live_server: Any, transactional_db: None
) -> Iterator[Callable[[], BrowserContext]]:
    """Opens fresh 320-pixel phones (no cookies) on the live server."""
    opened: list[BrowserContext] = []

    def open_context() -> BrowserContext:
        context = browser.new_context(
            base_url=live_server.url, viewport=VIEWPORT, locale="zh-CN", timezone_id="Asia/Shanghai"
        )
        context.set_default_timeout(10_000)
        opened.append(context)
        return context

    yield open_context
    for context in opened:
        context.close()


@pytest.mark.parametrize("mode", MODES)
def test_every_page_reflows_at_320_pixels(
    contexts: Callable[[], BrowserContext], live_server: Any, relation_codes: None, mode: str
) -> None:
    # given the fixture world, and a phone for each kind of visitor, signed in, in this mode
    w = reflow_world()
    a = w.world.a

    def viewer(key: str, user: User | None) -> Viewer:
        context = contexts()
        if user is not None:
            session = session_of(user)
            context.add_cookies(
                [{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": live_server.url}]
            )
        page = context.new_page()
        if MODES[mode]:
            page.goto("/")
            page.get_by_role("button", name="大字模式").click()
            page.wait_for_selector("html.large-text")
        return Viewer(key, user, page)

    viewers = {
        "public": [viewer("anonymous", None)],
        "resident": [viewer("resident A", a.resident), viewer("pensioner", w.pensioner)],
        "counter": [viewer("hospital X", a.hospital_staff)],
    }
    by_key = {v.key: v for group in viewers.values() for v in group}

    # when every page is opened (and its forms sent empty), and each scenario is played
    walk = Walk(mode)
    walk_routes(walk, viewers, w)
    for key, what, play in SCENARIOS:
        play(by_key[key].page, w)
        walk.measure(by_key[key], what)

    # then none scrolls sideways
    print(f"\nreflow, {mode}: {len(walk.measured)} pages at 320 px\n  " + "\n  ".join(walk.measured))
    assert not walk.failures, "\n".join(walk.failures)
    assert {m.rsplit(" as ", 1)[1] for m in walk.measured} == set(by_key)

"""A resident binds her father end to end in a real browser on a phone: she fills 为亲属办理共济 by its
labels and sees the instant eligibility check, her father signs in and agrees, the verification pass
runs, and both see 已生效 on 家庭共济.

Screenshots land in $SCREENSHOT_DIR (default /tmp) for a person to look at."""

import datetime as dt
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from accounts.tests.factories import ResidentFactory, totp_now
from family_sharing.models import Binding, BindingStatus
from family_sharing.services import binding_consent, binding_request
from family_sharing.tests.factories import parent_edge, person, sharer
from family_sharing.tests.test_pages import PNG
from family_sharing.verification import bindings_verify
from tests.browser.conftest import PHONE
from tests.browser.test_resident_pages import CONTRAST_JS, SMALL_TARGETS_JS, fits_the_phone

pytestmark = pytest.mark.browser

PASSWORD = "Correct-Horse-42"  # ResidentFactory's
SHOTS = Path(os.environ.get("SCREENSHOT_DIR", "/tmp"))  # noqa: S108


@pytest.fixture
def phones(browser: Browser, live_server: Any, transactional_db: None) -> Iterator[Any]:
    """Opens a fresh phone-sized browser (no cookies) per person, on the live server."""
    contexts = []

    def open_phone() -> Page:
        context = browser.new_context(
            base_url=live_server.url, viewport=PHONE, locale="zh-CN", timezone_id="Asia/Shanghai"
        )
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield open_phone
    for context in contexts:
        context.close()


def sign_in(page: Page, user: Any, *, next_url: str) -> None:
    page.goto(f"/login/?next={next_url}")
    page.get_by_label("身份证号").fill(user.person.id_number)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_label("动态验证码").fill(totp_now(user.totp))
    page.get_by_label("动态验证码").press("Enter")
    page.wait_for_url(f"**{next_url}")


def looks_right(page: Page, shot: str) -> None:
    """Fits the phone, enough contrast, big enough targets; and a screenshot to look at."""
    page.screenshot(path=SHOTS / shot, full_page=True)
    assert fits_the_phone(page), shot
    assert page.evaluate(CONTRAST_JS) == [], shot
    assert page.evaluate(SMALL_TARGETS_JS) == [], shot


def test_a_resident_binds_her_father_and_both_see_it_in_effect(phones, reference):
    # given a daughter with employee insurance and a personal account, and her registry father
    daughter = ResidentFactory(person=sharer(name="王秀英", birth=dt.date(1975, 3, 8), male=False))
    father = ResidentFactory(person=person(1946, name="王德顺"))
    parent_edge(father.person, daughter.person)

    # when she signs in on her phone and opens 为亲属办理共济 from 家庭共济
    hers = phones()
    sign_in(hers, daughter, next_url="/family/")
    expect(hers.get_by_text("您还没有为亲属办理家庭共济")).to_be_visible()
    looks_right(hers, "family-empty.png")
    hers.get_by_role("link", name="为亲属办理共济").click()
    hers.wait_for_url("**/family/new/")

    # and fills the form by its labels, first choosing 母亲 by mistake
    hers.get_by_label("亲属身份证号").fill(father.person.id_number)
    hers.get_by_label("亲属姓名").fill(father.person.name)
    hers.get_by_label("关系", exact=True).select_option(label="母亲")

    # then the instant check says at once why not, with the reason's code, in the live region
    live = hers.locator("#eligibility")
    assert live.get_attribute("aria-live") == "polite"
    expect(live.locator("[data-code=relation_mismatch]")).to_be_visible()
    looks_right(hers, "family-new-refused.png")

    # when she corrects it to 父亲
    hers.get_by_label("关系", exact=True).select_option(label="父亲")

    # then the check says it can be done
    expect(live).to_contain_text("可以办理")
    expect(live.locator("[data-code]")).to_have_count(0)
    looks_right(hers, "family-new.png")

    # when she submits
    hers.get_by_role("button", name="提交申请").click()

    # then the request waits for her father, and the page says what happens next
    hers.wait_for_url("**/submitted/")
    expect(hers.get_by_role("heading", name="已提交")).to_be_visible()
    expect(hers.get_by_text("在“家庭共济”里选择“同意”")).to_be_visible()
    looks_right(hers, "family-submitted.png")
    binding = Binding.objects.get()
    assert binding.status == BindingStatus.PENDING_CONSENT

    # when her father signs in on his own phone, in large text
    his = phones()
    sign_in(his, father, next_url="/family/")
    his.get_by_role("button", name="大字模式").click()
    his.wait_for_selector("html.large-text")

    # then he sees her request under 亲属为我共济, masked, with 同意 and 不同意
    request = his.locator("article.binding")
    expect(request).to_contain_text("王**")
    expect(request).to_contain_text("您是TA的父亲")
    expect(request).to_contain_text("等待亲属同意")
    assert daughter.person.id_number not in his.content()
    looks_right(his, "family-consent-large.png")

    # when he agrees
    his.get_by_role("button", name="同意", exact=True).click()

    # then he is told what happens next
    expect(his.get_by_text("您已同意")).to_be_visible()

    # when the verification pass runs
    bindings_verify()

    # then both see 已生效 on 家庭共济
    for page, shot in ((hers, "family-active-sharer.png"), (his, "family-active-beneficiary.png")):
        page.goto("/family/")
        expect(page.locator("article.binding .status-tag")).to_have_text("已生效")
        looks_right(page, shot)
    expect(hers.locator("article.binding")).to_contain_text("TA是您的父亲")
    binding.refresh_from_db()
    assert binding.status == BindingStatus.ACTIVE

    # when she sets a monthly limit of 300.5 yuan
    hers.get_by_role("link", name="设置每月限额").click()
    hers.get_by_label("每月限额（元）").fill("300.5")
    hers.get_by_label("每月限额（元）").press("Enter")

    # then it is stored as 30050 fen and shown in yuan
    expect(hers.get_by_text("已设置：每月最多 300.50 元。")).to_be_visible()
    binding.refresh_from_db()
    assert binding.monthly_limit_fen == 30050


def test_the_bind_form_works_without_javascript(browser, live_server, reference):
    # given a phone browser with JavaScript switched off
    context = browser.new_context(
        base_url=live_server.url, viewport=PHONE, locale="zh-CN", java_script_enabled=False
    )
    page = context.new_page()
    son = ResidentFactory(person=sharer())
    sign_in(page, son, next_url="/family/new/")

    # when he submits an identity number that does not check out and no relation
    page.get_by_label("亲属身份证号").fill("110101195001011234")
    page.get_by_label("亲属姓名").fill("李大山")
    page.get_by_role("button", name="提交申请").click()

    # then the full page comes back with each reason beside its field
    expect(page.locator("#id_beneficiary_id_number_error [data-code]")).to_have_attribute(
        "data-code", "id_number_checksum"
    )
    expect(page.locator("#id_relation_code_error [data-code]")).to_have_attribute(
        "data-code", "field_required"
    )
    page.screenshot(path=SHOTS / "family-new-nojs-errors.png", full_page=True)
    assert fits_the_phone(page)
    context.close()


def test_a_resident_uploads_evidence_the_registry_could_not_give(phones, reference, tmp_path):
    # given a husband whose marriage the registry does not show, and whose wife agreed
    husband = ResidentFactory(person=sharer(name="陈建华"))
    wife = ResidentFactory(person=person(1982, male=False, name="林美玲"))
    binding = binding_request(
        actor=husband,
        beneficiary_id_number=wife.person.id_number,
        beneficiary_name=wife.person.name,
        relation_code="12",
    )
    binding_consent(actor=wife, binding=binding, accept=True)
    bindings_verify()
    binding.refresh_from_db()
    assert binding.status == BindingStatus.NEEDS_EVIDENCE

    # when he opens 家庭共济 on his phone
    page = phones()
    sign_in(page, husband, next_url="/family/")

    # then the binding asks for documents in plain words
    card = page.locator("article.binding")
    expect(card.locator(".status-tag")).to_have_text("需要补充证明材料")
    expect(card).to_contain_text("请上传户口本、结婚证或出生医学证明")
    looks_right(page, "family-needs-evidence.png")

    # when he looks at withdrawing, the confirmation warns first; he goes back
    page.get_by_role("link", name="撤回申请").click()
    expect(page.get_by_text("请注意：确认后立即生效。")).to_be_visible()
    looks_right(page, "family-revoke-confirm.png")
    expect(page.get_by_text("撤回后，这次申请就作废了")).to_be_visible()
    page.get_by_role("link", name="不撤回，返回").click()

    # when he uploads a file that is not really a PDF
    page.get_by_role("link", name="上传证明材料").click()
    fake = tmp_path / "结婚证.pdf"
    fake.write_bytes(b"not a pdf at all")
    page.get_by_label("证明材料").set_input_files(fake)
    page.get_by_role("button", name="上传", exact=True).click()

    # then the reason is beside the file field, with its code
    expect(page.locator("#id_file_error [data-code]")).to_have_attribute("data-code", "evidence_type")
    looks_right(page, "family-evidence-refused.png")

    # when he uploads a photo
    photo = tmp_path / "结婚证.png"
    photo.write_bytes(PNG)
    page.get_by_label("证明材料").set_input_files(photo)
    page.get_by_role("button", name="上传", exact=True).click()

    # then it is received and the list says the bureau will review it
    expect(page.get_by_text("已收到您上传的材料")).to_be_visible()
    expect(card).to_contain_text("正在等待医保经办机构审核")
    looks_right(page, "family-evidence-waiting.png")

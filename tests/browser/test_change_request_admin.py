"""Maker-checker in the admin, in a browser (DESIGN.md section 6): officer A files a new phone number
for a resident at the window, officer B of the same region opens the request, sees the before/after
table (masked) and approves it; only then is the number changed. axe checks the request pages.

Screenshots: /work/notes/makerchecker-1-filed.png (A, after filing) and
/work/notes/makerchecker-2-approved.png (B, after approving); $MAKERCHECKER_SHOTS moves them."""

import os
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page, expect

from accounts.change_requests.models import ChangeRequest
from accounts.models import Person
from accounts.tests.factories import PersonFactory, StaffFactory
from tests.browser.test_accessibility import violations
from tests.browser.test_arrears_case_admin import DESK, desk, sign_in_to_admin  # noqa: F401

pytestmark = pytest.mark.browser

SHOTS = Path(os.environ.get("MAKERCHECKER_SHOTS", "/work/notes"))


def second_desk(browser: Browser, page: Page) -> Page:
    """Another officer's browser beside the first (its own cookies)."""
    assert page.context.pages  # the first desk is open
    base = page.url.split("/admin/")[0]
    context = browser.new_context(base_url=base, viewport=DESK, locale="zh-CN", timezone_id="Asia/Shanghai")
    context.set_default_timeout(10_000)
    return context.new_page()


def test_officer_a_files_a_phone_change_and_officer_b_approves_it(desk: Page, browser: Browser):  # noqa: F811
    # given two officers of one region and a resident whose phone is on file
    maker = StaffFactory()
    checker = StaffFactory(region=maker.region)
    person = PersonFactory(region=maker.region, name="钱多多", phone="13800000001")
    SHOTS.mkdir(parents=True, exist_ok=True)

    # when officer A files the new number on the person's phone page
    sign_in_to_admin(desk, maker)
    desk.goto(f"/admin/accounts/person/{person.pk}/change/")
    desk.get_by_role("link", name="变更手机号").click()
    desk.get_by_label("新手机号").fill("13900000002")
    desk.get_by_label("变更原因").fill("本人持身份证到窗口申请，原号码已停用")
    desk.get_by_role("button", name="提交变更，待复核").click()

    # then A sees it waits for a second officer, with no button to approve it themselves
    expect(desk.get_by_text("已提交，待另一位经办人复核")).to_be_visible()
    expect(desk.get_by_role("button", name="复核通过，使变更生效")).to_have_count(0)
    expect(desk.get_by_role("cell", name="138****0001")).to_be_visible()
    desk.screenshot(path=str(SHOTS / "makerchecker-1-filed.png"), full_page=True)
    change = ChangeRequest.objects.get()
    assert Person.objects.get(pk=person.pk).phone == "13800000001"
    axe = Axe()
    found = violations(axe, desk, f"/admin/accounts/changerequest/{change.pk}/change/")
    found += violations(axe, desk, "/admin/accounts/changerequest/")

    # when officer B opens the request from the list and approves it
    other = second_desk(browser, desk)
    sign_in_to_admin(other, checker)
    other.goto("/admin/accounts/changerequest/")
    other.locator(f'a[href$="/changerequest/{change.pk}/change/"]').click()
    found += violations(axe, other, f"/admin/accounts/changerequest/{change.pk}/change/")
    expect(other.get_by_role("cell", name="139****0002")).to_be_visible()
    other.get_by_label("复核意见（驳回时请写明原因）").fill("已核对身份证原件")
    other.get_by_role("button", name="复核通过，使变更生效").click()

    # then the number is changed, and B's page says so
    expect(other.get_by_text("已复核通过，变更已生效")).to_be_visible()
    other.screenshot(path=str(SHOTS / "makerchecker-2-approved.png"), full_page=True)
    assert Person.objects.get(pk=person.pk).phone == "13900000002"
    assert ChangeRequest.objects.get().checker == checker
    other.context.close()
    assert found == []

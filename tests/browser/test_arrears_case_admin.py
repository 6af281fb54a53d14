"""Bureau staff pursue an employer's arrears in the admin under 社会保险法 第63条: open the case,
order payment within a deadline with the signed order attached, inquire the bank accounts, order
the transfer, record the guarantee and deferred-payment agreement, apply to the court — and the
case can only be closed once the employer has paid.

Screenshots land in $SCREENSHOT_DIR (default /tmp)."""

import datetime as dt
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from accounts.tests.factories import PersonFactory, StaffFactory
from family_sharing.contributions.models import ArrearsCase, Contribution
from family_sharing.contributions.tests.factories import declare, employer
from portal.core.time import add_months, today

pytestmark = pytest.mark.browser

DESK = {"width": 1280, "height": 800}
SHOTS = Path(os.environ.get("SCREENSHOT_DIR", "/tmp"))  # noqa: S108
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def desk(browser: Browser, live_server: Any, transactional_db: None) -> Iterator[Page]:
    context = browser.new_context(
        base_url=live_server.url, viewport=DESK, locale="zh-CN", timezone_id="Asia/Shanghai"
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


def sign_in_to_admin(page: Page, staff: Any) -> None:
    page.goto("/admin/login/?next=/admin/")
    page.fill("#id_username", staff.username)
    page.fill("#id_password", "Staff-Password-42")
    page.fill("#id_otp_token", "123456")
    page.get_by_role("button", name="登录").click()
    page.wait_for_url("**/admin/")


def record_step(
    page: Page, kind: str, day: dt.date, *, deadline: dt.date | None = None, document: Path | None = None
) -> None:
    page.get_by_role("link", name="办理下一步").click()
    page.get_by_label("办理环节").select_option(kind)
    page.get_by_label("办理日期").fill(f"{day:%Y-%m-%d}")
    if deadline is not None:
        page.get_by_label("缴纳期限").fill(f"{deadline:%Y-%m-%d}")
    if document is not None:
        page.get_by_label("文书（PDF、JPEG 或 PNG，不超过 5 MB）").set_input_files(str(document))
    page.get_by_label("说明").fill(f"{kind} 已办理")
    page.get_by_role("button", name="提交").click()


def test_bureau_staff_move_an_arrears_case_through_every_step_of_article_63(desk, tmp_path):
    # given an employer that has not paid two of its workers' contributions for a month long past due
    staff = StaffFactory()
    firm = employer(name="拖欠示例有限公司")
    period = add_months(today().replace(day=1), -3)
    due = today() - dt.timedelta(days=40)
    for _ in range(2):
        declare(
            PersonFactory(region=staff.region),
            f"{period:%Y-%m}",
            by=firm,
            due_fen=80_000,
            paid_fen=0,
            due_date=due,
        )
    order = tmp_path / "责令限期缴纳决定书.pdf"
    order.write_bytes(PDF)
    page = desk
    sign_in_to_admin(page, staff)

    # when staff open a case for the employer
    page.goto("/admin/family_sharing/arrearscase/add/")
    page.get_by_label("统一社会信用代码").fill(firm.uscc)
    page.get_by_label("立案日期").fill(f"{today():%Y-%m-%d}")
    page.get_by_role("button", name="提交").click()

    # then the case shows the unpaid amount and the late fee of 第86条 (1,600 yuan × 40 days × 0.05%)
    expect(page.locator("#case-unpaid")).to_have_text("1,600.00")
    expect(page.locator("#case-late-fee")).to_have_text("32.00")
    page.screenshot(path=SHOTS / "arrears-case-opened.png", full_page=True)

    # when the order to pay within a deadline is recorded with the signed order attached
    record_step(page, "ordered", today(), deadline=today() + dt.timedelta(days=10), document=order)
    expect(page.locator(".messagelist")).to_contain_text("已记录办理环节")
    # and the steps that follow an unpaid deadline: bank inquiry, transfer order, guarantee, court
    for kind in ("bank_inquiry", "transfer_ordered", "guarantee", "court_application"):
        record_step(page, kind, today())
        expect(page.locator(".messagelist")).to_contain_text("已记录办理环节")
    case = ArrearsCase.objects.get(employer=firm)
    assert case.status == "court_application"
    steps = list(case.steps.order_by("created_at", "id").values_list("kind", "staff_id", "done_on"))
    assert [kind for kind, _s, _d in steps] == [
        "opened",
        "ordered",
        "bank_inquiry",
        "transfer_ordered",
        "guarantee",
        "court_application",
    ]
    assert {s for _k, s, _d in steps} == {staff.pk}
    assert case.steps.get(kind="ordered").document_type == "application/pdf"
    page.screenshot(path=SHOTS / "arrears-case-court.png", full_page=True)

    # and the attached order opens for staff, as the PDF it is
    link = page.get_by_role("link", name="查看", exact=True)
    response = page.request.get(link.get_attribute("href"))
    assert response.headers["content-type"] == "application/pdf"
    assert response.body().startswith(b"%PDF")

    # when staff try to close it before the employer has paid, it is refused beside the field
    record_step(page, "closed", today())
    expect(page.locator('[data-code="case_not_paid"]')).to_be_visible()

    # when the employer pays in full, closing is accepted
    Contribution.objects.filter(employer=firm).update(paid_fen=80_000)
    page.goto(f"/admin/family_sharing/arrearscase/{case.pk}/change/")
    record_step(page, "closed", today())
    expect(page.locator(".messagelist")).to_contain_text("已记录办理环节")
    case.refresh_from_db()
    assert (case.status, case.closed_on) == ("closed", today())
    expect(page.locator(".field-next_step")).to_contain_text("已结案")
    page.screenshot(path=SHOTS / "arrears-case-closed.png", full_page=True)


def test_a_resident_in_arrears_reads_on_the_phone_which_months_are_unpaid_and_whom_to_call(page):
    from accounts.tests.factories import ResidentFactory
    from family_sharing.contributions.sweep import arrears_sweep
    from tests.browser.test_family_binding import looks_right, sign_in

    # given a resident whose employer paid only part of the month before last
    resident = ResidentFactory(person=PersonFactory(name="王芳"))
    firm = employer(name="北京康宁商贸有限公司")
    this_month = today().replace(day=1)
    for back in (3, 2, 1):
        month = add_months(this_month, -back)
        declare(
            resident.person,
            f"{month:%Y-%m}",
            by=firm,
            due_fen=45_000,
            paid_fen=15_000 if back == 2 else 45_000,
            due_date=today() - dt.timedelta(days=back * 30 - 20),
        )
    arrears_sweep()

    # when she opens 我的 on her phone
    sign_in(page, resident, next_url="/me/")

    # then the status, the unpaid month and amount, the employer, what it means and the hotline show
    unpaid = add_months(this_month, -2)
    explanation = page.locator(".status-explanation")
    expect(page.locator(".status--arrears")).to_have_text("欠费")
    expect(explanation).to_contain_text(
        f"{unpaid.year}年{unpaid.month}月：北京康宁商贸有限公司，还差 300.00 元"
    )
    expect(explanation).to_contain_text("参保关系继续有效")
    expect(explanation).to_contain_text("医保卡暂时不能结算")
    expect(explanation.get_by_role("link", name="12393")).to_have_attribute("href", "tel:12393")
    looks_right(page, "me-arrears.png")

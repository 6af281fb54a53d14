"""Employer arrears cases (社会保险法 第63条): opening with the unpaid periods, the steps as a state
machine, documents checked by content, the 第86条 late fee on the case, closing when paid."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from freezegun import freeze_time

from accounts.tests.factories import PersonFactory, RegionFactory, StaffFactory
from family_sharing.contributions.imports import COLUMNS
from family_sharing.contributions.models import ArrearsCase, CaseStatus
from family_sharing.contributions.selectors import arrears_case_fees
from family_sharing.contributions.services import arrears_case_open, arrears_case_step_add
from family_sharing.contributions.sweep import arrears_sweep
from family_sharing.contributions.tests.factories import declare, employer
from portal.core.errors import ApplicationError

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen")]

TODAY = dt.date(2026, 11, 20)
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def frozen():
    with freeze_time("2026-11-20 10:00:00+08:00"):
        yield


@pytest.fixture
def staff():
    return StaffFactory()


@pytest.fixture
def owing(staff):
    """An employer owing two workers' September (due 10-15) and one worker's October (due 11-15)."""
    firm = employer(name="欠费示例有限公司")
    a, b = PersonFactory(region=staff.region), PersonFactory(region=staff.region)
    declare(a, "2026-09", by=firm, due_fen=100_000, paid_fen=40_000)
    declare(b, "2026-09", by=firm, due_fen=50_000, paid_fen=0)
    declare(a, "2026-10", by=firm, due_fen=100_000, paid_fen=0)
    declare(b, "2026-10", by=firm, due_fen=50_000)  # paid
    elsewhere = PersonFactory(region=RegionFactory(code="310100", name="上海市"))
    declare(elsewhere, "2026-09", by=firm, due_fen=70_000, paid_fen=0)  # another region's case
    return firm, a, b


def test_a_case_opens_with_the_unpaid_periods_of_the_staff_members_region(staff, owing):
    firm, a, b = owing
    case = arrears_case_open(actor=staff, employer=firm, as_of=TODAY)
    items = sorted((i.person_id, f"{i.period:%Y-%m}", i.unpaid_fen) for i in case.items.all())
    assert items == sorted([(a.pk, "2026-09", 60_000), (b.pk, "2026-09", 50_000), (a.pk, "2026-10", 100_000)])
    assert case.status == "opened"
    assert list(case.steps.values_list("kind", "staff")) == [("opened", staff.pk)]


def test_the_late_fee_on_the_case_is_exact_per_period(staff, owing):
    firm, *_ = owing
    case = arrears_case_open(actor=staff, employer=firm, as_of=TODAY)
    fees = arrears_case_fees(case=case, as_of=TODAY)
    # September due 2026-10-15: 36 days late on 20 November; October due 2026-11-15: 5 days
    # 60,000 × 36 × 5/10000 = 1,080; 50,000 × 36 × 5/10000 = 900; 100,000 × 5 × 5/10000 = 250
    assert sorted((line.days_late, line.late_fee_fen) for line in fees.lines) == [
        (5, 250),
        (36, 900),
        (36, 1_080),
    ]
    assert fees.late_fee_fen == 2_230
    assert fees.unpaid_fen == 210_000


def test_an_employer_without_overdue_unpaid_periods_gets_no_case(staff):
    firm = employer()
    declare(PersonFactory(region=staff.region), "2026-10", by=firm, paid_fen=0, due_date=TODAY)  # due today
    with pytest.raises(ApplicationError) as refused:
        arrears_case_open(actor=staff, employer=firm, as_of=TODAY)
    assert refused.value.code == "no_unpaid_contributions"
    assert not ArrearsCase.objects.exists()


def test_one_open_case_per_employer_and_region(staff, owing):
    firm, *_ = owing
    arrears_case_open(actor=staff, employer=firm, as_of=TODAY)
    with pytest.raises(ApplicationError) as refused:
        arrears_case_open(actor=staff, employer=firm, as_of=TODAY)
    assert refused.value.code == "case_already_open"


def step(staff, case, kind, day, **kwargs):
    return arrears_case_step_add(actor=staff, case=case, kind=kind, done_on=day, **kwargs)


def test_the_steps_of_article_63_in_order_each_dated_with_staff_and_document(staff, owing):
    firm, *_ = owing
    case = arrears_case_open(actor=staff, employer=firm, as_of=dt.date(2026, 11, 1))
    step(
        staff,
        case,
        "ordered",
        dt.date(2026, 11, 2),
        deadline=dt.date(2026, 11, 12),
        document=SimpleUploadedFile("order.pdf", PDF),
    )
    step(staff, case, "bank_inquiry", dt.date(2026, 11, 13))
    step(staff, case, "transfer_ordered", dt.date(2026, 11, 14))
    step(staff, case, "guarantee", dt.date(2026, 11, 15), note="账户余额不足，签订延期缴费协议")
    step(staff, case, "court_application", dt.date(2026, 11, 20))
    case.refresh_from_db()
    assert case.status == "court_application"
    assert case.deadline == dt.date(2026, 11, 12)
    kinds = list(case.steps.order_by("created_at", "id").values_list("kind", "done_on", "staff"))
    assert [k for k, _d, _s in kinds] == [
        "opened",
        "ordered",
        "bank_inquiry",
        "transfer_ordered",
        "guarantee",
        "court_application",
    ]
    assert all(s == staff.pk for _k, _d, s in kinds)
    ordered = case.steps.get(kind="ordered")
    assert ordered.document_type == "application/pdf"


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        ("opened", "bank_inquiry"),  # an order to pay comes first
        ("opened", "court_application"),
        ("ordered", "transfer_ordered"),  # the accounts are inquired first
        ("guarantee", "transfer_ordered"),
        ("court_application", "guarantee"),
    ],
)
def test_a_step_out_of_order_is_refused_and_changes_nothing(staff, owing, status, kind):
    firm, *_ = owing
    case = arrears_case_open(actor=staff, employer=firm, as_of=TODAY)
    ArrearsCase.objects.filter(pk=case.pk).update(status=status)
    with pytest.raises(ApplicationError) as refused:
        step(staff, case, kind, TODAY)
    assert refused.value.code == "invalid_transition"
    case.refresh_from_db()
    assert case.status == status
    assert case.steps.count() == 1


def test_an_order_to_pay_needs_a_deadline_and_a_document_must_be_pdf_jpeg_or_png(staff, owing):
    firm, *_ = owing
    case = arrears_case_open(actor=staff, employer=firm, as_of=TODAY)
    with pytest.raises(ApplicationError) as refused:
        step(staff, case, "ordered", TODAY, document=SimpleUploadedFile("order.pdf", b"MZ\x90\x00 not a pdf"))
    assert sorted(refused.value.codes()) == ["deadline_required", "document_type"]
    assert case.steps.count() == 1


def test_staff_cannot_close_an_unpaid_case(staff, owing):
    firm, *_ = owing
    case = arrears_case_open(actor=staff, employer=firm, as_of=TODAY)
    with pytest.raises(ApplicationError) as refused:
        step(staff, case, "closed", TODAY)
    assert refused.value.code == "case_not_paid"


def test_staff_of_another_region_cannot_act_on_the_case(staff, owing):
    firm, *_ = owing
    case = arrears_case_open(actor=staff, employer=firm, as_of=TODAY)
    other = StaffFactory(region=RegionFactory(code="310100", name="上海市"))
    with pytest.raises(ApplicationError) as refused:
        step(other, case, "ordered", TODAY, deadline=TODAY)
    assert refused.value.status == 403


def test_a_later_file_that_pays_everything_closes_the_case_and_freezes_the_late_fee(staff, owing, tmp_path):
    from django.core.management import call_command

    firm, a, b = owing
    case = arrears_case_open(actor=staff, employer=firm, as_of=TODAY)
    # when the employer pays and the bureau imports the payments
    lines = [
        f"{firm.uscc},{firm.name},{a.id_number},2026-09,100000,100000,2026-10-15",
        f"{firm.uscc},{firm.name},{b.id_number},2026-09,50000,50000,2026-10-15",
        f"{firm.uscc},{firm.name},{a.id_number},2026-10,100000,100000,2026-11-15",
    ]
    path = tmp_path / "paid.csv"
    path.write_text("\n".join([",".join(COLUMNS), *lines]) + "\n", encoding="utf-8")
    call_command("import_contributions", str(path))
    # then the case is closed that day by the system, and its late fee no longer grows
    case.refresh_from_db()
    assert (case.status, case.closed_on) == ("closed", TODAY)
    closing = case.steps.get(kind="closed")
    assert closing.staff is None
    assert arrears_case_fees(case=case, as_of=TODAY + dt.timedelta(days=30)).late_fee_fen == 2_230


def test_a_partly_paid_case_stays_open_and_the_sweep_closes_it_when_the_rest_is_paid(staff, owing):
    from family_sharing.contributions.models import Contribution

    firm, a, b = owing
    case = arrears_case_open(actor=staff, employer=firm, as_of=TODAY)
    Contribution.objects.filter(person=b).update(paid_fen=50_000)
    assert arrears_sweep(as_of=TODAY).cases_closed == 0
    case.refresh_from_db()
    assert case.status == CaseStatus.OPENED
    assert case.items.filter(settled_on=TODAY).count() == 1
    Contribution.objects.filter(person=a).update(paid_fen=100_000)
    assert arrears_sweep(as_of=TODAY).cases_closed == 1
    case.refresh_from_db()
    assert case.status == "closed"

"""import_contributions (API.md section 5): all-or-nothing with line-numbered codes, idempotent
upsert, a later file updates the paid amount."""

import datetime as dt

import pytest
from django.core.management import call_command
from freezegun import freeze_time

from accounts.models import Employer
from accounts.tests.factories import PersonFactory
from family_sharing.contributions.imports import COLUMNS
from family_sharing.contributions.models import Contribution
from family_sharing.contributions.tests.factories import make_uscc

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen")]

HEADER = ",".join(COLUMNS)


@pytest.fixture
def frozen():
    with freeze_time("2026-11-20 10:00:00+08:00"):
        yield


@pytest.fixture
def write(tmp_path):
    def write(*lines: str, name: str = "contributions.csv"):
        path = tmp_path / name
        path.write_text("\n".join([HEADER, *lines]) + "\n", encoding="utf-8")
        return path

    return write


def run(path, *args):
    """(exit status, stdout, stderr lines) of import_contributions."""
    import io

    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("import_contributions", str(path), *args, stdout=out, stderr=err)
        status = 0
    except SystemExit as exc:
        status = int(exc.code or 0)
    return status, out.getvalue(), [line for line in err.getvalue().splitlines() if line]


@pytest.fixture
def worker():
    return PersonFactory()


def test_a_file_is_imported_and_employers_are_upserted_by_uscc(write, worker):
    code = make_uscc()
    path = write(
        f"{code},北京示例科技有限公司,{worker.id_number},2026-09,60000,60000,2026-10-15",
        f"{code},北京示例科技有限公司,{worker.id_number.lower()},2026-10,60000,0,2026-11-15",
    )
    status, out, err = run(path)
    assert (status, err) == (0, [])
    assert "inserted 2" in out
    employer = Employer.objects.get(uscc=code)
    assert employer.name == "北京示例科技有限公司"
    rows = list(
        Contribution.objects.filter(person=worker).order_by("period").values_list("period", "paid_fen")
    )
    assert rows == [(dt.date(2026, 9, 1), 60000), (dt.date(2026, 10, 1), 0)]


def test_the_same_file_again_changes_nothing_and_a_later_file_updates_the_paid_amount(write, worker):
    code = make_uscc()
    first = write(f"{code},甲公司,{worker.id_number},2026-10,60000,0,2026-11-15", name="a.csv")
    run(first)
    status, out, _ = run(first)
    assert status == 0
    assert "inserted 0, updated 0, unchanged 1" in out
    later = write(f"{code},甲公司（更名）,{worker.id_number},2026-10,60000,60000,2026-11-15", name="b.csv")
    status, out, _ = run(later)
    assert "updated 1" in out
    assert Contribution.objects.get(person=worker).paid_fen == 60000
    assert Employer.objects.get(uscc=code).name == "甲公司（更名）"
    assert Contribution.objects.count() == 1


def test_dry_run_stores_nothing(write, worker):
    path = write(f"{make_uscc()},甲公司,{worker.id_number},2026-10,60000,0,2026-11-15")
    status, out, _ = run(path, "--dry-run")
    assert status == 0
    assert out.startswith("dry run, nothing stored")
    assert not Contribution.objects.exists()
    assert not Employer.objects.exists()


def test_every_bad_row_is_listed_with_its_code_and_nothing_is_imported(write, worker):
    from accounts.tests.factories import make_id_number

    code = make_uscc()
    good = f"{code},甲公司,{worker.id_number},2026-10,60000,0,2026-11-15"
    not_imported = make_id_number(birth=dt.date(1985, 3, 3))
    wrong_check_digit = worker.id_number[:17] + ("1" if worker.id_number[17] == "0" else "0")
    path = write(
        good,  # line 2
        f"{code},甲公司,{worker.id_number},2026-12,60000,0,2027-01-15",  # 3 future period
        f"{code},甲公司,{worker.id_number},2026-08,60000,60001,2026-09-15",  # 4 paid above due
        f"91110000600037341X,甲公司,{worker.id_number},2026-07,60000,0,2026-08-15",  # 5 bad USCC check digit
        f"{code},甲公司,{not_imported},2026-07,60000,0,2026-08-15",  # 6 person not imported
        f"{code},甲公司,{worker.id_number},2026-06,-1,0,2026-07-15",  # 7 negative due
        f"{code},甲公司,{worker.id_number},2026-10,60000,0,2026-11-15",  # 8 duplicate of line 2
        f"{code},甲公司,{worker.id_number},2026-13,60000,0,2026-11-15",  # 9 bad period
        f"{code},甲公司,{worker.id_number},2026-05,6万,0,2026/06/15",  # 10 bad amount and date
        f"{code},甲公司,{wrong_check_digit},2026-04,60000,0,2026-05-15",  # 11 id checksum
        f"{code},,{worker.id_number},2026-03,60000,0,2026-04-15",  # 12 no employer name
        f"{code},甲公司,{worker.id_number},2026-02,60000,0,2026-01-15",  # 13 due date before period
    )
    status, out, err = run(path)
    assert status == 1
    assert out == ""
    codes = [line.split(" ")[2] for line in err]
    lines = [line.split(":")[0] for line in err]
    assert list(zip(lines, codes, strict=True)) == [
        ("line 3", "period_in_future"),
        ("line 4", "paid_above_due"),
        ("line 5", "uscc_invalid"),
        ("line 6", "person_not_found"),
        ("line 7", "amount_negative"),
        ("line 8", "duplicate_row"),
        ("line 9", "period_format"),
        ("line 10", "amount_format"),
        ("line 10", "date_format"),
        ("line 11", "id_number_checksum"),
        ("line 12", "employer_name_invalid"),
        ("line 13", "due_date_before_period"),
    ]
    assert "与第 2 行相同" in err[5]
    assert not Contribution.objects.exists()
    assert not Employer.objects.exists()


def test_a_wrong_header_is_refused(write, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("uscc,name\n", encoding="utf-8")
    status, _, err = run(path)
    assert status == 1
    assert err[0].startswith("line 1: columns")


def test_the_current_month_may_be_declared(write, worker):
    path = write(f"{make_uscc()},甲公司,{worker.id_number},2026-11,60000,0,2026-12-15")
    assert run(path)[0] == 0

"""import_persons, import_regions, import_institutions (API.md section 5; DESIGN.md section 3)."""

import datetime as dt
import io
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection
from stdnum.cn import ric

from accounts.identity import id_number_problem
from accounts.imports import persons_sql as persons_module
from accounts.imports.person_rows import IdNumberChecker
from accounts.models import (
    AccountEntry,
    Institution,
    Person,
    PersonalAccount,
    PoolingRegion,
)
from accounts.tests.factories import (
    InstitutionFactory,
    PersonFactory,
    ProvinceFactory,
    RegionFactory,
    StaffFactory,
    make_id_number,
)
from portal.core import crypto
from portal.core.csvimport import CellError, parse_bool, parse_date
from portal.core.time import today

pytestmark = pytest.mark.django_db

HEADER = "id_number,name,card_number,phone,region_code,insurance_type,status,balance_fen,pensioner,last_certified_on"


def person_line(
    id_number: str | None = None,
    *,
    name: str = "张三",
    card: str = "A00000001",
    phone: str = "13800000001",
    region: str = "110100",
    kind: str = "employee",
    status: str = "normal",
    balance: str = "100000",
    pensioner: str = "",
    certified: str = "",
) -> str:
    number = id_number if id_number is not None else make_id_number()
    return ",".join([number, name, card, phone, region, kind, status, balance, pensioner, certified])


def write_csv(tmp_path: Path, lines: list[str], *, header: str = HEADER, bom: bool = False) -> Path:
    path = tmp_path / "import.csv"
    text = "\n".join([header, *lines]) + "\n"
    path.write_bytes(("\ufeff" if bom else "").encode() + text.encode())
    return path


def run(command: str, path: Path, *args: str) -> tuple[int, str, str]:
    """Runs a command as a bureau script would: exit status, stdout, stderr."""
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command(command, str(path), *args, stdout=out, stderr=err)
    except SystemExit as exc:
        return int(exc.code or 0), out.getvalue(), err.getvalue()
    return 0, out.getvalue(), err.getvalue()


def with_check_digit(body: str) -> str:
    """A 17-character body completed with its correct check digit."""
    return body + ric.calc_check_digit(body + "0")


def stderr_lines(err: str) -> list[str]:
    return [line for line in err.splitlines() if line]


@pytest.fixture
def region() -> PoolingRegion:
    region: PoolingRegion = RegionFactory()
    return region


# --- import_persons: a good file ----------------------------------------------------------------


def test_valid_file_imports_persons_with_sex_and_birth_date_from_the_number(tmp_path, region):
    # given
    man = make_id_number(birth=dt.date(1975, 6, 30), male=True)
    woman = make_id_number(birth=dt.date(1990, 2, 28), male=False)
    path = write_csv(
        tmp_path,
        [
            person_line(man, name="张三", card="A00000001"),
            person_line(
                woman, name="欧阳娜娜", card="A00000002", kind="resident", balance="", pensioner="yes"
            ),
        ],
    )

    # when
    status, out, err = run("import_persons", path)

    # then
    assert (status, err) == (0, "")
    assert "rows read 2" in out and "inserted 2" in out and "accounts opened 1" in out
    first = Person.objects.get(card_number="A00000001")
    second = Person.objects.get(card_number="A00000002")
    assert (first.id_number, first.sex, first.birth_date) == (man, "male", dt.date(1975, 6, 30))
    assert (second.sex, second.birth_date, second.is_pensioner) == ("female", dt.date(1990, 2, 28), True)
    assert first.id_hash == crypto.lookup_hash(man)
    assert first.phone == "13800000001" and first.phone_hash == crypto.lookup_hash("13800000001")
    assert first.region == region


def test_raw_id_number_and_phone_columns_hold_no_plaintext(tmp_path, region):
    # given
    number = make_id_number()
    path = write_csv(tmp_path, [person_line(number, phone="13912345678")])

    # when
    run("import_persons", path)

    # then
    with connection.cursor() as cursor:
        cursor.execute("SELECT id_number, phone FROM accounts_person")
        ((stored_number, stored_phone),) = cursor.fetchall()
    assert number not in stored_number and number[:6] not in stored_number
    assert "13912345678" not in stored_phone
    assert crypto.decrypt(stored_number) == number
    assert crypto.decrypt(stored_phone) == "13912345678"


def test_empty_phone_is_stored_empty(tmp_path, region):
    # given
    path = write_csv(tmp_path, [person_line(phone="")])

    # when
    run("import_persons", path)

    # then
    person = Person.objects.get()
    assert (person.phone, person.phone_hash) == ("", "")


def test_bom_file_is_read(tmp_path, region):
    # given
    path = write_csv(tmp_path, [person_line()], bom=True)

    # when
    status, _, err = run("import_persons", path)

    # then
    assert (status, err) == (0, "")
    assert Person.objects.count() == 1


def test_lower_case_x_and_surrounding_spaces_are_normalised(tmp_path, region):
    # given: a number whose check digit is X
    number = next(n for n in iter(make_id_number, None) if n.endswith("X"))
    path = write_csv(tmp_path, [person_line(f"  {number.lower()} ")])

    # when
    status, _, err = run("import_persons", path)

    # then
    assert (status, err) == (0, "")
    person = Person.objects.get()
    assert person.id_number == number
    assert person.id_hash == crypto.lookup_hash(number)


@pytest.mark.parametrize("text", ["true", "TRUE", "1", "yes", "Yes"])
def test_true_1_and_yes_mean_true(text):
    assert parse_bool(text) is True


@pytest.mark.parametrize("text", ["false", "0", "no", ""])
def test_false_0_no_and_empty_mean_false(text):
    assert parse_bool(text) is False


@pytest.mark.parametrize("text", ["20240101", "2024-1-01", "2024-02-30", "2024/01/01", "2024-W01-1"])
def test_only_existing_yyyy_mm_dd_dates_are_dates(text):
    with pytest.raises(CellError):
        parse_date(text)


def test_fast_identity_check_agrees_with_id_number_problem():
    # given: valid numbers and every kind of broken one
    valid = [make_id_number(), make_id_number(male=False), make_id_number(address="440305")]
    broken = [
        "11010119800101001",  # 17 characters
        "11010119800101001A",
        valid[0][:-1] + ("0" if valid[0][-1] != "0" else "1"),  # checksum
    ]
    for body in ["11010119800231001", "11010121000101001", "99999919800101001", "11010118700101001"]:
        broken.append(with_check_digit(body))  # no such day, future, no such place, before 1880
    checker = IdNumberChecker(as_of=today())

    # when / then
    for raw in valid + broken:
        assert checker.problem(checker.normalize(raw)) == id_number_problem(raw), raw


# --- import_persons: every reason a row is refused ----------------------------------------------


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"id_number": "11010119800101001"}, "id_number_format"),
        ({"id_number": "11010119800101001" + "X"}, "id_number_checksum"),
        ({"id_number": with_check_digit("11010119800230001")}, "id_number_birth_date"),
        ({"id_number": with_check_digit("99999919800101001")}, "id_number_address"),
        ({"name": "张三1"}, "name_invalid"),
        ({"name": ""}, "name_invalid"),
        ({"card": "12345678A"}, "card_number_format"),
        ({"phone": "2380000000"}, "phone_format"),
        ({"region": "999900"}, "region_not_found"),
        ({"kind": "civil_servant"}, "insurance_type_unknown"),
        ({"status": "dead"}, "status_unknown"),
        ({"balance": "12.50"}, "balance_not_integer"),
        ({"balance": "-1"}, "balance_negative"),
        ({"kind": "resident", "balance": "100"}, "balance_without_account"),
        ({"pensioner": "maybe"}, "boolean_format"),
        ({"certified": "2024/01/01"}, "date_format"),
    ],
)
def test_invalid_cell_is_refused_with_its_reason_code(tmp_path, region, changes, code):
    # given
    changes = dict(changes)
    raw = changes.pop("id_number", None)
    path = write_csv(tmp_path, [person_line(card="A00000009"), person_line(raw, **changes)])

    # when
    status, out, err = run("import_persons", path)

    # then
    assert status == 1 and out == ""
    assert [line.split(" ")[:3] for line in stderr_lines(err)] == [["line", "3:", code]]
    assert Person.objects.count() == 0


def test_wrong_checksum_is_reported_with_its_line_and_nothing_is_imported(tmp_path, region):
    # given: a good row, then a row whose last digit is wrong
    good = make_id_number()
    bad = make_id_number()
    bad = bad[:-1] + ("1" if bad[-1] != "1" else "2")
    path = write_csv(tmp_path, [person_line(good, card="A00000001"), person_line(bad, card="A00000002")])

    # when
    status, _, err = run("import_persons", path)

    # then
    assert status == 1
    assert stderr_lines(err) == ["line 3: id_number_checksum 身份证号校验位不正确，请核对后重新输入"]
    assert Person.objects.count() == 0


def test_every_problem_of_every_bad_row_is_reported_in_line_order(tmp_path, region):
    # given: line 2 good, line 3 with three problems, a blank line 4, line 5 with one
    path = write_csv(
        tmp_path,
        [
            person_line(card="A00000001"),
            person_line("123", name="<b>x</b>", card="A00000002", phone="1"),
            "",
            person_line(card="A00000003", status="gone"),
        ],
    )

    # when
    status, _, err = run("import_persons", path)

    # then
    assert status == 1
    assert [line.split(" ")[:3] for line in stderr_lines(err)] == [
        ["line", "3:", "id_number_format"],
        ["line", "3:", "name_invalid"],
        ["line", "3:", "phone_format"],
        ["line", "5:", "status_unknown"],
    ]


def test_row_with_a_missing_cell_is_reported(tmp_path, region):
    # given
    path = write_csv(tmp_path, [person_line().rsplit(",", 1)[0]])

    # when
    status, _, err = run("import_persons", path)

    # then
    assert status == 1
    assert stderr_lines(err)[0].startswith("line 2: columns ")


def test_header_with_other_columns_is_reported_on_line_1(tmp_path, region):
    # given
    path = write_csv(tmp_path, [person_line()], header=HEADER.replace("phone", "mobile"))

    # when
    status, _, err = run("import_persons", path)

    # then
    assert status == 1
    (line,) = stderr_lines(err)
    assert line.startswith("line 1: columns ")
    assert Person.objects.count() == 0


def test_duplicate_identity_number_is_reported_on_the_later_line(tmp_path, region):
    # given
    number = make_id_number()
    path = write_csv(
        tmp_path,
        [
            person_line(number, card="A00000001"),
            person_line(card="A00000002"),
            person_line(number.lower(), card="A00000003"),
        ],
    )

    # when
    status, _, err = run("import_persons", path)

    # then
    assert status == 1
    assert stderr_lines(err) == ["line 4: duplicate_id_number 同一文件中身份证号重复（与第 2 行相同）"]
    assert Person.objects.count() == 0


def test_duplicate_card_number_in_the_file_is_reported_on_the_later_line(tmp_path, region):
    # given
    path = write_csv(tmp_path, [person_line(card="A00000001"), person_line(card="A00000001")])

    # when
    status, _, err = run("import_persons", path)

    # then
    assert status == 1
    assert stderr_lines(err) == ["line 3: duplicate_card_number 社会保障卡号重复（与第 2 行相同）"]


def test_card_number_held_by_another_person_is_refused(tmp_path, region):
    # given
    PersonFactory(card_number="A00000001", region=region)
    path = write_csv(tmp_path, [person_line(card="A00000001")])

    # when
    status, _, err = run("import_persons", path)

    # then
    assert status == 1
    assert stderr_lines(err) == ["line 2: duplicate_card_number 社会保障卡号重复（已属于另一参保人）"]
    assert Person.objects.count() == 1


def test_sql_or_html_in_a_name_is_refused_and_never_stored(tmp_path, region):
    # given
    names = ["Robert'); DROP TABLE accounts_person;--", "<script>alert(1)</script>", "张三<img src=x>"]
    path = write_csv(
        tmp_path, [person_line(name=f'"{name}"', card=f"A0000000{i}") for i, name in enumerate(names)]
    )

    # when
    status, _, err = run("import_persons", path)

    # then
    assert status == 1
    assert [line.split(" ")[:3] for line in stderr_lines(err)] == [
        ["line", str(n) + ":", "name_invalid"] for n in (2, 3, 4)
    ]
    assert Person.objects.count() == 0
    assert not Person.history.exists()


# --- import_persons: dry run, idempotency, upsert, accounts, history ---------------------------


def test_dry_run_validates_and_stores_nothing(tmp_path, region):
    # given
    path = write_csv(tmp_path, [person_line(card="A00000001"), person_line(card="A00000002")])

    # when
    status, out, err = run("import_persons", path, "--dry-run")

    # then
    assert (status, err) == (0, "")
    assert out.startswith("dry run, nothing stored") and "inserted 2" in out
    assert Person.objects.count() == 0 and PersonalAccount.objects.count() == 0
    assert not Person.history.exists()


def test_dry_run_still_reports_bad_rows(tmp_path, region):
    # given
    path = write_csv(tmp_path, [person_line(kind="soldier")])

    # when
    status, _, err = run("import_persons", path, "--dry-run")

    # then
    assert status == 1
    assert stderr_lines(err)[0].startswith("line 2: insurance_type_unknown")


def test_reimporting_the_same_file_changes_nothing_and_writes_no_history(tmp_path, region):
    # given
    path = write_csv(
        tmp_path, [person_line(card="A00000001"), person_line(card="A00000002", kind="none", balance="")]
    )
    run("import_persons", path)
    before = (
        list(Person.objects.values_list("id", "id_number", "phone", "updated_at").order_by("id")),
        Person.history.count(),
        PersonalAccount.history.count(),
        AccountEntry.objects.count(),
    )

    # when
    status, out, _ = run("import_persons", path)

    # then
    assert status == 0
    assert "inserted 0, updated 0, unchanged 2, accounts opened 0" in out
    after = (
        list(Person.objects.values_list("id", "id_number", "phone", "updated_at").order_by("id")),
        Person.history.count(),
        PersonalAccount.history.count(),
        AccountEntry.objects.count(),
    )
    assert after == before


def test_changed_name_is_updated_with_a_history_row_by_the_actor(tmp_path, region):
    # given
    staff = StaffFactory(region=region)
    number = make_id_number()
    run("import_persons", write_csv(tmp_path, [person_line(number, name="张三")]))
    stored = Person.objects.get()
    ciphertext = Person.objects.filter(pk=stored.pk).values_list("id_number", flat=True).get()

    # when
    status, out, _ = run(
        "import_persons", write_csv(tmp_path, [person_line(number, name="张叁")]), "--actor", staff.username
    )

    # then
    assert status == 0 and "inserted 0, updated 1" in out
    person = Person.objects.get()
    assert (person.pk, person.name) == (stored.pk, "张叁")
    assert Person.objects.filter(pk=person.pk).values_list("id_number", flat=True).get() == ciphertext
    latest = person.history.order_by("-history_id").first()
    assert (latest.history_type, latest.name, latest.history_change_reason) == ("~", "张叁", "import_persons")
    assert latest.history_user_id == staff.pk


def test_changed_phone_is_encrypted_again_and_other_numbers_are_not_rewritten(tmp_path, region):
    # given
    number = make_id_number()
    run("import_persons", write_csv(tmp_path, [person_line(number, phone="13800000001")]))

    # when
    run("import_persons", write_csv(tmp_path, [person_line(number, phone="13900000009")]))

    # then
    person = Person.objects.get()
    assert person.phone == "13900000009"
    assert person.phone_hash == crypto.lookup_hash("13900000009")


def test_new_persons_and_accounts_get_creation_history_rows(tmp_path, region):
    # given
    path = write_csv(
        tmp_path, [person_line(card="A00000001"), person_line(card="A00000002", kind="resident", balance="")]
    )

    # when
    run("import_persons", path)

    # then
    assert sorted(Person.history.values_list("card_number", "history_type", "history_change_reason")) == [
        ("A00000001", "+", "import_persons"),
        ("A00000002", "+", "import_persons"),
    ]
    (account_history,) = PersonalAccount.history.all()
    assert (account_history.history_type, account_history.balance_fen) == ("+", 100000)
    assert account_history.history_user_id is None


def test_opening_balance_is_one_credit_entry_and_equals_the_sum_of_entries(tmp_path, region):
    # given
    path = write_csv(tmp_path, [person_line(balance="123456")])

    # when
    run("import_persons", path)

    # then
    account = PersonalAccount.objects.get()
    (entry,) = account.entries.all()
    assert account.balance_fen == 123456
    assert (entry.kind, entry.amount_fen, entry.balance_after_fen, entry.description) == (
        "credit",
        123456,
        123456,
        "期初余额",
    )
    assert entry.public_id is not None
    assert sum(account.entries.values_list("amount_fen", flat=True)) == account.balance_fen


def test_employee_with_an_empty_balance_gets_an_empty_account_without_entries(tmp_path, region):
    # given
    path = write_csv(tmp_path, [person_line(balance="")])

    # when
    run("import_persons", path)

    # then
    account = PersonalAccount.objects.get()
    assert account.balance_fen == 0
    assert not account.entries.exists()


def test_reimport_does_not_change_an_existing_account_balance(tmp_path, region):
    # given
    number = make_id_number()
    run("import_persons", write_csv(tmp_path, [person_line(number, balance="5000")]))

    # when
    status, out, _ = run("import_persons", write_csv(tmp_path, [person_line(number, balance="9000")]))

    # then
    assert status == 0 and "accounts opened 0" in out
    account = PersonalAccount.objects.get()
    assert account.balance_fen == 5000
    assert sum(account.entries.values_list("amount_fen", flat=True)) == 5000


def test_person_who_becomes_an_employee_gets_an_account(tmp_path, region):
    # given
    number = make_id_number()
    run("import_persons", write_csv(tmp_path, [person_line(number, kind="resident", balance="")]))

    # when
    run("import_persons", write_csv(tmp_path, [person_line(number, kind="employee", balance="700")]))

    # then
    assert PersonalAccount.objects.get().balance_fen == 700
    assert Person.history.filter(history_type="~").count() == 1


def test_person_keeping_their_own_card_is_not_a_duplicate(tmp_path, region):
    # given
    number = make_id_number()
    run("import_persons", write_csv(tmp_path, [person_line(number, card="A00000001", status="normal")]))

    # when
    status, out, err = run(
        "import_persons", write_csv(tmp_path, [person_line(number, card="A00000001", status="arrears")])
    )

    # then
    assert (status, err) == (0, "")
    assert Person.objects.get().status == "arrears"


def test_unknown_actor_is_refused(tmp_path, region):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        run("import_persons", write_csv(tmp_path, [person_line()]), "--actor", "nobody")
    assert Person.objects.count() == 0


def test_import_sql_writes_every_column_of_the_models():
    """If a model gains a column, the set-based SQL of import_persons must be reviewed."""

    def columns(model: type) -> set[str]:
        return {f.column for f in model._meta.concrete_fields} - {"id"}

    assert columns(Person) == set(persons_module.PERSON_COLUMNS)
    assert columns(PersonalAccount) == set(persons_module.ACCOUNT_COLUMNS)
    assert columns(AccountEntry) == set(persons_module.ENTRY_COLUMNS)


# --- import_regions and import_institutions -----------------------------------------------------

REGION_HEADER = "region_code,province_code,name,level"
INSTITUTION_HEADER = "code,name,region_code,kind"


def test_regions_are_upserted_by_code(tmp_path):
    # given
    ProvinceFactory(code="130000", name="河北省")
    run("import_regions", write_csv(tmp_path, ["130100,130000,石家庄市,prefecture"], header=REGION_HEADER))

    # when
    status, out, err = run(
        "import_regions",
        write_csv(
            tmp_path,
            [
                "130100,130000,石家庄,prefecture",
                "139900,130000,省本级,province",
                "130181,130000,辛集市,county",
            ],
            header=REGION_HEADER,
        ),
    )

    # then
    assert (status, err) == (0, "")
    assert "inserted 2, updated 1, unchanged 0" in out
    assert dict(PoolingRegion.objects.values_list("code", "name")) == {
        "130100": "石家庄",
        "139900": "省本级",
        "130181": "辛集市",
    }


def test_region_with_an_unknown_province_or_level_is_refused(tmp_path):
    # given
    ProvinceFactory(code="130000", name="河北省")
    path = write_csv(
        tmp_path,
        [
            "130100,130000,石家庄市,prefecture",
            "710100,710000,台北市,prefecture",
            "130200,130000,唐山市,city",
            "13030,130000,秦皇岛市,prefecture",
            "140100,130000,太原市,prefecture",
            "130100,130000,石家庄市,prefecture",
            "130500,130000,<script>,prefecture",
        ],
        header=REGION_HEADER,
    )

    # when
    status, _, err = run("import_regions", path)

    # then
    assert status == 1
    assert [line.split(" ")[:3] for line in stderr_lines(err)] == [
        ["line", "3:", "province_not_found"],
        ["line", "4:", "region_level_unknown"],
        ["line", "5:", "region_code_format"],
        ["line", "6:", "region_province_mismatch"],
        ["line", "7:", "duplicate_code"],
        ["line", "8:", "region_name_invalid"],
    ]
    assert not PoolingRegion.objects.exists()


def test_regions_dry_run_stores_nothing(tmp_path):
    # given
    ProvinceFactory(code="130000", name="河北省")
    path = write_csv(tmp_path, ["130100,130000,石家庄市,prefecture"], header=REGION_HEADER)

    # when
    status, out, _ = run("import_regions", path, "--dry-run")

    # then
    assert status == 0 and "inserted 1" in out
    assert not PoolingRegion.objects.exists()


def test_institutions_are_upserted_by_code(tmp_path, region):
    # given
    InstitutionFactory(code="H11010100001", name="旧名称医院", region=region, kind="hospital")
    path = write_csv(
        tmp_path,
        [
            "H11010100001,北京协和医院,110100,hospital",
            "P11010100002,国药控股（北京）大药房-第1分店,110100,pharmacy",
        ],
        header=INSTITUTION_HEADER,
    )

    # when
    status, out, err = run("import_institutions", path)

    # then
    assert (status, err) == (0, "")
    assert "inserted 1, updated 1" in out
    assert dict(Institution.objects.values_list("code", "kind")) == {
        "H11010100001": "hospital",
        "P11010100002": "pharmacy",
    }


def test_institution_with_an_unknown_region_or_kind_is_refused(tmp_path, region):
    # given
    path = write_csv(
        tmp_path,
        [
            "H1,医院甲,110100,hospital",
            "H2,医院乙,999999,hospital",
            "H3,医院丙,110100,clinic",
            "H1,医院甲,110100,hospital",
        ],
        header=INSTITUTION_HEADER,
    )

    # when
    status, _, err = run("import_institutions", path)

    # then
    assert status == 1
    assert [line.split(" ")[:3] for line in stderr_lines(err)] == [
        ["line", "3:", "region_not_found"],
        ["line", "4:", "institution_kind_unknown"],
        ["line", "5:", "duplicate_code"],
    ]
    assert not Institution.objects.exists()


def test_missing_file_is_an_error(tmp_path):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("import_regions", str(tmp_path / "missing.csv"))


# --- the bulk crypto the import uses ------------------------------------------------------------


def test_bulk_encryption_gives_fernet_tokens_that_crypto_decrypts():
    # given
    from accounts.imports.bulk_crypto import BulkEncryptor

    values = [make_id_number(), "13800000001", "", "张三"]

    # when
    tokens = BulkEncryptor().encrypt_all(values)

    # then
    assert [crypto.decrypt(t) for t in tokens] == values
    assert len(set(tokens)) == len(tokens)  # a fresh IV for each value
    assert all(t.startswith("gAAAAA") for t in tokens)  # Fernet version byte 0x80


def test_bulk_lookup_hash_equals_crypto_lookup_hash():
    from accounts.imports.bulk_crypto import lookup_hasher

    number = make_id_number()
    assert lookup_hasher()(number) == crypto.lookup_hash(number)


# --- file shape ----------------------------------------------------------------------------------


def test_file_with_only_a_header_imports_nothing(tmp_path, region):
    # given
    path = write_csv(tmp_path, [])

    # when
    status, out, err = run("import_persons", path)

    # then
    assert (status, err) == (0, "")
    assert "rows read 0, inserted 0" in out


def test_windows_line_endings_and_a_bom_are_read(tmp_path, region):
    # given
    path = tmp_path / "excel.csv"
    text = "\r\n".join([HEADER, person_line(card="A00000001"), person_line(card="A00000002")]) + "\r\n"
    path.write_bytes(b"\xef\xbb\xbf" + text.encode())

    # when
    status, _, err = run("import_persons", path)

    # then
    assert (status, err) == (0, "")
    assert Person.objects.count() == 2


def test_file_that_is_not_utf8_is_refused(tmp_path, region):
    # given: the same content saved as GBK, as older spreadsheets do
    path = tmp_path / "gbk.csv"
    path.write_bytes("\n".join([HEADER, person_line()]).encode("gbk"))

    # when
    status, _, err = run("import_persons", path)

    # then
    assert status == 1
    assert stderr_lines(err)[0].split(" ")[2] == "encoding"
    assert Person.objects.count() == 0


def test_stored_employee_without_an_account_gets_one_on_the_next_import(tmp_path, region):
    # given: a person stored by other means, without an account
    person = PersonFactory(region=region, card_number="A00000007", insurance_type="employee")
    line = person_line(
        person.id_number, name=person.name, card="A00000007", phone=person.phone, balance="321"
    )

    # when
    status, out, _ = run("import_persons", write_csv(tmp_path, [line]))

    # then
    assert status == 0 and "accounts opened 1" in out
    assert PersonalAccount.objects.get(person=person).balance_fen == 321


@pytest.fixture
def batches_of_two(monkeypatch):
    """A file of a few lines spans several batches (the database thread inserts batch by batch)."""
    from accounts.imports import persons

    monkeypatch.setattr(persons, "BATCH_ROWS", 2)


def test_file_of_several_batches_imports_every_person_with_account_and_history(
    tmp_path, region, batches_of_two
):
    # given
    lines = [person_line(card=f"A0000000{i}", balance=str(i * 100)) for i in range(1, 6)]
    path = write_csv(tmp_path, lines)

    # when
    status, _, _ = run("import_persons", path)

    # then
    assert status == 0
    assert Person.objects.count() == 5
    assert sorted(PersonalAccount.objects.values_list("balance_fen", flat=True)) == [100, 200, 300, 400, 500]
    assert AccountEntry.objects.count() == 5
    assert Person.history.filter(history_type="+").count() == 5


def test_bad_row_in_a_later_batch_leaves_nothing_of_the_earlier_batches(tmp_path, region, batches_of_two):
    # given: lines 2-5 are good and would be inserted before line 6 is read
    correct = with_check_digit("11010119900307123")
    bad = correct[:-1] + ("1" if correct[-1] == "0" else "0")
    lines = [person_line(card=f"A0000000{i}") for i in range(1, 5)] + [person_line(bad, card="A00000005")]
    path = write_csv(tmp_path, lines)

    # when
    status, _, err = run("import_persons", path)

    # then
    assert status == 1
    assert stderr_lines(err)[0].startswith("line 6: id_number_checksum")
    assert Person.objects.count() == 0
    assert PersonalAccount.objects.count() == 0
    assert AccountEntry.objects.count() == 0
    assert Person.history.count() == 0


def test_numbers_repeated_in_another_batch_are_reported_and_nothing_is_stored(
    tmp_path, region, batches_of_two
):
    # given: line 5 repeats line 2's identity number, line 6 repeats line 3's card
    number = make_id_number()
    lines = [
        person_line(number, card="A00000001"),
        person_line(card="A00000002"),
        person_line(card="A00000003"),
        person_line(number, card="A00000004"),
        person_line(card="A00000002"),
    ]
    path = write_csv(tmp_path, lines)

    # when
    status, _, err = run("import_persons", path)

    # then
    assert status == 1
    reported = [line.split(" ", 3)[:3] for line in stderr_lines(err)]
    assert reported == [["line", "5:", "duplicate_id_number"], ["line", "6:", "duplicate_card_number"]]
    assert Person.objects.count() == 0


def test_problems_of_several_batches_are_listed_in_line_order(tmp_path, region, batches_of_two):
    # given: a stored person holds card A00000009, which line 3 gives; line 4 repeats line 2's
    # card (found by the whole-file check at the end); line 6 has a bad checksum (found first, by
    # the parsing thread)
    PersonFactory(card_number="A00000009", region=region)
    correct = with_check_digit("11010119900307123")
    bad = correct[:-1] + ("1" if correct[-1] == "0" else "0")
    lines = [
        person_line(card="A00000001"),
        person_line(card="A00000009"),
        person_line(card="A00000001"),
        person_line(card="A00000005"),
        person_line(bad, card="A00000006"),
    ]

    # when
    status, _, err = run("import_persons", write_csv(tmp_path, lines))

    # then
    assert status == 1
    assert [line.split(":")[0] for line in stderr_lines(err)] == ["line 3", "line 4", "line 6"]
    assert "（已属于另一参保人）" in stderr_lines(err)[0]
    assert "（与第 2 行相同）" in stderr_lines(err)[1]
    assert "id_number_checksum" in stderr_lines(err)[2]
    assert Person.objects.count() == 1

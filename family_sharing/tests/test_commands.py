"""The family-sharing management commands (API.md section 5): import_kinship, set_policy,
enable_cross_province, verify_bindings, and the default policy versions of load_reference_data."""

import datetime as dt
import io
from pathlib import Path

import pytest
from django.contrib.admin.models import LogEntry
from django.core.management import call_command
from stdnum.cn import ric

from accounts.models import PoolingRegion, Province
from accounts.tests.factories import PersonFactory, RegionFactory, StaffFactory, make_id_number
from family_sharing.eligibility import binding_eligibility, relation_facts
from family_sharing.imports.kinship import EDGE_COLUMNS, STAGING_COLUMNS, KinshipRow
from family_sharing.models import Binding, BindingEvent, KinshipEdge, PolicyVersion
from family_sharing.policy import policy_scope_on
from family_sharing.reference import POLICY_DEFAULTS
from family_sharing.tests.factories import BindingFactory, PolicyFactory, parent_edge, person, sharer

pytestmark = pytest.mark.django_db

HEADER = "kind,a_id_number,b_id_number,parent_kind,valid_from,valid_to"


def write_csv(tmp_path: Path, lines: list[str], *, header: str = HEADER, name: str = "kinship.csv") -> Path:
    path = tmp_path / name
    path.write_text("\n".join([header, *lines]) + "\n", encoding="utf-8")
    return path


def run(command: str, *args: str) -> tuple[int, str, str]:
    """Runs a command as a bureau script would: exit status, stdout, stderr."""
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command(command, *args, stdout=out, stderr=err)
    except SystemExit as exc:
        return int(exc.code or 0), out.getvalue(), err.getvalue()
    return 0, out.getvalue(), err.getvalue()


def stderr_lines(err: str) -> list[str]:
    return [line for line in err.splitlines() if line]


def edges() -> list[tuple]:
    return list(
        KinshipEdge.objects.order_by("kind", "a_id", "b_id", "valid_from").values_list(
            "kind", "a_id", "b_id", "parent_kind", "valid_from", "valid_to"
        )
    )


def with_check_digit(body: str) -> str:
    return body + ric.calc_check_digit(body + "0")


@pytest.fixture
def couple():
    """A husband imported after his wife (so his pk is the larger one) and their two children."""
    wife = PersonFactory(birth=dt.date(1982, 3, 1), male=False)
    husband = PersonFactory(birth=dt.date(1980, 5, 1))
    son = PersonFactory(birth=dt.date(2008, 1, 1), insurance_type="resident")
    daughter = PersonFactory(birth=dt.date(2010, 1, 1), male=False, insurance_type="resident")
    return {"wife": wife, "husband": husband, "son": son, "daughter": daughter}


def marriage(c, *, valid_to: str = "") -> str:
    return f"spouse,{c['husband'].id_number},{c['wife'].id_number},,2005-10-01,{valid_to}"


def parent_line(parent, child, kind: str = "birth", valid_from: str = "") -> str:
    return f"parent,{parent.id_number},{child.id_number},{kind},{valid_from},"


# --- import_kinship: a good file -----------------------------------------------------------------


def test_valid_file_stores_spouse_edges_ordered_by_pk_and_parent_edges_from_parent_to_child(tmp_path, couple):
    # given: the husband (larger pk) is written first on the spouse line
    c = couple
    path = write_csv(
        tmp_path,
        [marriage(c), parent_line(c["husband"], c["son"]), parent_line(c["wife"], c["daughter"], "adoptive")],
    )

    # when
    status, out, err = run("import_kinship", str(path))

    # then
    assert (status, err) == (0, "")
    assert "rows read 3, inserted 3, updated 0, unchanged 0, spouse edges 1, parent edges 2" in out
    assert edges() == [
        ("parent", c["wife"].pk, c["daughter"].pk, "adoptive", None, None),
        ("parent", c["husband"].pk, c["son"].pk, "birth", None, None),
        ("spouse", c["wife"].pk, c["husband"].pk, "", dt.date(2005, 10, 1), None),
    ]
    assert set(KinshipEdge.objects.values_list("source", flat=True)) == {"import"}


def test_identity_numbers_with_a_lower_case_x_and_spaces_are_normalised(tmp_path):
    # given
    number = next(n for n in (make_id_number() for _ in range(1000)) if n.endswith("X"))
    parent = PersonFactory(id_number=number, birth=dt.date(1980, 1, 1))
    child = PersonFactory(birth=dt.date(2010, 1, 1))
    path = write_csv(tmp_path, [f'parent," {number.lower()} ",{child.id_number},birth,,'])

    # when
    status, _, err = run("import_kinship", str(path))

    # then
    assert (status, err) == (0, "")
    assert edges() == [("parent", parent.pk, child.pk, "birth", None, None)]


def test_a_marriage_without_a_date_is_stored_once_however_often_it_is_imported(tmp_path, couple):
    # given: the household register lists a spouse without the marriage date
    c = couple
    path = write_csv(tmp_path, [f"spouse,{c['husband'].id_number},{c['wife'].id_number},,,"])
    run("import_kinship", str(path))

    # when: the same marriage, also without a date, arrives again (the unique index treats the
    # empty dates as one key: NULLS NOT DISTINCT)
    status, out, _ = run("import_kinship", str(path))

    # then
    assert status == 0 and "inserted 0, updated 0, unchanged 1" in out
    assert edges() == [("spouse", c["wife"].pk, c["husband"].pk, "", None, None)]


def test_the_import_sql_writes_every_column_of_the_edge_model():
    # an edge column the import did not write would silently keep its default
    model_columns = {f.column for f in KinshipEdge._meta.concrete_fields} - {"id"}
    assert set(EDGE_COLUMNS) == model_columns
    assert len(KinshipRow(1).staged()) == len(STAGING_COLUMNS)


# --- import_kinship: bad rows --------------------------------------------------------------------


def _bad_rows(c) -> dict[str, str]:
    h, w, s = c["husband"], c["wife"], c["son"]
    unknown = make_id_number(birth=dt.date(1990, 1, 1))  # valid, but never imported
    valid = make_id_number(birth=dt.date(1990, 1, 1))
    return {
        "edge_kind_unknown": f"sibling,{h.id_number},{w.id_number},,,",
        "id_number_format": f"parent,12345,{s.id_number},birth,,",
        "id_number_checksum": f"parent,{h.id_number},{valid[:17]}{'0' if valid[17] != '0' else '1'},birth,,",
        "id_number_birth_date": f"parent,{with_check_digit('11010119901332001')},{s.id_number},birth,,",
        "id_number_address": f"parent,{with_check_digit('99999919900101001')},{s.id_number},birth,,",
        "edge_self": f"spouse,{h.id_number},{h.id_number},,2005-10-01,",
        "parent_kind_unknown": f"parent,{h.id_number},{s.id_number},foster,,",
        "parent_kind_not_for_spouse": f"spouse,{h.id_number},{w.id_number},birth,2006-01-01,",
        "date_format": f"spouse,{h.id_number},{w.id_number},,2005/10/01,",
        "edge_dates_order": f"parent,{h.id_number},{s.id_number},birth,2008-01-01,2007-12-31",
        "person_not_found": f"parent,{unknown},{s.id_number},birth,,",
        # the first line of the file is the husband-wife marriage: the same couple in the other
        # order with the same date is the same edge
        "duplicate_edge": f"spouse,{w.id_number},{h.id_number},,2005-10-01,2020-01-01",
    }


@pytest.mark.parametrize(
    "code",
    [
        "edge_kind_unknown",
        "id_number_format",
        "id_number_checksum",
        "id_number_birth_date",
        "id_number_address",
        "edge_self",
        "parent_kind_unknown",
        "parent_kind_not_for_spouse",
        "date_format",
        "edge_dates_order",
        "person_not_found",
        "duplicate_edge",
    ],
)
def test_each_bad_row_is_reported_with_its_line_and_code_and_nothing_is_stored(tmp_path, couple, code):
    # given: a good line 2, then the bad line 3, then another good line 4
    c = couple
    path = write_csv(tmp_path, [marriage(c), _bad_rows(c)[code], parent_line(c["wife"], c["son"])])

    # when
    status, out, err = run("import_kinship", str(path))

    # then
    assert status == 1 and out == ""
    lines = stderr_lines(err)
    assert lines and all(line.startswith(f"line 3: {code} ") for line in lines), lines
    assert KinshipEdge.objects.count() == 0


def test_a_parent_edge_without_its_kind_is_refused(tmp_path, couple):
    # given
    path = write_csv(tmp_path, [parent_line(couple["husband"], couple["son"], kind="")])

    # when
    status, _, err = run("import_kinship", str(path))

    # then
    assert status == 1
    assert stderr_lines(err) == [
        "line 2: parent_kind_unknown 亲子关系类型应为 birth、adoptive、step_supported 或 step"
    ]


def test_a_person_not_imported_is_named_by_its_column(tmp_path, couple):
    # given
    stranger = make_id_number(birth=dt.date(1950, 1, 1))
    path = write_csv(tmp_path, [f"parent,{stranger},{couple['son'].id_number},birth,,"])

    # when
    _, _, err = run("import_kinship", str(path))

    # then
    assert stderr_lines(err) == ["line 2: person_not_found 身份证号对应的参保人尚未导入（a_id_number）"]


def test_a_duplicate_parent_edge_names_the_earlier_line_whatever_its_kind(tmp_path, couple):
    # given
    c = couple
    path = write_csv(
        tmp_path, [parent_line(c["husband"], c["son"]), parent_line(c["husband"], c["son"], "step")]
    )

    # when
    _, _, err = run("import_kinship", str(path))

    # then
    assert stderr_lines(err) == ["line 3: duplicate_edge 同一文件中这条亲属关系重复（与第 2 行相同）"]


def test_a_second_marriage_of_the_same_couple_is_not_a_duplicate(tmp_path, couple):
    # given: married, divorced, married again
    c = couple
    path = write_csv(
        tmp_path,
        [
            marriage(c, valid_to="2010-01-31"),
            f"spouse,{c['wife'].id_number},{c['husband'].id_number},,2015-06-01,",
        ],
    )

    # when
    status, out, err = run("import_kinship", str(path))

    # then
    assert (status, err) == (0, "")
    assert KinshipEdge.objects.filter(kind="spouse").count() == 2


def test_every_problem_of_every_bad_row_is_reported_in_line_order(tmp_path, couple):
    # given
    c = couple
    stranger = make_id_number(birth=dt.date(1950, 1, 1))
    path = write_csv(
        tmp_path,
        [
            f"parent,{stranger},{c['son'].id_number},foster,2020-13-01,",
            marriage(c),
            f"cousin,123,{c['wife'].id_number},,,",
        ],
    )

    # when
    status, _, err = run("import_kinship", str(path))

    # then
    assert status == 1
    codes = [(line.split(":")[0], line.split(" ")[2]) for line in stderr_lines(err)]
    assert codes == [
        ("line 2", "parent_kind_unknown"),
        ("line 2", "date_format"),
        ("line 2", "person_not_found"),
        ("line 4", "edge_kind_unknown"),
        ("line 4", "id_number_format"),
    ]


def test_a_header_with_other_columns_is_reported_on_line_1(tmp_path, couple):
    # given
    path = write_csv(tmp_path, [marriage(couple)], header="kind,a,b,parent_kind,valid_from,valid_to")

    # when
    status, _, err = run("import_kinship", str(path))

    # then
    assert status == 1
    assert stderr_lines(err)[0].startswith("line 1: columns ")
    assert KinshipEdge.objects.count() == 0


# --- import_kinship: dry run, idempotency, upsert ------------------------------------------------


def test_dry_run_checks_and_stores_nothing(tmp_path, couple):
    # given
    path = write_csv(tmp_path, [marriage(couple), parent_line(couple["husband"], couple["son"])])

    # when
    status, out, err = run("import_kinship", str(path), "--dry-run")

    # then
    assert (status, err) == (0, "")
    assert out.startswith("dry run, nothing stored: rows read 2, inserted 2")
    assert KinshipEdge.objects.count() == 0


def test_dry_run_still_reports_bad_rows(tmp_path, couple):
    # given
    path = write_csv(tmp_path, [f"parent,{couple['husband'].id_number},{couple['son'].id_number},,,"])

    # when
    status, _, err = run("import_kinship", str(path), "--dry-run")

    # then
    assert status == 1
    assert stderr_lines(err)[0].startswith("line 2: parent_kind_unknown")


def test_importing_the_same_file_again_changes_nothing(tmp_path, couple):
    # given
    c = couple
    path = write_csv(
        tmp_path,
        [
            marriage(c),
            parent_line(c["husband"], c["son"], valid_from="2008-01-01"),
            parent_line(c["wife"], c["son"]),
        ],
    )
    run("import_kinship", str(path))
    before = list(
        KinshipEdge.objects.order_by("pk").values_list("pk", "updated_at", "valid_to", "parent_kind")
    )

    # when
    status, out, _ = run("import_kinship", str(path))

    # then
    assert status == 0
    assert "rows read 3, inserted 0, updated 0, unchanged 3" in out
    assert (
        list(KinshipEdge.objects.order_by("pk").values_list("pk", "updated_at", "valid_to", "parent_kind"))
        == before
    )


def test_a_later_file_with_valid_to_ends_the_marriage_and_the_next_pass_suspends_the_spouse_binding(
    tmp_path, couple, near_relatives_policy
):
    # given: an active binding of the husband paying for his wife, on a registered marriage
    c = couple
    run("import_kinship", str(write_csv(tmp_path, [marriage(c)], name="first.csv")))
    binding = BindingFactory(
        sharer=c["husband"], beneficiary=c["wife"], relation_code_id="12", status="active"
    )

    # when: the divorce arrives with the next registry file
    status, out, _ = run(
        "import_kinship", str(write_csv(tmp_path, [marriage(c, valid_to="2025-06-30")], name="later.csv"))
    )
    run("verify_bindings")

    # then
    assert status == 0 and "inserted 0, updated 1, unchanged 0" in out
    assert KinshipEdge.objects.get(kind="spouse").valid_to == dt.date(2025, 6, 30)
    binding.refresh_from_db()
    assert (binding.status, binding.reasons) == ("suspended", ["registry_edge_ended"])
    event = BindingEvent.objects.get(binding=binding)
    assert (event.from_status, event.to_status, event.channel) == ("active", "suspended", "system")


def test_a_later_file_may_change_the_kind_of_a_parent_edge(tmp_path, couple):
    # given: a step-father recorded without a support relationship
    c = couple
    run(
        "import_kinship",
        str(write_csv(tmp_path, [parent_line(c["husband"], c["daughter"], "step")], name="a.csv")),
    )

    # when: the registry now records that he supports her
    status, out, _ = run(
        "import_kinship",
        str(write_csv(tmp_path, [parent_line(c["husband"], c["daughter"], "step_supported")], name="b.csv")),
    )

    # then
    assert status == 0 and "inserted 0, updated 1" in out
    assert edges() == [("parent", c["husband"].pk, c["daughter"].pk, "step_supported", None, None)]


# --- set_policy, enable_cross_province -----------------------------------------------------------


@pytest.fixture
def region() -> PoolingRegion:
    return RegionFactory(code="110100")


def test_set_policy_stores_the_scope_of_a_region_from_a_date(region):
    # when
    status, out, err = run("set_policy", "110100", "core_family", "--from", "2022-03-01")

    # then
    assert (status, err) == (0, "")
    assert out.strip() == "policy of 110100 from 2022-03-01: core_family (inserted)"
    assert policy_scope_on(region_id=region.pk, as_of=dt.date(2022, 2, 28)) == "self_only"
    assert policy_scope_on(region_id=region.pk, as_of=dt.date(2022, 3, 1)) == "core_family"


def test_set_policy_again_for_the_same_date_changes_that_version_only(region):
    # given
    run("set_policy", "110100", "core_family", "--from", "2022-03-01")
    run("set_policy", "110100", "near_relatives", "--from", "2024-10-01")

    # when
    status, out, _ = run("set_policy", "110100", "near_relatives", "--from", "2022-03-01")
    again = run("set_policy", "110100", "near_relatives", "--from", "2022-03-01")

    # then
    assert status == 0 and out.strip().endswith("(updated)")
    assert again[1].strip().endswith("(unchanged)")
    assert list(PolicyVersion.objects.order_by("effective_from").values_list("effective_from", "scope")) == [
        (dt.date(2022, 3, 1), "near_relatives"),
        (dt.date(2024, 10, 1), "near_relatives"),
    ]


def test_set_policy_by_a_named_staff_member_is_in_the_admin_history(region):
    # given
    staff = StaffFactory(region=region)

    # when
    run("set_policy", "110100", "core_family", "--from", "2022-03-01", "--actor", staff.username)

    # then
    version = PolicyVersion.objects.get()
    entry = LogEntry.objects.get(object_id=str(version.pk))
    assert entry.user_id == staff.pk and "core_family" in entry.change_message


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["999900", "core_family", "--from", "2022-03-01"], "region_not_found 统筹区编码不存在"),
        (
            ["110100", "everyone", "--from", "2022-03-01"],
            "policy_scope_unknown 共济范围应为 self_only、core_family 或 near_relatives",
        ),
        (["110100", "core_family", "--from", "2022-02-30"], "date_format 日期格式应为 YYYY-MM-DD"),
        (["110100", "core_family", "--from", "20220301"], "date_format 日期格式应为 YYYY-MM-DD"),
    ],
)
def test_set_policy_refuses_bad_input_with_its_code_and_stores_nothing(region, args, expected):
    # when
    status, out, err = run("set_policy", *args)

    # then
    assert (status, out) == (1, "")
    assert stderr_lines(err) == [expected]
    assert not PolicyVersion.objects.exists()


def test_enable_cross_province_opens_a_region_from_a_date(region):
    # when
    status, out, err = run("enable_cross_province", "110100", "--from", "2025-03-01")

    # then
    assert (status, err) == (0, "")
    assert "from 2025-03-01 (was not enabled; inserted)" in out
    region.refresh_from_db()
    assert region.cross_province_from == dt.date(2025, 3, 1)


def test_enable_cross_province_replaces_a_stored_date(region):
    # given
    run("enable_cross_province", "110100", "--from", "2025-03-01")

    # when
    status, out, _ = run("enable_cross_province", "110100", "--from", "2025-01-01")

    # then
    assert status == 0 and "(was 2025-03-01; updated)" in out
    region.refresh_from_db()
    assert region.cross_province_from == dt.date(2025, 1, 1)


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["999900", "--from", "2025-03-01"], "region_not_found 统筹区编码不存在"),
        (["110100", "--from", "2025-3-1"], "date_format 日期格式应为 YYYY-MM-DD"),
    ],
)
def test_enable_cross_province_refuses_bad_input_with_its_code(region, args, expected):
    # when
    status, out, err = run("enable_cross_province", *args)

    # then
    assert (status, out) == (1, "")
    assert stderr_lines(err) == [expected]
    region.refresh_from_db()
    assert region.cross_province_from is None


# --- verify_bindings -----------------------------------------------------------------------------


def test_verify_bindings_runs_the_pass_and_prints_its_summary(tmp_path, couple, near_relatives_policy):
    # given: a counter binding of the husband for his registered wife, waiting for verification
    c = couple
    run("import_kinship", str(write_csv(tmp_path, [marriage(c)])))
    binding = BindingFactory(
        sharer=c["husband"], beneficiary=c["wife"], relation_code_id="12", status="pending_verification"
    )

    # when
    status, out, _ = run("verify_bindings")

    # then
    assert status == 0
    assert out.startswith("verified 1 pending bindings: 1 active, 0 need evidence, 0 rejected; 0 suspended")
    assert Binding.objects.get(pk=binding.pk).status == "active"


def test_verify_bindings_refuses_a_bad_date():
    status, _, err = run("verify_bindings", "--as-of", "tomorrow")
    assert status == 1 and stderr_lines(err) == ["date_format 日期格式应为 YYYY-MM-DD"]


# --- load_reference_data: the default policy versions --------------------------------------------


def test_load_reference_data_gives_every_region_core_family_from_2021_and_near_relatives_from_2024():
    # when
    out = run("load_reference_data")[1]

    # then
    regions = PoolingRegion.objects.count()
    assert regions > 300
    assert f"family_sharing: default policy versions: {2 * regions} (inserted {2 * regions}, kept 0)" in out
    versions: dict[int, list[tuple[dt.date, str]]] = {}
    for region_id, effective_from, scope in PolicyVersion.objects.order_by("effective_from").values_list(
        "region_id", "effective_from", "scope"
    ):
        versions.setdefault(region_id, []).append((effective_from, scope))
    assert len(versions) == regions
    assert {tuple(v) for v in versions.values()} == {
        ((dt.date(2021, 4, 22), "core_family"), (dt.date(2024, 12, 31), "near_relatives"))
    }
    sample = PoolingRegion.objects.get(code="440300")
    assert policy_scope_on(region_id=sample.pk, as_of=dt.date(2021, 4, 21)) == "self_only"
    assert policy_scope_on(region_id=sample.pk, as_of=dt.date(2021, 4, 22)) == "core_family"
    assert policy_scope_on(region_id=sample.pk, as_of=dt.date(2024, 12, 30)) == "core_family"
    assert policy_scope_on(region_id=sample.pk, as_of=dt.date(2024, 12, 31)) == "near_relatives"


def test_load_reference_data_twice_changes_no_policy_version():
    # given
    run("load_reference_data")
    before = list(
        PolicyVersion.objects.order_by("pk").values_list("pk", "region_id", "effective_from", "scope")
    )

    # when
    out = run("load_reference_data")[1]

    # then
    assert f"(inserted 0, kept {len(before)})" in out
    assert (
        list(PolicyVersion.objects.order_by("pk").values_list("pk", "region_id", "effective_from", "scope"))
        == before
    )


def test_load_reference_data_never_overwrites_a_version_staff_changed():
    # given: Shenzhen's staff say their region allowed only the core family until 2025-03-01
    run("load_reference_data")
    run("set_policy", "440300", "core_family", "--from", "2024-12-31")
    run("set_policy", "440300", "near_relatives", "--from", "2025-03-01")

    # when
    run("load_reference_data")

    # then
    shenzhen = PoolingRegion.objects.get(code="440300")
    assert list(shenzhen.policies.order_by("effective_from").values_list("effective_from", "scope")) == [
        (dt.date(2021, 4, 22), "core_family"),
        (dt.date(2024, 12, 31), "core_family"),
        (dt.date(2025, 3, 1), "near_relatives"),
    ]


def test_a_region_whose_staff_set_their_own_dates_gets_no_earlier_default():
    # given: a region imported after the defaults were loaded, whose staff set its own history
    run("load_reference_data")
    new = RegionFactory(code="440399", name="新区", province=Province.objects.get(code="440000"))
    PolicyFactory(region=new, scope="near_relatives", effective_from=dt.date(2026, 1, 1))

    # when
    run("load_reference_data")

    # then
    assert list(new.policies.values_list("effective_from", "scope")) == [
        (dt.date(2026, 1, 1), "near_relatives")
    ]


def test_a_region_added_later_gets_the_defaults_on_the_next_load():
    # given
    run("load_reference_data")
    new = RegionFactory(code="440399", name="新区", province=Province.objects.get(code="440000"))

    # when
    out = run("load_reference_data")[1]

    # then
    assert "(inserted 2, kept " in out
    assert [v.effective_from for v in new.policies.order_by("effective_from")] == [
        d.effective_from for d in POLICY_DEFAULTS
    ]


def test_with_the_defaults_a_sibling_is_in_scope_only_from_2024_12_31():
    # given: the defaults, a sharer in Beijing and his registered younger sister
    run("load_reference_data")
    beijing = PoolingRegion.objects.get(code="110100")
    me = sharer(region=beijing, birth=dt.date(1980, 5, 1))
    sister = person(1984, male=False, region=beijing)
    father = person(1950, region=beijing)
    parent_edge(father, me)
    parent_edge(father, sister)

    # when
    before = binding_eligibility(
        sharer=me, beneficiary=sister, relation=relation_facts("77"), as_of=dt.date(2024, 12, 30)
    )
    after = binding_eligibility(
        sharer=me, beneficiary=sister, relation=relation_facts("77"), as_of=dt.date(2024, 12, 31)
    )

    # then
    assert before.codes() == ["relation_out_of_policy_scope"]
    assert after.codes() == [] and after.eligible

"""load_reference_data (API.md section 5, docs/decisions/0003-reference-dates.md)."""

import datetime as dt
import io
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

from accounts.imports.divisions import current_name
from accounts.imports.reference import CROSS_PROVINCE_FIRST_BATCH_FROM
from accounts.models import PoolingRegion, Province, RelationCode
from portal.management.commands.load_reference_data import DATA_DIR, our_app_labels

pytestmark = pytest.mark.django_db


def load(*args: str) -> str:
    out = io.StringIO()
    call_command("load_reference_data", *args, stdout=out)
    return out.getvalue()


def test_the_31_provinces_are_loaded():
    # when
    load()

    # then
    assert Province.objects.count() == 31
    assert Province.objects.get(code="440000").name == "广东省"
    assert not Province.objects.filter(code__in=["710000", "810000", "820000"]).exists()


def test_every_province_has_its_provincial_pool_named_sheng_ben_ji():
    # when
    load()

    # then
    pools = PoolingRegion.objects.filter(level="province")
    assert pools.count() == 31
    assert {r.code for r in pools} == {p.code[:2] + "9900" for p in Province.objects.all()}
    assert set(pools.values_list("name", flat=True)) == {"省本级"}


def test_every_current_prefecture_level_division_is_a_pooling_region():
    # when
    load()

    # then: 333 prefecture-level divisions, plus one region per municipality, plus the
    # first batch's 雄安新区 (a prefecture-level pool the division table does not list)
    prefectures = PoolingRegion.objects.filter(level="prefecture")
    assert prefectures.count() == 333 + 4 + 1
    names = dict(prefectures.values_list("code", "name"))
    assert names["130300"] == "秦皇岛市"
    assert names["420600"] == "襄阳市"  # renamed from 襄樊市 in 2010: the current name
    assert names["440300"] == "深圳市"
    assert names["652300"] == "昌吉回族自治州"
    assert names["133100"] == "雄安新区"


def test_municipalities_have_one_region_named_after_them():
    # when
    load()

    # then
    for code, name in [
        ("110100", "北京市"),
        ("120100", "天津市"),
        ("310100", "上海市"),
        ("500100", "重庆市"),
    ]:
        region = PoolingRegion.objects.get(code=code)
        assert (region.name, region.level, region.province_id) == (name, "prefecture", code[:2] + "0000")
    assert not PoolingRegion.objects.filter(code="500200").exists()  # 县: a grouping, not a division


def test_historical_divisions_and_grouping_codes_are_not_regions():
    # when
    load()

    # then
    assert not PoolingRegion.objects.filter(
        code__in=["132100", "142200", "422900", "419000", "659000"]
    ).exists()
    assert not PoolingRegion.objects.filter(name__in=["市辖区", "县", "林区"]).exists()
    assert not PoolingRegion.objects.filter(name__contains="直辖").exists()


def test_division_entry_names_the_current_division_or_none():
    assert current_name("[-1991]东郊区,[1992-]东丽区") == "东丽区"
    assert current_name("[1983-]秦皇岛市") == "秦皇岛市"
    assert current_name("北京市") == "北京市"
    assert current_name("[1983-1999]忻州地区") is None


def test_relation_codes_are_loaded_with_their_near_relative_flags():
    # when
    load()

    # then
    assert RelationCode.objects.count() == 82
    father = RelationCode.objects.get(code="51")
    son_in_law = RelationCode.objects.get(code="28")
    assert (father.name_zh, father.kin, father.near_relative, father.core_family) == (
        "父亲",
        "parent",
        True,
        True,
    )
    assert (son_in_law.near_relative, son_in_law.core_family) == (False, False)
    assert RelationCode.objects.get(code="63").line == "maternal"


def test_cross_province_first_batch_is_enabled_from_the_documented_date():
    # when
    load()

    # then
    enabled = PoolingRegion.objects.exclude(cross_province_from=None)
    assert enabled.count() == 31
    assert set(enabled.values_list("cross_province_from", flat=True)) == {dt.date(2025, 1, 1)}
    assert CROSS_PROVINCE_FIRST_BATCH_FROM == dt.date(2025, 1, 1)
    yunyang = PoolingRegion.objects.get(code="500235")
    assert (yunyang.name, yunyang.level, yunyang.province_id) == ("云阳县", "county", "500000")
    assert PoolingRegion.objects.get(code="139900").cross_province_from == dt.date(2025, 1, 1)
    assert PoolingRegion.objects.get(code="110100").cross_province_from is None


def test_cross_province_date_can_be_given_on_the_command_line():
    # when
    load("--cross-province-from", "2025-03-01")

    # then
    assert PoolingRegion.objects.get(code="510100").cross_province_from == dt.date(2025, 3, 1)


def test_a_cross_province_date_already_stored_is_kept():
    # given
    load()
    PoolingRegion.objects.filter(code="510100").update(cross_province_from=dt.date(2024, 6, 1))

    # when
    load()

    # then
    assert PoolingRegion.objects.get(code="510100").cross_province_from == dt.date(2024, 6, 1)


def test_loading_twice_changes_nothing():
    # given
    load()
    before = list(PoolingRegion.objects.order_by("code").values_list())

    # when
    out = load()

    # then
    assert "inserted 0, updated 0" in out
    assert " inserted 1" not in out and "updated 1" not in out
    assert list(PoolingRegion.objects.order_by("code").values_list()) == before


def test_summary_prints_counts_per_kind_of_data():
    # when
    out = load()

    # then
    assert "accounts: provinces: 31 (inserted 31, updated 0, unchanged 0)" in out
    assert "accounts: relation codes: 82 (inserted 82" in out


def test_reference_files_live_inside_the_project():
    assert DATA_DIR.is_relative_to(Path(settings.BASE_DIR))
    assert {p.name for p in DATA_DIR.glob("*.csv")} >= {
        "provinces.csv",
        "family_relationship_codes.csv",
        "cross_province_first_batch.csv",
    }


def test_only_our_apps_are_asked_for_reference_data():
    labels = our_app_labels()
    assert labels[0] == "accounts"
    assert "family_sharing" in labels
    assert not any(
        label.startswith(("django", "rest_framework", "simple_history", "axes")) for label in labels
    )

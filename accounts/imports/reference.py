"""Reference data of the accounts app, loaded by `load_reference_data` (API.md section 5):
provinces, relation codes, a pooling region per prefecture-level division and per province's
省本级, and the cross-province first batch. Every loader is an idempotent upsert."""

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction

from accounts.imports.divisions import MUNICIPALITIES, prefectures
from accounts.imports.regions import RegionSpec, UpsertCounts, region_upsert_many
from accounts.models import Province, RegionLevel, RelationCode
from portal.core.csvimport import CellError, CsvReader, ImportRejected, RowError, parse_bool

# The date from which the 31 regions of the cross-province first batch count as enabled.
# 国家医保局 announced the first batch of 跨省共济 regions at the end of 2024, to go live with the
# new year; 2025-01-01 is the first day on which every region of the batch is treated as open. It
# is a default, not a fact we hold for each region: a bureau that knows its region's own date
# passes `load_reference_data --cross-province-from DATE` on the first load, or corrects one region
# with `enable_cross_province`. A date already stored is never overwritten by a later load.
# See docs/decisions/0003-reference-dates.md.
CROSS_PROVINCE_FIRST_BATCH_FROM = dt.date(2025, 1, 1)

PROVINCES_FILE = "provinces.csv"
RELATION_CODES_FILE = "family_relationship_codes.csv"
CROSS_PROVINCE_FILE = "cross_province_first_batch.csv"
PROVINCIAL_POOL_NAME = "省本级"


@dataclass(frozen=True)
class Loaded:
    what: str
    counts: UpsertCounts

    def __str__(self) -> str:
        c = self.counts
        total = c.inserted + c.updated + c.unchanged
        return f"{self.what}: {total} (inserted {c.inserted}, updated {c.updated}, unchanged {c.unchanged})"


def provincial_pool_code(province_code: str) -> str:
    """省本级: the province's own pooling region, XX9900."""
    return f"{province_code[:2]}9900"


@transaction.atomic
def reference_load(*, data_dir: Path, cross_province_from: dt.date | None = None) -> list[Loaded]:
    """Loads everything in dependency order; all or nothing."""
    return [
        Loaded("provinces", provinces_load(path=data_dir / PROVINCES_FILE)),
        Loaded("relation codes", relation_codes_load(path=data_dir / RELATION_CODES_FILE)),
        Loaded("pooling regions", pooling_regions_load()),
        Loaded(
            "cross-province first batch",
            cross_province_batch_load(
                path=data_dir / CROSS_PROVINCE_FILE,
                enabled_from=cross_province_from or CROSS_PROVINCE_FIRST_BATCH_FROM,
            ),
        ),
    ]


def provinces_load(*, path: Path) -> UpsertCounts:
    reader = CsvReader(path, ("province_code", "name"))
    rows = {code: name for _, (code, name) in reader.rows()}
    _reject(reader.errors)
    stored = {p.code: p for p in Province.objects.select_for_update().filter(code__in=rows)}
    new = [Province(code=code, name=name) for code, name in rows.items() if code not in stored]
    changed = [p for p in stored.values() if p.name != rows[p.code]]
    for province in changed:
        province.name = rows[province.code]
    Province.objects.bulk_create(new)
    Province.objects.bulk_update(changed, ["name"])
    return UpsertCounts(len(new), len(changed), len(rows) - len(new) - len(changed))


def relation_codes_load(*, path: Path) -> UpsertCounts:
    """GB/T 4761-2008 家庭关系代码 with the kin, line and near-relative flags of DESIGN.md 4."""
    columns = ("code", "name_zh", "name_en", "kin", "line", "near_relative", "core_family")
    reader = CsvReader(path, columns)
    rows: dict[str, RelationCode] = {}
    problems: list[RowError] = []
    for line, (code, name_zh, name_en, kin, relation_line, near, core) in reader.rows():
        try:
            rows[code] = RelationCode(
                code=code,
                name_zh=name_zh,
                name_en=name_en,
                kin=kin,
                line=relation_line,
                near_relative=parse_bool(near),
                core_family=parse_bool(core),
            )
        except CellError as exc:
            problems.append(RowError.of(line, exc.code))
    _reject([*reader.errors, *problems])
    fields = [f for f in columns if f != "code"]
    stored = {r.code: r for r in RelationCode.objects.select_for_update().filter(code__in=rows)}
    new = [r for code, r in rows.items() if code not in stored]
    changed = [
        r
        for code, r in rows.items()
        if code in stored and _values(stored[code], fields) != _values(r, fields)
    ]
    RelationCode.objects.bulk_create(new)
    RelationCode.objects.bulk_update(changed, fields)
    return UpsertCounts(len(new), len(changed), len(rows) - len(new) - len(changed))


def pooling_regions_load() -> UpsertCounts:
    """A pooling region for every current prefecture-level division of each stored province
    (python-stdnum's loc.dat), one XX0100 region for each municipality, and each province's
    省本级 (XX9900)."""
    specs: list[RegionSpec] = []
    for province in Province.objects.order_by("code"):
        if province.code[:2] in MUNICIPALITIES:
            specs.append(
                RegionSpec(f"{province.code[:2]}0100", province.code, province.name, RegionLevel.PREFECTURE)
            )
        else:
            specs.extend(
                RegionSpec(d.code, province.code, d.name, RegionLevel.PREFECTURE)
                for d in prefectures(province.code)
            )
        specs.append(
            RegionSpec(
                provincial_pool_code(province.code), province.code, PROVINCIAL_POOL_NAME, RegionLevel.PROVINCE
            )
        )
    return region_upsert_many(specs=specs)


def cross_province_batch_load(*, path: Path, enabled_from: dt.date) -> UpsertCounts:
    """The first batch's regions (some county-level, such as 500235 云阳县) are upserted as
    regions and enabled from `enabled_from`, unless a date is already stored."""
    reader = CsvReader(path, ("region_code", "province_code", "province", "region_name", "level"))
    specs = [
        RegionSpec(code, province_code, name, level, cross_province_from=enabled_from)
        for _, (code, province_code, _province, name, level) in reader.rows()
    ]
    _reject(reader.errors)
    return region_upsert_many(specs=specs)


def _values(obj: object, fields: list[str]) -> tuple[object, ...]:
    return tuple(getattr(obj, f) for f in fields)


def _reject(errors: list[RowError]) -> None:
    if errors:
        raise ImportRejected(errors)

"""`import_regions`: pooling regions (统筹区) upserted by code, and the upsert that
load_reference_data shares with it."""

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction

from accounts.errors import AccountsError
from accounts.models import PoolingRegion, Province, RegionLevel
from portal.core.csvimport import CsvReader, ImportRejected, ImportResult, RowError, Stopwatch

COLUMNS = ("region_code", "province_code", "name", "level")
REGION_CODE = re.compile(r"^[0-9]{6}$")
PLACE_NAME = re.compile(r"^[\u3400-\u9fffA-Za-z0-9·（）() ]{1,50}$")


@dataclass(frozen=True)
class RegionSpec:
    code: str
    province_code: str
    name: str
    level: str
    # Set only on a region that has no date yet: a date staff set (enable_cross_province) stays.
    cross_province_from: dt.date | None = None


@dataclass(frozen=True)
class UpsertCounts:
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0


def regions_import(*, path: Path, dry_run: bool = False) -> ImportResult:
    """Validates the whole file first; raises ImportRejected with every problem, else upserts."""
    watch = Stopwatch()
    reader = CsvReader(path, COLUMNS)
    provinces = set(Province.objects.values_list("code", flat=True))
    specs: dict[str, RegionSpec] = {}
    first_line: dict[str, int] = {}
    problems: list[RowError] = []
    for line, (code, province, name, level) in reader.rows():
        found: list[RowError] = []
        if not REGION_CODE.match(code):
            found.append(RowError.of(line, AccountsError.REGION_CODE_FORMAT))
        elif code in first_line:
            found.append(
                RowError.of(line, AccountsError.DUPLICATE_CODE, f"（与第 {first_line[code]} 行相同）")
            )
        if province not in provinces:
            found.append(RowError.of(line, AccountsError.PROVINCE_NOT_FOUND))
        elif REGION_CODE.match(code) and code[:2] != province[:2]:
            found.append(RowError.of(line, AccountsError.REGION_PROVINCE_MISMATCH))
        if not PLACE_NAME.match(name):
            found.append(RowError.of(line, AccountsError.REGION_NAME_INVALID))
        if level not in RegionLevel.values:
            found.append(RowError.of(line, AccountsError.REGION_LEVEL_UNKNOWN))
        first_line.setdefault(code, line)
        if found:
            problems.extend(found)
        else:
            specs[code] = RegionSpec(code, province, name, level)
    problems.extend(reader.errors)
    if problems:
        raise ImportRejected(problems)
    with transaction.atomic():
        counts = region_upsert_many(specs=specs.values())
        if dry_run:
            transaction.set_rollback(True)
    return ImportResult(
        rows_read=reader.rows_read,
        inserted=counts.inserted,
        updated=counts.updated,
        unchanged=counts.unchanged,
        seconds=watch.seconds,
        dry_run=dry_run,
    )


def region_upsert_many(*, specs: Iterable[RegionSpec]) -> UpsertCounts:
    """Creates missing regions and updates changed ones; the codes must be unique and the
    provinces must exist (callers validate)."""
    wanted = {spec.code: spec for spec in specs}
    stored = {r.code: r for r in PoolingRegion.objects.select_for_update().filter(code__in=wanted)}
    new: list[PoolingRegion] = []
    changed: list[PoolingRegion] = []
    for code, spec in wanted.items():
        region = stored.get(code)
        if region is None:
            new.append(
                PoolingRegion(
                    code=code,
                    province_id=spec.province_code,
                    name=spec.name,
                    level=spec.level,
                    cross_province_from=spec.cross_province_from,
                )
            )
            continue
        before = (region.province_id, region.name, region.level, region.cross_province_from)
        region.province_id, region.name, region.level = spec.province_code, spec.name, spec.level
        if region.cross_province_from is None:
            region.cross_province_from = spec.cross_province_from
        if (region.province_id, region.name, region.level, region.cross_province_from) != before:
            changed.append(region)
    PoolingRegion.objects.bulk_create(new)
    PoolingRegion.objects.bulk_update(changed, ["province", "name", "level", "cross_province_from"])
    return UpsertCounts(len(new), len(changed), len(wanted) - len(new) - len(changed))

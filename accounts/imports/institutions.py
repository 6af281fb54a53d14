"""`import_institutions`: 定点医疗机构 and 定点零售药店, upserted by code."""

import re
from pathlib import Path

from django.db import transaction

from accounts.errors import AccountsError
from accounts.models import Institution, InstitutionKind, PoolingRegion
from portal.core.csvimport import CsvReader, ImportRejected, ImportResult, RowError, Stopwatch

COLUMNS = ("code", "name", "region_code", "kind")
INSTITUTION_CODE = re.compile(r"^[0-9A-Z]{1,32}$")
INSTITUTION_NAME = re.compile(r"^[\u3400-\u9fffA-Za-z0-9·（）()\-— ]{1,100}$")


def institutions_import(*, path: Path, dry_run: bool = False) -> ImportResult:
    """Validates the whole file first; raises ImportRejected with every problem, else upserts."""
    watch = Stopwatch()
    reader = CsvReader(path, COLUMNS)
    region_ids = dict(PoolingRegion.objects.values_list("code", "id"))
    wanted: dict[str, tuple[str, int, str]] = {}
    first_line: dict[str, int] = {}
    problems: list[RowError] = []
    for line, (raw_code, name, region_code, kind) in reader.rows():
        code = raw_code.upper()
        found: list[RowError] = []
        if not INSTITUTION_CODE.match(code):
            found.append(RowError.of(line, AccountsError.INSTITUTION_CODE_FORMAT))
        elif code in first_line:
            found.append(
                RowError.of(line, AccountsError.DUPLICATE_CODE, f"（与第 {first_line[code]} 行相同）")
            )
        if not INSTITUTION_NAME.match(name):
            found.append(RowError.of(line, AccountsError.INSTITUTION_NAME_INVALID))
        region_id = region_ids.get(region_code)
        if region_id is None:
            found.append(RowError.of(line, AccountsError.REGION_NOT_FOUND))
        if kind not in InstitutionKind.values:
            found.append(RowError.of(line, AccountsError.INSTITUTION_KIND_UNKNOWN))
        first_line.setdefault(code, line)
        if found:
            problems.extend(found)
        elif region_id is not None:
            wanted[code] = (name, region_id, kind)
    problems.extend(reader.errors)
    if problems:
        raise ImportRejected(problems)
    with transaction.atomic():
        stored = {i.code: i for i in Institution.objects.select_for_update().filter(code__in=wanted)}
        new: list[Institution] = []
        changed: list[Institution] = []
        for code, (name, region_id, kind) in wanted.items():
            institution = stored.get(code)
            if institution is None:
                new.append(Institution(code=code, name=name, region_id=region_id, kind=kind))
            elif (institution.name, institution.region_id, institution.kind) != (name, region_id, kind):
                institution.name, institution.region_id, institution.kind = name, region_id, kind
                changed.append(institution)
        Institution.objects.bulk_create(new)
        Institution.objects.bulk_update(changed, ["name", "region", "kind"])
        if dry_run:
            transaction.set_rollback(True)
    return ImportResult(
        rows_read=reader.rows_read,
        inserted=len(new),
        updated=len(changed),
        unchanged=len(wanted) - len(new) - len(changed),
        seconds=watch.seconds,
        dry_run=dry_run,
    )

from pathlib import Path
from typing import Any

from accounts.imports.regions import regions_import
from portal.core.csvimport import CsvImportCommand, ImportResult


class Command(CsvImportCommand):
    help = (
        "Upserts pooling regions by code from region_code,province_code,name,level "
        "(level: province|prefecture|county; the province must exist, see load_reference_data). "
        "A region's cross-province date is not touched. All-or-nothing."
    )

    def run_import(self, *, path: Path, dry_run: bool, options: dict[str, Any]) -> ImportResult:
        return regions_import(path=path, dry_run=dry_run)

from pathlib import Path
from typing import Any

from accounts.imports.institutions import institutions_import
from portal.core.csvimport import CsvImportCommand, ImportResult


class Command(CsvImportCommand):
    help = (
        "Upserts designated institutions by code from code,name,region_code,kind "
        "(kind: hospital|pharmacy; the region must exist). All-or-nothing."
    )

    def run_import(self, *, path: Path, dry_run: bool, options: dict[str, Any]) -> ImportResult:
        return institutions_import(path=path, dry_run=dry_run)

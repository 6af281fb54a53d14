from pathlib import Path
from typing import Any

from django.core.management.base import CommandError

from family_sharing.contributions.imports import contributions_import
from portal.core.csvimport import CsvImportCommand, ImportResult
from portal.core.errors import ApplicationError


class Command(CsvImportCommand):
    help = (
        "Upserts employers' declarations and payments from employer_uscc,employer_name,id_number,period,"
        "due_fen,paid_fen,due_date (period YYYY-MM, amounts in fen), keyed by employer, person and "
        "period: a later file updates paid_fen. Employers are upserted by USCC; persons must have been "
        "imported. All-or-nothing; running the same file again changes nothing."
    )

    def run_import(self, *, path: Path, dry_run: bool, options: dict[str, Any]) -> ImportResult:
        try:
            return contributions_import(path=path, dry_run=dry_run)
        except ApplicationError as exc:
            raise CommandError(f"{exc.code} {exc.message}") from exc

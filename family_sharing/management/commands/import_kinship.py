from pathlib import Path
from typing import Any

from django.core.management.base import CommandError

from family_sharing.imports.kinship import kinship_import
from portal.core.csvimport import CsvImportCommand, ImportResult
from portal.core.errors import ApplicationError


class Command(CsvImportCommand):
    help = (
        "Upserts civil-registry kinship edges from kind,a_id_number,b_id_number,parent_kind,valid_from,"
        "valid_to (kind spouse|parent; for parent a is the parent and b the child, parent_kind "
        "birth|adoptive|step_supported|step; for spouse parent_kind is empty and a later file with "
        "valid_to ends the marriage). Both persons must have been imported. All-or-nothing; running "
        "the same file again changes nothing."
    )

    def run_import(self, *, path: Path, dry_run: bool, options: dict[str, Any]) -> ImportResult:
        try:
            return kinship_import(path=path, dry_run=dry_run)
        except ApplicationError as exc:
            raise CommandError(f"{exc.code} {exc.message}") from exc

from pathlib import Path
from typing import Any

from django.core.management.base import CommandError, CommandParser

from accounts.imports.common import actor_get
from accounts.imports.persons import persons_import
from portal.core.csvimport import CsvImportCommand, ImportResult
from portal.core.errors import ApplicationError


class Command(CsvImportCommand):
    help = (
        "Upserts insured persons by identity number from "
        "id_number,name,card_number,phone,region_code,insurance_type,status,balance_fen,pensioner,"
        "last_certified_on. An employee without a personal account gets one whose opening balance "
        "is balance_fen (one 期初余额 credit entry); an existing account's balance is never "
        "changed by a re-import, because after opening the ledger is the truth. A card number held "
        "by another stored person is refused (a card cannot move between persons within one file). "
        "All-or-nothing; running the same file again changes nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument("--actor", metavar="USERNAME", help="staff user recorded in the history rows")

    def run_import(self, *, path: Path, dry_run: bool, options: dict[str, Any]) -> ImportResult:
        actor = None
        if options.get("actor"):
            actor = actor_get(username=options["actor"])
            if actor is None:
                raise CommandError(f"no user named {options['actor']}")
        try:
            return persons_import(path=path, dry_run=dry_run, actor=actor)
        except ApplicationError as exc:
            raise CommandError(f"{exc.code} {exc.message}") from exc

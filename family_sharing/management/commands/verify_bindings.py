from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from family_sharing.verification import bindings_verify
from portal.core.csvimport import CellError, parse_date


class Command(BaseCommand):
    help = (
        "Runs the binding-verification pass now (the same code the Celery task runs): pending "
        "bindings are checked against the registry (active, needs_evidence or rejected), and active "
        "spouse bindings whose marriage the registry shows ended are suspended. Prints a summary."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--as-of", metavar="YYYY-MM-DD", help="judge the registry on this date (default today)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        as_of = None
        if options["as_of"]:
            try:
                as_of = parse_date(options["as_of"])
            except CellError as exc:
                self.stderr.write(f"{exc.code.value} {exc.code.message}")
                raise SystemExit(1) from exc
        self.stdout.write(bindings_verify(as_of=as_of).summary())

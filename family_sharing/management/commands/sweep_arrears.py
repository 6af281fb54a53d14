from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from family_sharing.contributions.sweep import arrears_sweep
from portal.core.csvimport import CellError, parse_date


class Command(BaseCommand):
    help = (
        "Runs the nightly arrears sweep now, region by region (the code the Celery tasks run): every "
        "employee person with a declaration is judged normal, arrears or interrupted as of the date; "
        "bindings follow; paid arrears cases close. Prints a one-line summary."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--as-of", metavar="YYYY-MM-DD", help="judge as of this date (default today)")

    def handle(self, *args: Any, **options: Any) -> None:
        as_of = None
        if options["as_of"]:
            try:
                as_of = parse_date(options["as_of"])
            except CellError as exc:
                self.stderr.write(f"{exc.code.value} {exc.code.message}")
                raise SystemExit(1) from exc
        self.stdout.write(arrears_sweep(as_of=as_of).summary())

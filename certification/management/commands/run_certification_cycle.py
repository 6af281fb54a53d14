from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from certification.cycle_run import certification_cycle_run
from portal.core.csvimport import CellError, parse_date


class Command(BaseCommand):
    help = (
        "Runs the certification cycle now (the same code the daily Celery task runs): reminders 30 "
        "and 7 days before each pensioner's cycle ends (in-app message and SMS, once per cycle and "
        "threshold), and suspension of overdue pensions. Prints a one-line summary."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--as-of", metavar="YYYY-MM-DD", help="judge the cycles on this date (default today)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        as_of = None
        if options["as_of"]:
            try:
                as_of = parse_date(options["as_of"])
            except CellError as exc:
                self.stderr.write(f"{exc.code.value} {exc.code.message}")
                raise SystemExit(1) from exc
        self.stdout.write(certification_cycle_run(as_of=as_of).summary())

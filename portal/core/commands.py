"""What the commands that run a pass "now" share (`verify_bindings`, `sweep_arrears`,
`run_certification_cycle`): an optional `--as-of YYYY-MM-DD` (default today), a bad date printed as
'<code> <message>' on stderr with exit status 1, and the pass's one-line summary on stdout."""

import datetime as dt
from typing import Any, Protocol

from django.core.management.base import BaseCommand, CommandParser

from portal.core.csvimport import CellError, parse_date


class PassResult(Protocol):
    def summary(self) -> str: ...


class AsOfCommand(BaseCommand):
    as_of_help = "judge as of this date (default today)"

    def run_pass(self, *, as_of: dt.date | None) -> PassResult:
        """The service call; the same code the Celery task runs."""
        raise NotImplementedError

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--as-of", metavar="YYYY-MM-DD", help=self.as_of_help)

    def handle(self, *args: Any, **options: Any) -> None:
        as_of = None
        if options["as_of"]:
            try:
                as_of = parse_date(options["as_of"])
            except CellError as exc:
                self.stderr.write(f"{exc.code.value} {exc.code.message}")
                raise SystemExit(1) from exc
        self.stdout.write(self.run_pass(as_of=as_of).summary())

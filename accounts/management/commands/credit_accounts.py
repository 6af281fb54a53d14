import datetime as dt
import re
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from accounts.errors import AccountsError
from accounts.ledger import accounts_credit
from portal.core.time import today

MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


class Command(BaseCommand):
    help = (
        "The monthly credit (划入) now (the same code the Celery beat task runs): every personal account "
        "with a monthly credit amount gets it once for the month. Idempotent: a second run for the same "
        "month credits nobody. Prints a one-line summary."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--month", metavar="YYYY-MM", help="the month credited (default this month)")

    def handle(self, *args: Any, **options: Any) -> None:
        month = today().replace(day=1)
        if options["month"]:
            match = MONTH.match(options["month"].strip())
            if match is None:
                self.stderr.write(f"{AccountsError.MONTH_FORMAT.value} {AccountsError.MONTH_FORMAT.message}")
                raise SystemExit(1)
            month = dt.date(int(match.group(1)), int(match.group(2)), 1)
        self.stdout.write(accounts_credit(month=month).summary())

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from accounts.errors import AccountsError
from accounts.ledger import accounts_credit
from portal.core.time import month_parse, today


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
            given = month_parse(options["month"])
            if given is None:
                self.stderr.write(f"{AccountsError.MONTH_FORMAT.value} {AccountsError.MONTH_FORMAT.message}")
                raise SystemExit(1)
            month = given
        self.stdout.write(accounts_credit(month=month).summary())

"""What `set_policy` and `enable_cross_province` share: a `--from DATE`, an optional `--actor`, and
errors printed as '<code> <message>' on stderr with exit status 1."""

import datetime as dt
from collections.abc import Callable
from typing import Any, TypeVar

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.imports.common import actor_get
from accounts.models import User
from portal.core.csvimport import CellError, parse_date
from portal.core.errors import ApplicationError

T = TypeVar("T")


class DatedRegionCommand(BaseCommand):
    date_dest = "from_date"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("region_code", metavar="REGION_CODE")
        parser.add_argument("--from", dest=self.date_dest, required=True, metavar="YYYY-MM-DD")
        parser.add_argument("--actor", metavar="USERNAME", help="staff user recorded in the admin history")

    def date_and_actor(self, options: dict[str, Any]) -> tuple[dt.date, User | None]:
        try:
            day = parse_date(options[self.date_dest])
        except CellError as exc:
            self.stderr.write(f"{exc.code.value} {exc.code.message}")
            raise SystemExit(1) from exc
        actor = actor_get(username=options["actor"]) if options["actor"] else None
        if options["actor"] and actor is None:
            raise CommandError(f"no user named {options['actor']}")
        return day, actor

    def call_service(self, service: Callable[[], T]) -> T:
        try:
            return service()
        except ApplicationError as exc:
            for reason in exc.details:
                self.stderr.write(f"{reason.code} {reason.message}")
            raise SystemExit(1) from exc

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.imports.common import actor_get
from family_sharing.policy import cross_province_enable
from portal.core.csvimport import CellError, parse_date
from portal.core.errors import ApplicationError


class Command(BaseCommand):
    help = (
        "Opens cross-province mutual aid (跨省共济) in a pooling region from a date (a stored date is "
        "replaced). A cross-province binding needs both regions open on its date. Errors: "
        "'<code> <message>' on stderr, exit 1."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("region_code", metavar="REGION_CODE")
        parser.add_argument("--from", dest="enabled_from", required=True, metavar="YYYY-MM-DD")
        parser.add_argument("--actor", metavar="USERNAME", help="staff user recorded in the admin history")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            enabled_from = parse_date(options["enabled_from"])
        except CellError as exc:
            self.stderr.write(f"{exc.code.value} {exc.code.message}")
            raise SystemExit(1) from exc
        actor = actor_get(username=options["actor"]) if options["actor"] else None
        if options["actor"] and actor is None:
            raise CommandError(f"no user named {options['actor']}")
        try:
            change = cross_province_enable(
                actor=actor, region_code=options["region_code"], enabled_from=enabled_from
            )
        except ApplicationError as exc:
            for reason in exc.details:
                self.stderr.write(f"{reason.code} {reason.message}")
            raise SystemExit(1) from exc
        self.stdout.write(
            f"cross-province mutual aid in {change.region.code} from {enabled_from} "
            f"(was {change.before or 'not enabled'}; {change.outcome})"
        )

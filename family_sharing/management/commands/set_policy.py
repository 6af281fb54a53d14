from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.imports.common import actor_get
from family_sharing.models import PolicyScope
from family_sharing.policy import policy_set
from portal.core.csvimport import CellError, parse_date
from portal.core.errors import ApplicationError


class Command(BaseCommand):
    help = (
        "Sets which relations a pooling region allows from a date: SCOPE is self_only, core_family or "
        "near_relatives (upsert of the region's version for that date; the version with the latest "
        "date on or before a day applies on that day). Errors: '<code> <message>' on stderr, exit 1."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("region_code", metavar="REGION_CODE")
        parser.add_argument("scope", metavar="SCOPE", help=" | ".join(PolicyScope.values))
        parser.add_argument("--from", dest="effective_from", required=True, metavar="YYYY-MM-DD")
        parser.add_argument("--note", default="", help="the document behind it (依据), up to 200 characters")
        parser.add_argument("--actor", metavar="USERNAME", help="staff user recorded in the admin history")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            effective_from = parse_date(options["effective_from"])
        except CellError as exc:
            self.stderr.write(f"{exc.code.value} {exc.code.message}")
            raise SystemExit(1) from exc
        actor = actor_get(username=options["actor"]) if options["actor"] else None
        if options["actor"] and actor is None:
            raise CommandError(f"no user named {options['actor']}")
        try:
            change = policy_set(
                actor=actor,
                region_code=options["region_code"],
                scope=options["scope"],
                effective_from=effective_from,
                note=options["note"],
            )
        except ApplicationError as exc:
            for reason in exc.details:
                self.stderr.write(f"{reason.code} {reason.message}")
            raise SystemExit(1) from exc
        version = change.version
        self.stdout.write(
            f"policy of {version.region.code} from {version.effective_from}: {version.scope} ({change.outcome})"
        )

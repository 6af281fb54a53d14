from typing import Any

from django.core.management.base import CommandParser

from family_sharing.management.dated_command import DatedRegionCommand
from family_sharing.models import PolicyScope
from family_sharing.policy import policy_set


class Command(DatedRegionCommand):
    help = (
        "Sets which relations a pooling region allows from a date: SCOPE is self_only, core_family or "
        "near_relatives (upsert of the region's version for that date; the version with the latest "
        "date on or before a day applies on that day). Errors: '<code> <message>' on stderr, exit 1."
    )

    date_dest = "effective_from"

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument("scope", metavar="SCOPE", help=" | ".join(PolicyScope.values))
        parser.add_argument("--note", default="", help="the document behind it (依据), up to 200 characters")

    def handle(self, *args: Any, **options: Any) -> None:
        effective_from, actor = self.date_and_actor(options)
        change = self.call_service(
            lambda: policy_set(
                actor=actor,
                region_code=options["region_code"],
                scope=options["scope"],
                effective_from=effective_from,
                note=options["note"],
            )
        )
        version = change.version
        self.stdout.write(
            f"policy of {version.region.code} from {version.effective_from}: {version.scope} ({change.outcome})"
        )

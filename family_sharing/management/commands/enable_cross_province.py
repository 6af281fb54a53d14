from typing import Any

from family_sharing.management.dated_command import DatedRegionCommand
from family_sharing.policy import cross_province_enable


class Command(DatedRegionCommand):
    help = (
        "Opens cross-province mutual aid (跨省共济) in a pooling region from a date (a stored date is "
        "replaced). A cross-province binding needs both regions open on its date. Errors: "
        "'<code> <message>' on stderr, exit 1."
    )

    date_dest = "enabled_from"

    def handle(self, *args: Any, **options: Any) -> None:
        enabled_from, actor = self.date_and_actor(options)
        change = self.call_service(
            lambda: cross_province_enable(
                actor=actor, region_code=options["region_code"], enabled_from=enabled_from
            )
        )
        self.stdout.write(
            f"cross-province mutual aid in {change.region.code} from {enabled_from} "
            f"(was {change.before or 'not enabled'}; {change.outcome})"
        )

"""set_sms_sign_in REGION_CODE on|off [--actor USERNAME]

The bureau's switch for SMS sign-in in a pooling region (decision record 0017): `off` stops sending
sign-in codes there and kills the live ones at once; residents still sign in with their authenticator.
Idempotent. Errors: '<code> <message>' on stderr, exit 1."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.imports.common import actor_get
from accounts.sms_sign_in import region_sms_sign_in_set
from portal.core.errors import ApplicationError


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("region_code", metavar="REGION_CODE")
        parser.add_argument("state", choices=["on", "off"])
        parser.add_argument("--actor", metavar="USERNAME", help="staff user recorded in the admin history")

    def handle(self, *args: Any, **options: Any) -> None:
        actor = actor_get(username=options["actor"]) if options["actor"] else None
        if options["actor"] and actor is None:
            raise CommandError(f"no user named {options['actor']}")
        try:
            switch = region_sms_sign_in_set(
                actor=actor, region_code=options["region_code"], allowed=options["state"] == "on"
            )
        except ApplicationError as exc:
            for reason in exc.details:
                self.stderr.write(f"{reason.code} {reason.message}")
            raise SystemExit(1) from exc
        state = "on" if switch.allowed else "off"
        self.stdout.write(f"SMS sign-in in {switch.region.code}: {state} ({switch.outcome})")

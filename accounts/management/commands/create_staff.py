"""create_staff USERNAME --role bureau|hospital|pharmacy [--region CODE] [--institution CODE]

The password comes from STAFF_PASSWORD in the environment (never from the command line, which
other users of the machine can see). Add the one-time code with django-otp's
`addstatictoken USERNAME --token NNNNNN`. Idempotent: running it again updates the same login."""

import os
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.services import staff_create
from portal.core.errors import ApplicationError


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--role", required=True, choices=["bureau", "hospital", "pharmacy"])
        parser.add_argument("--region", help="统筹区编码 (bureau staff)")
        parser.add_argument("--institution", help="定点机构编码 (hospital and pharmacy staff)")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            user = staff_create(
                username=options["username"],
                role=options["role"],
                password=os.environ.get("STAFF_PASSWORD", ""),
                region_code=options["region"],
                institution_code=options["institution"],
            )
        except ApplicationError as exc:
            lines = [f"{d.code} {d.message}" for d in exc.details] or [f"{exc.code} {exc.message}"]
            raise CommandError("\n".join(lines)) from exc
        self.stdout.write(f"staff {user.username} ({user.role}) ready")

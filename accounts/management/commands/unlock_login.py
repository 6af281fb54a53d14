"""unlock_login LOGIN

Lifts django-axes' lockout of a login (5 failed sign-ins in 15 minutes) before it expires: a resident
by identity number, staff by username. The lockout is stored under the login's keyed hash, never the
identity number (accounts.backends.axes_username), so this command is how an officer names it."""

from typing import Any

from axes.utils import reset
from django.core.management.base import BaseCommand, CommandParser

from accounts.backends import axes_username


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("login", metavar="LOGIN", help="identity number or staff username")

    def handle(self, *args: Any, **options: Any) -> None:
        lifted = reset(username=axes_username(None, {"username": options["login"]}))
        self.stdout.write(f"lockouts lifted: {lifted}")

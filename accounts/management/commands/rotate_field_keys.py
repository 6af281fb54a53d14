"""rotate_field_keys — re-encrypts every identity and phone number with the newest key.

Put the new Fernet key first in FIELD_ENCRYPTION_KEY (old keys after it), deploy, run this, then
drop the old key. Batched by primary key; safe to interrupt and run again (a row already under the
new key is simply rotated once more)."""

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from accounts.services import person_keys_rotate


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch", type=int, default=5000)

    def handle(self, *args: Any, **options: Any) -> None:
        rows = person_keys_rotate(batch=options["batch"])
        self.stdout.write(f"re-encrypted {rows} persons with the newest key")

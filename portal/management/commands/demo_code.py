"""demo_code — prints the current one-time code of the demo authenticator secret (demo logins only)."""

import time
from typing import Any

from django.core.management.base import BaseCommand
from django_otp.oath import TOTP

from portal.demo import DEMO_TOTP_KEY_HEX


class Command(BaseCommand):
    help = __doc__

    def handle(self, *args: Any, **options: Any) -> None:
        totp = TOTP(bytes.fromhex(DEMO_TOTP_KEY_HEX), step=30, t0=0, digits=6)
        totp.time = time.time()
        self.stdout.write(f"{totp.token():06d}（{30 - int(time.time()) % 30} 秒内有效）")

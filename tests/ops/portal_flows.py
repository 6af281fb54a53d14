"""The portal's own flows against one database, in a process of its own: the backup drill
(test_backup_restore.py) runs `build` on the source database and `check` on the restored one.

    DATABASE_URL=... python -m tests.ops.portal_flows build|check RESULT.json

The keys come from the environment (FIELD_ENCRYPTION_KEY, ID_HASH_KEY), the settings from
DJANGO_SETTINGS_MODULE (the test settings: Celery inline, SMS kept in memory). Requests go through
Django's whole HTTP stack (middleware, URL routing, DRF) with its test client. Each command writes
what it saw as JSON, and the test judges it.

- `build` makes a portal database out of an empty one: migrate, the reference data, the demo data
  (persons, resident logins, bindings, a settlement), a resident's registration over the API (the SMS
  code to the number on file, then the authenticator's first code) and a settlement at the counter
  API.
- `check` uses a restored one: a demo resident signs in and reads their ledger, the counter retries
  the build's settlement (same idempotency key) and settles anew, the resident reads the ledger
  again, the resident registered by `build` signs in; then every account's balance against its
  ledger, and what the same database gives under other keys.
"""

import base64
import io
import json
import os
import re
import sys
import time
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import django

# The build's settlement at the counter, retried by `check` with the same key and body.
SOURCE_SETTLEMENT_KEY = "drill-source-settlement"
SOURCE_SETTLEMENT = {
    "sharer_card_number": "B10000001",  # 张建国 (demo), paying for his father through an active binding
    "beneficiary_card_number": "B10000005",  # 张德福
    "category": "medical_self_pay",
    "amount_fen": 4_321,
    "description": "门诊自付（备份演练）",
}
NEW_SETTLEMENT_FEN = 12_345
REGISTERED = "张伟"  # a demo person without a login: `build` registers them over the API
REGISTERED_PASSWORD = "Drill-Resident-2026!"  # noqa: S105  (a throwaway database's login)
SIGNED_IN = "张建国"  # a demo resident login


def _client() -> Any:
    from rest_framework.test import APIClient

    return APIClient()


def _post(client: Any, path: str, body: dict[str, Any], **headers: str) -> Any:
    return client.post(path, body, format="json", headers=headers)


def _person(name: str) -> tuple[str, str, str]:
    """Identity number, card number and phone of a demo person."""
    from portal.demo import DEMO_PERSONS

    [(number, card, phone)] = [(n, c, p) for who, n, c, p, *_ in DEMO_PERSONS if who == name]
    return number, card, phone


def _next_code(login: str) -> str:
    """The code the login's authenticator shows now, or in the next period when this period's code
    was already used (django-otp accepts a code once, and one period of drift)."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from accounts.tests.factories import totp_now

    device = TOTPDevice.objects.filter(user__username=login).first()
    if device is None:  # a resident signs in with the identity number; the login is r<person id>
        from accounts.selectors import person_get_by_id_number

        person = person_get_by_id_number(id_number=login)
        device = TOTPDevice.objects.filter(user__person=person).latest("pk")
    now = int((time.time() - device.t0) // device.step)
    return totp_now(device, steps_ahead=max(0, device.last_t + 1 - now))


def _sign_in(client: Any, login: str, password: str, otp: str | None = None) -> int:
    body = {"login": login, "password": password, "otp": otp or _next_code(login)}
    response = _post(client, "/api/v1/auth/token/", body)
    if response.status_code == 200:
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {response.json()['token']}")
    return response.status_code


def _ledger(client: Any) -> dict[str, Any]:
    """GET /api/v1/account/, every page: the balance and the entries."""
    response = client.get("/api/v1/account/")
    body = response.json()
    entries = list(body.get("entries", []))
    while body.get("next"):
        body = client.get(body["next"]).json()
        entries += body["entries"]
    return {"http": response.status_code, "balance_fen": body.get("balance_fen"), "entries": entries}


def build() -> dict[str, Any]:
    from django.core.management import call_command
    from django_otp.oath import totp

    from portal.core.notify import MemorySmsSender

    for command in ("migrate", "load_reference_data", "seed_demo"):
        call_command(command, stdout=io.StringIO(), verbosity=0)
    seen: dict[str, Any] = {}

    # A resident registers: identity, card and the phone on file; the SMS code; the authenticator.
    number, card, phone = _person(REGISTERED)
    resident = _client()
    started = _post(
        resident,
        "/api/v1/auth/register/",
        {
            "id_number": number,
            "name": REGISTERED,
            "card_number": card,
            "phone": phone,
            "password": REGISTERED_PASSWORD,
        },
    )
    seen["register"] = started.status_code
    [code] = re.findall(
        r"(?<!\d)\d{6}(?!\d)", [text for to, text in MemorySmsSender.outbox if to == phone][-1]
    )
    confirmed = _post(
        resident,
        "/api/v1/auth/register/confirm/",
        {"registration_id": started.json()["registration_id"], "sms_code": code},
    )
    seen["register_confirm"] = confirmed.status_code
    # the authenticator app takes the secret from the provisioning URI (the QR code) and shows a code
    secret = parse_qs(urlparse(confirmed.json()["otp_provisioning_uri"]).query)["secret"][0]
    app_code = f"{totp(base64.b32decode(secret + '=' * (-len(secret) % 8))):06d}"
    seen["registered_sign_in"] = _sign_in(resident, number, REGISTERED_PASSWORD, otp=app_code)

    # The hospital's counter settles the father's cost from the son's account.
    counter = _client()
    seen["staff_sign_in"] = _sign_in(counter, "hospital_demo", os.environ["STAFF_PASSWORD"])
    settled = _post(
        counter, "/api/v1/settlements/", SOURCE_SETTLEMENT, **{"Idempotency-Key": SOURCE_SETTLEMENT_KEY}
    )
    seen["settlement"] = {**settled.json(), "http": settled.status_code}
    return seen


def check() -> dict[str, Any]:
    from django.conf import settings
    from django.db.models import F, Q, Sum
    from django.db.models.functions import Coalesce

    from accounts.models import Person, PersonalAccount
    from accounts.selectors import person_get_by_id_number
    from portal.core import crypto
    from portal.demo import DEMO_RESIDENT_PASSWORD

    seen: dict[str, Any] = {}
    number, card, _ = _person(SIGNED_IN)

    # A resident signs in and reads their ledger.
    resident = _client()
    seen["resident_sign_in"] = _sign_in(resident, number, DEMO_RESIDENT_PASSWORD)
    me = resident.get("/api/v1/me/")
    seen["me"] = {**me.json(), "http": me.status_code}
    seen["ledger_before"] = _ledger(resident)

    # The counter retries the settlement made before the backup, then settles anew.
    counter = _client()
    seen["staff_sign_in"] = _sign_in(counter, "hospital_demo", os.environ["STAFF_PASSWORD"])
    retried = _post(
        counter, "/api/v1/settlements/", SOURCE_SETTLEMENT, **{"Idempotency-Key": SOURCE_SETTLEMENT_KEY}
    )
    seen["retried_settlement"] = {**retried.json(), "http": retried.status_code}
    new = {**SOURCE_SETTLEMENT, "amount_fen": NEW_SETTLEMENT_FEN, "description": "门诊自付（恢复后）"}
    settled = _post(counter, "/api/v1/settlements/", new, **{"Idempotency-Key": f"drill-{uuid.uuid4()}"})
    seen["new_settlement"] = {**settled.json(), "http": settled.status_code}
    seen["ledger_after"] = _ledger(resident)

    # The resident registered before the backup signs in with their password and authenticator.
    registered_number, _, _ = _person(REGISTERED)
    seen["registered_sign_in"] = _sign_in(_client(), registered_number, REGISTERED_PASSWORD)

    # Every account's balance is the sum of its ledger.
    accounts = PersonalAccount.objects.annotate(ledger_fen=Coalesce(Sum("entries__amount_fen"), 0))
    seen["accounts"] = accounts.count()
    seen["accounts_off_their_ledger"] = list(
        accounts.filter(~Q(balance_fen=F("ledger_fen"))).values_list("pk", flat=True)
    )

    # The same database under other keys: nobody is found by number, no number can be read.
    from cryptography.fernet import Fernet, InvalidToken

    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    settings.ID_HASH_KEY = "not-the-key-of-this-database"
    crypto.reset_caches()
    seen["other_keys_find_by_number"] = person_get_by_id_number(id_number=number) is not None
    try:
        Person.objects.get(card_number=card)
        seen["other_keys_read_number"] = "read"
    except InvalidToken:
        seen["other_keys_read_number"] = "InvalidToken"
    return seen


def main() -> int:
    command, out = sys.argv[1], Path(sys.argv[2])
    django.setup()
    from django.test.utils import setup_test_environment

    setup_test_environment()  # the test client's host (testserver) is allowed
    result = {"build": build, "check": check}[command]()
    out.write_text(json.dumps(result, ensure_ascii=False, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())

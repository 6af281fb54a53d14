"""Every URL of the portal, as each demo role, with odd query parameters (or an odd form): lists the
requests that end in a server error. A check to run by hand after a change to pages, admin or API,
against a database with the demo data (`make run` loads it):

    make sweep                       # GET with odd query parameters
    make sweep ARGS=--post           # POST an odd form instead

It found the year-0000 and December-9999 month filters and the admin history pages that failed
(issue 3's note). Path parameters get a value that names nothing stored; requests run in-process
through Django's test client (no server needed). Exits 1 when any request failed."""

import argparse
import collections
import logging
import os
import re
import sys
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.local")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.test import Client  # noqa: E402
from django.urls import URLPattern, URLResolver, get_resolver  # noqa: E402
from django_otp import DEVICE_ID_SESSION_KEY, devices_for_user  # noqa: E402

from accounts.models import User  # noqa: E402

ROLES = {"resident": "r", "bureau": "bureau_demo", "hospital": "hospital_demo"}
PATH_VALUES = {"uuid": str(uuid.uuid4()), "int": "999999"}
ODD_QUERIES: list[dict[str, str]] = [
    {},
    *({"page": v} for v in ("0", "-1", "abc", "9" * 20)),
    *({"month": v} for v in ("0000-01", "9999-12", "２０２６-01", "2026-13")),
    *({"p": v} for v in ("-1", "x")),
    *({"o": v} for v in ("99", "1.x", "-1")),
    {"q": "%"},
    {"q": "<script>'\""},
    {"q": "a\x00b"},
    {"status__exact": "\x00"},
    {"region__id__exact": "x"},
    {"_changelist_filters": "x=1"},
    {"role": "x"},
    {"next": "//evil.example"},
    {"all": ""},
]
ODD_FORM = {
    "name": "\x00<b>",
    "amount_fen": "1e309",
    "card_number": "ａ",
    "id_number": "1" * 40,
    "month": "0000-00",
    "accept": "maybe",
    "relation_code": "\u202e",
    "reason": "x" * 5000,
    "otp": "-1",
    "monthly_limit_fen": "-5",
    "password": "",
    "login": "\x00",
}


def routes(patterns: Sequence[URLPattern | URLResolver], prefix: str = "") -> Iterator[str]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from routes(pattern.url_patterns, prefix + str(pattern.pattern))
        else:
            yield prefix + str(pattern.pattern)


def url_of(route: str) -> str:
    return "/" + re.sub(
        r"<(?:(\w+):)?\w+>", lambda m: PATH_VALUES.get(str(m.group(1) or ""), "X00000000"), route
    )


def signed_in(login: str) -> Client:
    user = User.objects.filter(username__startswith=login).order_by("id").first()
    if user is None:
        sys.exit(f"no demo login {login!r}: load the demo data first (make run)")
    client = Client(raise_request_exception=True)
    client.force_login(user)
    device = next(devices_for_user(user), None)
    if device is not None:  # an OTP-verified session, as after the staff sign-in
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
    return client


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--post", action="store_true", help="POST an odd form instead of GET")
    args = parser.parse_args()
    settings.ALLOWED_HOSTS = ["*"]
    logging.disable(logging.CRITICAL)  # the failures are listed below
    urls = [url_of(r) for r in routes(get_resolver().url_patterns)]
    failures: collections.Counter[tuple[str, str, str]] = collections.Counter()
    sent = 0
    for role, login in ROLES.items():
        client = signed_in(login)
        for url in urls:
            for query in [{}] if args.post else ODD_QUERIES:
                sent += 1
                try:
                    status = (client.post(url, ODD_FORM) if args.post else client.get(url, query)).status_code
                except Exception as exc:  # noqa: BLE001 (every failure is what this script reports)
                    failures[(role, url, f"{query} {exc!r}"[:160])] += 1
                    continue
                if status >= 500:
                    failures[(role, url, f"{query} {status}")] += 1
    print(f"{sent} requests over {len(urls)} URLs as {', '.join(ROLES)}: {sum(failures.values())} failed")
    for (role, url, what), count in sorted(failures.items()):
        print(f"  {role:9} {url} ×{count}: {what}")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()

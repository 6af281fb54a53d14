"""`suggestion_id`: an opaque, expiring name for "this relative, suggested to this resident".

Not `signing.dumps`: its payload is base64 JSON that anyone can read, so the relative's person id
would leave the database. The id is instead `<issued>.<mac>`: the issue time (base 62 seconds) and
an HMAC-SHA256 (SECRET_KEY, salted) over the resident's person id, the relative's person id and that
time. Nothing in it names a person. It is checked by recomputing the MAC for each relative the
registry records for the caller now: another resident's id, an edited one and one for a relative
no longer recorded match none; a matching one older than MAX_AGE has expired. SECRET_KEY_FALLBACKS
are tried too, so rotating the key does not break the ids of the last day."""

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.utils.crypto import constant_time_compare, salted_hmac

from portal.core.time import now

SALT = "family_sharing.suggestions.suggestion_id"
MAX_AGE = dt.timedelta(days=1)
CLOCK_SKEW = dt.timedelta(minutes=5)  # an id "from the future" within this is one web server's clock ahead
_SHAPE = re.compile(r"^([0-9A-Za-z]{1,11})\.([A-Za-z0-9_-]{43})$")


def _mac(sharer_id: int, relative_id: int, issued: int, key: str) -> str:
    digest = salted_hmac(SALT, f"{sharer_id}.{relative_id}.{issued}", secret=key, algorithm="sha256").digest()
    return signing.b64_encode(digest).decode()


def suggestion_id_mint(*, sharer_id: int, relative_id: int, at: dt.datetime | None = None) -> str:
    issued = int((at or now()).timestamp())
    return f"{signing.b62_encode(issued)}.{_mac(sharer_id, relative_id, issued, settings.SECRET_KEY)}"


@dataclass(frozen=True)
class Opened:
    relative_id: int
    expired: bool


def suggestion_id_open(*, suggestion_id: str, sharer_id: int, relative_ids: Iterable[int]) -> Opened | None:
    """The relative among `relative_ids` this id was minted for, for this sharer; None if none
    (malformed, edited, another resident's, minted in the future)."""
    match = _SHAPE.match(suggestion_id or "")
    if match is None:
        return None
    issued = signing.b62_decode(match[1])
    age = int(now().timestamp()) - issued  # seconds; plain integers, whatever was typed
    if age < -CLOCK_SKEW.total_seconds():
        return None
    keys = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    for relative_id in relative_ids:
        if any(constant_time_compare(match[2], _mac(sharer_id, relative_id, issued, key)) for key in keys):
            return Opened(relative_id, expired=age > MAX_AGE.total_seconds())
    return None

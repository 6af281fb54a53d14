"""Channel callbacks (API.md section 4). The signature is the authentication: HMAC-SHA256 with the
channel's secret over "{timestamp}.{nonce}.{raw body}", compared in constant time; the timestamp
must be within 300 seconds of now either way; each nonce is accepted once (stored, unique); the same
channel reference is recorded once. Checks run in that order, so an unsigned request learns nothing
and stores nothing; a refused request changes nothing (nonce included).

A nonce is 8 to 64 of `[A-Za-z0-9_-]` (issue 15), checked before the signature (the format is public,
so the check tells a caller nothing): the signed text joins its parts with dots, so a nonce with a
dot in it could move a signed text's boundary and pass a captured signature off under a new nonce."""

import datetime as dt
import hashlib
import hmac
import json
import re
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.dateparse import parse_datetime

from accounts.identity import id_number_problem, normalize_id_number
from accounts.selectors import person_get_by_id_number
from certification.channels import channel_get
from certification.errors import CertificationError as E
from certification.models import ChannelNonce, Result
from certification.services import Recorded, certification_record
from portal.core.errors import (
    CONFLICT,
    INVALID,
    NOT_FOUND,
    REFUSED,
    UNAUTHENTICATED,
    ApplicationError,
    Reason,
)

NONCE_PATTERN = re.compile(r"[A-Za-z0-9_-]{8,64}")


def signature_of(secret: bytes, timestamp: str, nonce: str, body: bytes) -> str:
    """Lower-case hex HMAC-SHA256 over "{timestamp}.{nonce}.{raw body}"."""
    return hmac.new(secret, f"{timestamp}.{nonce}.".encode() + body, hashlib.sha256).hexdigest()


def _unauthenticated(code: E) -> ApplicationError:
    return ApplicationError.of(UNAUTHENTICATED, code)


def _verify(
    *, secret: bytes, timestamp: str, nonce: str, signature: str, body: bytes, now: dt.datetime
) -> None:
    if not timestamp or not nonce or not signature:
        raise _unauthenticated(E.SIGNATURE_INVALID)
    if NONCE_PATTERN.fullmatch(nonce) is None:
        raise ApplicationError.of(INVALID, E.NONCE_INVALID)
    expected = signature_of(secret, timestamp, nonce, body)
    if not hmac.compare_digest(expected.encode(), signature.strip().lower().encode()):
        raise _unauthenticated(E.SIGNATURE_INVALID)
    try:
        sent = int(timestamp)
    except ValueError as exc:
        raise _unauthenticated(E.STALE_TIMESTAMP) from exc
    if abs(now.timestamp() - sent) > settings.CERT_CALLBACK_WINDOW_SECONDS:
        raise _unauthenticated(E.STALE_TIMESTAMP)


def _parse(body: bytes, methods: tuple[str, ...], now: dt.datetime) -> dict[str, Any]:
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise ApplicationError.of(INVALID, E.BODY_INVALID) from exc
    if not isinstance(data, dict):
        raise ApplicationError.of(INVALID, E.BODY_INVALID)
    problems: list[Reason] = []
    reference = data.get("reference")
    if not isinstance(reference, str) or not 1 <= len(reference.strip()) <= 64:
        problems.append(E.REFERENCE_INVALID.reason("reference"))
    id_number = data.get("id_number")
    if not isinstance(id_number, str) or id_number_problem(id_number) is not None:
        problems.append(E.ID_NUMBER_INVALID.reason("id_number"))
    if data.get("result") not in (Result.PASS.value, Result.FAIL.value):
        problems.append(E.RESULT_INVALID.reason("result"))
    if data.get("method") not in methods:
        problems.append(E.METHOD_INVALID.reason("method"))
    raw_at = data.get("certified_at")
    certified_at = parse_datetime(raw_at) if isinstance(raw_at, str) else None
    late = settings.CERT_CALLBACK_WINDOW_SECONDS
    if certified_at is None or certified_at.tzinfo is None or (certified_at - now).total_seconds() > late:
        problems.append(E.CERTIFIED_AT_INVALID.reason("certified_at"))
    if problems:
        raise ApplicationError(INVALID, problems)
    assert isinstance(reference, str) and isinstance(id_number, str)
    return {
        "reference": reference.strip(),
        "id_number": normalize_id_number(id_number),
        "result": data["result"],
        "method": data["method"],
        "certified_at": certified_at,
    }


@transaction.atomic
def callback_receive(
    *, channel: str, timestamp: str, nonce: str, signature: str, body: bytes, now: dt.datetime
) -> Recorded:
    config = channel_get(channel)
    secret = config.secret() if config is not None and config.online else None
    if config is None or secret is None:
        raise ApplicationError.of(NOT_FOUND, E.CHANNEL_UNKNOWN)
    _verify(secret=secret, timestamp=timestamp, nonce=nonce, signature=signature, body=body, now=now)
    try:
        with transaction.atomic():
            ChannelNonce.objects.create(channel=channel, nonce=nonce)
    except IntegrityError as exc:
        raise ApplicationError.of(CONFLICT, E.REPLAYED) from exc
    data = _parse(body, config.methods, now)
    person = person_get_by_id_number(id_number=data["id_number"])
    if person is None:
        raise ApplicationError.of(REFUSED, E.PERSON_NOT_FOUND, field="id_number")
    return certification_record(
        person=person,
        channel=channel,
        method=data["method"],
        result=data["result"],
        certified_at=data["certified_at"],
        reference=data["reference"],
    )

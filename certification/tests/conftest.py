import datetime as dt
import json
import time

import pytest
from django.conf import settings

from accounts.tests.conftest import pair  # noqa: F401  (the family-service pair, for agent tests)
from accounts.tests.factories import PersonFactory
from certification.callbacks import signature_of


def pensioner(*, last: dt.date | None = dt.date(2025, 6, 15), **kwargs):
    return PersonFactory(is_pensioner=True, last_certified_on=last, birth=dt.date(1950, 3, 1), **kwargs)


def callback_body(person, *, reference="R-1", result="pass", method="face_blink", certified_at=None) -> bytes:
    at = certified_at or dt.datetime.now(dt.UTC).astimezone(dt.timezone(dt.timedelta(hours=8)))
    return json.dumps(
        {
            "reference": reference,
            "id_number": person.id_number,
            "result": result,
            "method": method,
            "certified_at": at.isoformat(),
        }
    ).encode()


def signed_headers(body: bytes, *, channel="alipay", nonce="nonce-0001", timestamp=None, secret=None) -> dict:
    ts = str(int(time.time()) if timestamp is None else timestamp)
    key = (secret or settings.CERT_CALLBACK_SECRETS[channel]).encode()
    return {
        "HTTP_X_TIMESTAMP": ts,
        "HTTP_X_NONCE": nonce,
        "HTTP_X_SIGNATURE": signature_of(key, ts, nonce, body),
    }


@pytest.fixture
def post_callback(client):
    def post(body: bytes, *, channel="alipay", **headers):
        signed = signed_headers(body, channel=headers.pop("sign_as", channel), **headers)
        return client.post(
            f"/api/v1/certification/callbacks/{channel}/",
            data=body,
            content_type="application/json",
            **signed,
        )

    return post

"""gunicorn's access log without identity, card or phone numbers (issue 15, docs/security.md).

The pages and the admin take numbers by POST only, but API.md's stable contract puts a card number
in one path (`GET /api/v1/counter/cards/{card_number}/`), and a client may still send a number in a
query string nobody reads. The access log is where such a URL would stay for years: every request
line, path, query and referer is written with anything shaped like an identity number (17 digits
and a digit or X), a card number (a letter and 8 digits) or a mobile number (1 and 10 digits)
replaced by `[redacted]`. Set in gunicorn.conf.py (`logger_class`)."""

import datetime as dt
import re
from typing import Any

from gunicorn.glogging import Logger

PERSONAL_NUMBER = re.compile(r"(?<![0-9A-Za-z])(?:\d{17}[0-9Xx]|[A-Za-z]\d{8}|1\d{10})(?![0-9A-Za-z])")
REDACTED = "[redacted]"
_URL_ATOMS = ("r", "U", "q", "f", "{referer}i")


def redact(text: str) -> str:
    return PERSONAL_NUMBER.sub(REDACTED, text)


class RedactingLogger(Logger):
    def atoms(
        self, resp: Any, req: Any, environ: dict[str, Any], request_time: dt.timedelta
    ) -> dict[str, Any]:
        atoms: dict[str, Any] = super().atoms(resp, req, environ, request_time)
        for key in _URL_ATOMS:
            if isinstance(atoms.get(key), str):
                atoms[key] = redact(atoms[key])
        return atoms

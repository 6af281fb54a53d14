"""gunicorn's access log without identity, card or phone numbers (issue 15, docs/security.md).

The pages and the admin take numbers by POST only, but API.md's stable contract puts a card number
in one path (`GET /api/v1/counter/cards/{card_number}/`), and a client may still send a number in a
query string nobody reads. The access log is where such a URL would stay for years: every request
line, path, query and referer is written with anything shaped like an identity number (17 digits
and a digit or X), a card number (a letter and 8 digits) or a mobile number (1 and 10 digits)
replaced by `[redacted]`. Set in gunicorn.conf.py (`logger_class`).

With JSON logs (portal.core.log_format: `LOG_FORMAT=json`, the default under production settings)
gunicorn's error and access logs are JSON lines too, through the portal's formatter and filters; an
access line carries the redacted request line as `message` and the fields `remote_addr`, `method`,
`path`, `query`, `status`, `bytes`, `duration_ms`, `referer`, `user_agent` and `request_id` (the
`X-Request-ID` the portal answered with)."""

import datetime as dt
import re
from typing import Any

from gunicorn.glogging import Logger

from portal.core.log_format import log_format, with_portal_filters

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

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        self.json = log_format() == "json"
        if self.json:
            for log in (self.error_log, self.access_log):
                handler = self._get_gunicorn_handler(log)
                if handler is not None:
                    with_portal_filters(handler, "json")

    def access(self, resp: Any, req: Any, environ: dict[str, Any], request_time: dt.timedelta) -> None:
        if not self.json:
            super().access(resp, req, environ, request_time)
            return
        if not self.access_log_enabled:
            return
        atoms = self.atoms(resp, req, environ, request_time)
        fields = {
            "remote_addr": atoms.get("h"),
            "method": atoms.get("m"),
            "path": atoms.get("U"),
            "query": atoms.get("q"),
            "status": atoms.get("s"),
            "bytes": atoms.get("B"),
            "duration_ms": atoms.get("M"),
            "referer": atoms.get("f"),
            "user_agent": atoms.get("a"),
            "request_id": atoms.get("{x-request-id}o"),
        }
        line = self.atoms_wrapper_class(atoms)
        self.access_log.info(self.cfg.access_log_format, line, extra=fields)

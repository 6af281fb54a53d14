"""The web process's access log holds no identity, card or phone number, also for the contract's one
path that carries a card number (API.md section 3) and for numbers sent in a query string."""

import datetime as dt
import logging
from types import SimpleNamespace

from gunicorn.config import Config

from portal.access_log import RedactingLogger


def logged_line(raw_uri: str, referer: str = "-") -> str:
    config = Config()
    config.set("accesslog", "-")
    logger = RedactingLogger(config)
    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append
    logger.access_log.addHandler(handler)
    path, _, query = raw_uri.partition("?")
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": raw_uri,
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "203.0.113.7",
        "HTTP_REFERER": referer,
    }
    response = SimpleNamespace(status="200 OK", sent=10, headers=[])
    request = SimpleNamespace(headers=[("REFERER", referer)])
    logger.access(response, request, environ, dt.timedelta(milliseconds=3))
    return records[-1].getMessage()


def test_a_card_number_in_the_contracts_path_is_not_logged():
    line = logged_line("/api/v1/counter/cards/A12345678/")
    assert "A12345678" not in line
    assert "/api/v1/counter/cards/[redacted]/" in line


def test_identity_and_phone_numbers_in_a_query_or_referer_are_not_logged():
    line = logged_line(
        "/admin/accounts/person/?q=11010519650312001X&phone=13800000001",
        referer="https://portal.example/counter/settle/?card=b10000003",
    )
    for number in ("11010519650312001X", "13800000001", "b10000003"):
        assert number not in line
    assert "203.0.113.7" in line and '"GET /admin/accounts/person/?q=[redacted]&phone=[redacted]' in line


def test_ids_dates_and_amounts_stay_readable():
    line = logged_line("/family/3f2a9c1e-0b7d-4e55-9a1e-2b6c7d8e9f00/?month=2026-11&page=12")
    assert "3f2a9c1e-0b7d-4e55-9a1e-2b6c7d8e9f00" in line and "month=2026-11" in line

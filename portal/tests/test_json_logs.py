"""Logs as production writes them (issue 19): JSON lines with a request id, and no identity, phone or
card number in full even when the code is careless."""

import datetime as dt
import io
import json
import logging
import runpy
from pathlib import Path
from types import SimpleNamespace

import pytest
from gunicorn.config import Config

from portal.access_log import RedactingLogger
from portal.core.log_format import logging_config, with_portal_filters
from portal.core.log_privacy import mask_personal_numbers
from portal.core.request_id import _current
from portal.tests.plugins.log_leaks import Seeded, leaks

ID_NUMBER = "11010519650312001X"
PHONE = "13800000001"
CARD = "B10000001"


def production_lines(emit) -> list[dict]:
    """What `emit(logger)` writes through the production handler (JSON formatter and both filters)."""
    stream = io.StringIO()
    handler = with_portal_filters(logging.StreamHandler(stream), "json")
    log = logging.getLogger("portal.tests.careless")
    log.addHandler(handler)
    log.setLevel(logging.DEBUG)
    try:
        emit(log)
    finally:
        log.removeHandler(handler)
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_a_careless_log_call_does_not_leak_an_identity_phone_or_card_number():
    # given code that logs the numbers themselves, as arguments, in the text and as extra fields
    def careless(log):
        log.info("registered %s with phone %s", ID_NUMBER, PHONE)
        log.warning(f"card {CARD} of {ID_NUMBER.lower()} refused")
        log.debug("lookup", extra={"id_number": ID_NUMBER, "contact": {"phones": ["+86 138-0000-0001"]}})

    # when it runs under the production log configuration
    lines = production_lines(careless)
    text = json.dumps(lines, ensure_ascii=False)
    # then no number is written in full, and the masked forms the pages show stand in their place
    for number in (ID_NUMBER, ID_NUMBER.lower(), PHONE, CARD, "138-0000-0001"):
        assert number not in text
    assert lines[0]["message"] == "registered 110105********001X with phone 138****0001"
    assert lines[1]["message"] == "card B1*****01 of 110105********001x refused"
    assert lines[2]["id_number"] == "110105********001X"
    assert lines[2]["contact"] == {"phones": ["+86 138****0001"]}


def test_a_number_in_an_exception_or_an_object_passed_along_is_masked_too():
    class Request:
        def __str__(self):
            return f"<WSGIRequest: GET '/counter/?card={CARD}'>"

    def failing(log):
        try:
            raise ValueError(f"duplicate key (id_number)=({ID_NUMBER})\n{PHONE} already registered")
        except ValueError:
            log.exception("import failed", extra={"request": Request()})

    (line,) = production_lines(failing)
    assert ID_NUMBER not in line["exc_info"] and "110105********001X" in line["exc_info"]
    assert PHONE not in line["exc_info"] and "\n138****0001 already registered" in line["exc_info"]
    assert CARD not in line["request"] and "B1*****01" in line["request"]


def test_ids_amounts_dates_and_request_ids_stay_readable():
    text = (
        "settlement 3f2a9c1e-0b7d-4e55-9a1e-2b6c7d8e9f00 of 12345 fen on 2026-11-30 at 1733011200123 ms,"
        " region 110105, institution H11010001X, request 9d1c0e4b7a2f4c3e8b5a6d7e8f901234,"
        " task 04e36515-c182-4396-9635-61a55bb9408a succeeded in 0.029078123456783576s,"
        " token 110105196503120016ab9f13800000001c"
    )
    assert mask_personal_numbers(text) == text


def test_each_line_is_one_json_object_with_time_level_logger_and_request_id():
    token = _current.set("edge-7f3a.1")
    try:
        (line,) = production_lines(lambda log: log.info("批量导入完成：%d 行", 3))
    finally:
        _current.reset(token)
    assert line["message"] == "批量导入完成：3 行"
    assert line["level"] == "INFO" and line["logger"] == "portal.tests.careless"
    assert line["request_id"] == "edge-7f3a.1"
    assert dt.datetime.fromisoformat(line["time"]).tzinfo is not None


def test_production_logs_json_and_development_plain_lines_through_the_same_filters(monkeypatch):
    # given the two settings modules' choices
    production = logging_config(fmt="json", level="INFO")
    development = logging_config(fmt="plain", level="INFO")
    # then both put the request-id and personal-number filters on the one handler, in that order
    for config in (production, development):
        assert config["handlers"]["console"]["filters"] == ["request_id", "personal_numbers"]
        assert config["root"] == {"handlers": ["console"], "level": "INFO"}
    assert production["handlers"]["console"]["formatter"] == "json"
    assert development["handlers"]["console"]["formatter"] == "plain"
    with pytest.raises(ValueError, match="json or plain"):
        logging_config(fmt="xml", level="INFO")


def access_line(monkeypatch, raw_uri: str, request_id: str) -> dict:
    monkeypatch.setenv("LOG_FORMAT", "json")
    config = Config()
    config.set("accesslog", "-")
    gunicorn_conf = runpy.run_path(str(Path(__file__).resolve().parents[2] / "gunicorn.conf.py"))
    config.set("access_log_format", gunicorn_conf["access_log_format"])
    logger = RedactingLogger(config)
    stream = io.StringIO()
    logger._get_gunicorn_handler(logger.access_log).setStream(stream)
    path, _, query = raw_uri.partition("?")
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": raw_uri,
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "203.0.113.7",
    }
    response = SimpleNamespace(status="404 Not Found", sent=10, headers=[("X-Request-ID", request_id)])
    logger.access(response, SimpleNamespace(headers=[]), environ, dt.timedelta(milliseconds=3))
    (line,) = stream.getvalue().splitlines()
    return json.loads(line)


def test_gunicorns_access_log_is_json_with_the_request_id_and_no_number(monkeypatch):
    # when the access log of a JSON-logging portal writes the contract's card path
    line = access_line(
        monkeypatch, f"/api/v1/counter/cards/{CARD}/?phone={PHONE}", "9d1c0e4b7a2f4c3e8b5a6d7e8f901234"
    )
    # then the line is JSON, carries the id the portal answered with, and no number
    assert line["request_id"] == "9d1c0e4b7a2f4c3e8b5a6d7e8f901234"
    assert (line["method"], line["status"], line["remote_addr"]) == ("GET", "404", "203.0.113.7")
    assert line["path"] == "/api/v1/counter/cards/[redacted]/" and line["query"] == "phone=[redacted]"
    assert CARD not in json.dumps(line) and PHONE not in json.dumps(line)
    assert (
        line["message"].startswith("203.0.113.7 - - [")
        and "9d1c0e4b7a2f4c3e8b5a6d7e8f901234" in line["message"]
    )


def test_the_leak_check_finds_a_seeded_number_also_inside_a_longer_run_of_digits():
    # given the numbers a run wrote
    seeded = Seeded()
    seeded.add_all([ID_NUMBER, PHONE, "", "12345", None])
    assert (seeded.id_numbers, seeded.phones) == ({ID_NUMBER}, {PHONE})
    # then masked lines are clean, and the full numbers are found wherever they stand
    assert leaks(['{"message": "110105********001X 138****0001"}'], seeded) == {}
    assert leaks([f'{{"message": "tel:86{PHONE}"}}', f"id {ID_NUMBER.lower()}"], seeded) == {
        "identity numbers": 1,
        "phone numbers": 1,
    }

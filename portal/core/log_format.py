"""How the portal's processes log (settings LOGGING, the Celery worker and beat, gunicorn's logs).

`LOG_FORMAT=json` (the default under production settings) writes one JSON object a line:
`time` (UTC, ISO 8601), `level`, `logger`, `message`, `request_id` (portal.core.request_id) and any
extra fields; `plain` (the default in development) writes `time level logger [request_id] message`.
Either way every handler carries the request-id filter and the personal-number filter
(portal.core.log_privacy), and the JSON line is masked once more as a whole. Imported by the settings
and by gunicorn.conf.py: nothing of Django here."""

import logging
import os
from typing import Any

from pythonjsonlogger.json import JsonFormatter as _JsonFormatter

from portal.core.log_privacy import PersonalNumberFilter, mask_personal_numbers, mask_personal_numbers_in
from portal.core.request_id import RequestIdFilter

PLAIN_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"
JSON_FIELDS = "%(levelname)s %(name)s %(message)s"


class JsonFormatter(_JsonFormatter):
    """python-json-logger's formatter with the portal's field names, readable Chinese, and the
    finished line masked (tracebacks and the text of objects passed as extra fields included)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("timestamp", "time")
        kwargs.setdefault("rename_fields", {"levelname": "level", "name": "logger"})
        kwargs.setdefault("json_ensure_ascii", False)
        super().__init__(*(args or (JSON_FIELDS,)), **kwargs)

    def formatException(self, ei: Any) -> str | list[str]:  # type: ignore[override]  # as the library's
        return mask_personal_numbers_in(super().formatException(ei))

    def formatStack(self, stack_info: str) -> str | list[str]:  # type: ignore[override]
        return mask_personal_numbers_in(super().formatStack(stack_info))

    def jsonify_log_record(self, log_data: Any) -> str:
        return mask_personal_numbers(super().jsonify_log_record(log_data))


def log_format() -> str:
    """`LOG_FORMAT` if set, else json under production settings and plain otherwise. For gunicorn,
    which reads no Django settings; the settings modules choose their own default."""
    default = "json" if os.environ.get("DJANGO_SETTINGS_MODULE", "").endswith(".production") else "plain"
    return os.environ.get("LOG_FORMAT") or default


def formatter(fmt: str) -> logging.Formatter:
    return JsonFormatter() if fmt == "json" else logging.Formatter(PLAIN_FORMAT)


def with_portal_filters(handler: logging.Handler, fmt: str) -> logging.Handler:
    """`handler` with the formatter of `fmt` and the two filters every portal handler carries."""
    handler.setFormatter(formatter(fmt))
    handler.addFilter(RequestIdFilter())
    handler.addFilter(PersonalNumberFilter())
    return handler


def logging_config(*, fmt: str, level: str) -> dict[str, Any]:
    """settings.LOGGING: one console handler on the root logger, in `fmt` (json or plain)."""
    if fmt not in {"json", "plain"}:
        raise ValueError(f"LOG_FORMAT must be json or plain, not {fmt!r}")
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {
            "request_id": {"()": "portal.core.request_id.RequestIdFilter"},
            "personal_numbers": {"()": "portal.core.log_privacy.PersonalNumberFilter"},
        },
        "formatters": {
            "json": {"()": "portal.core.log_format.JsonFormatter"},
            "plain": {"format": PLAIN_FORMAT},
        },
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": fmt,
                "filters": ["request_id", "personal_numbers"],
            }
        },
        "root": {"handlers": ["console"], "level": level},
    }

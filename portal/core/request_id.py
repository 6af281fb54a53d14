"""One request id on every log line of a request, in its response, and in the Celery tasks it queues.

The middleware takes the id of an incoming `X-Request-ID` (the reverse proxy's, or a partner's) when
it is sane: 1 to 64 characters of letters, digits, `-`, `_` and `.`; anything else is replaced by a
new uuid4 hex, so a header cannot forge a log line. The id lives in a context variable for the
request, goes back in the response's `X-Request-ID` (gunicorn's access log reads it there), and
`RequestIdFilter` writes it into every log record as `request_id` ("-" outside a request or task).
A task queued during a request carries the id in its message headers; a task started without one
logs under its own task id. (django-guid does this too, but its 3.6.1 requires Django < 6 on
Python 3.12.)"""

import logging
import re
import uuid
from collections.abc import Callable
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

from django.core.signals import request_finished

if TYPE_CHECKING:
    from django.http import HttpRequest, HttpResponseBase

HEADER = "X-Request-ID"
TASK_HEADER = "request_id"
_SANE = re.compile(r"[A-Za-z0-9._-]{1,64}")
_current: ContextVar[str | None] = ContextVar("request_id", default=None)


def request_id_get() -> str | None:
    return _current.get()


def request_id_clean(value: str | None) -> str:
    """`value` when it is a sane id, else a new one."""
    if value and _SANE.fullmatch(value):
        return value
    return uuid.uuid4().hex


class RequestIdMiddleware:
    """First in MIDDLEWARE. The id stays set until the response is closed (request_finished), so
    that Django's own log line of a 4xx/5xx response, written after the middleware, carries it."""

    def __init__(self, get_response: Callable[["HttpRequest"], "HttpResponseBase"]) -> None:
        self.get_response = get_response

    def __call__(self, request: "HttpRequest") -> "HttpResponseBase":
        request_id = request_id_clean(request.headers.get(HEADER))
        _current.set(request_id)
        response = self.get_response(request)
        response[HEADER] = request_id
        return response


def _forget(**kwargs: Any) -> None:
    _current.set(None)


request_finished.connect(_forget, dispatch_uid="portal.core.request_id.forget")


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "request_id", None):
            record.request_id = _current.get() or "-"
        return True


# Celery signal handlers (connected in portal/celery.py).


def task_publish_add_request_id(headers: dict[str, Any] | None = None, **kwargs: Any) -> None:
    """before_task_publish: a task queued during a request carries the request's id."""
    request_id = _current.get()
    if request_id and headers is not None:
        headers.setdefault(TASK_HEADER, request_id)


def task_prerun_set_request_id(task_id: str = "", task: Any = None, **kwargs: Any) -> None:
    """task_prerun: the id the task was queued with; run inline (eager), the caller's; else the task id."""
    queued = task.request.get(TASK_HEADER) if task is not None else None
    request_id = request_id_clean(queued) if queued else (_current.get() or task_id or uuid.uuid4().hex)
    if task is not None:
        task.request.portal_request_id_token = _current.set(request_id)


def task_postrun_reset_request_id(task: Any = None, **kwargs: Any) -> None:
    token = getattr(task.request, "portal_request_id_token", None) if task is not None else None
    if token is not None:
        _current.reset(token)

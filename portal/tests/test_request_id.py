"""Every response names its request id, every log line of the request carries it, and so do the
Celery tasks the request queued (issue 19)."""

import logging
import re
from types import SimpleNamespace

import pytest

from portal.core import request_id
from portal.core.request_id import (
    task_postrun_reset_request_id,
    task_prerun_set_request_id,
    task_publish_add_request_id,
)

pytestmark = pytest.mark.django_db

NEW_ID = re.compile(r"[0-9a-f]{32}")


def warnings_of(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "django.request"]


def test_a_request_gets_an_id_in_its_response_and_in_its_log_lines(client, caplog):
    # given a request without an id, for a page that does not exist (Django logs a warning)
    with caplog.at_level(logging.WARNING, logger="django.request"):
        response = client.get("/no-such-page/")
    # then the response names a new id, and Django's log line of that request carries the same
    assert response.status_code == 404
    given = response["X-Request-ID"]
    assert NEW_ID.fullmatch(given)
    (record,) = warnings_of(caplog)
    assert record.request_id == given


def test_a_sane_incoming_id_is_kept(client, caplog):
    # given the reverse proxy's id
    with caplog.at_level(logging.WARNING, logger="django.request"):
        response = client.get("/no-such-page/", HTTP_X_REQUEST_ID="edge-7f3a.1_b")
    # then the portal answers and logs under it
    assert response["X-Request-ID"] == "edge-7f3a.1_b"
    assert warnings_of(caplog)[0].request_id == "edge-7f3a.1_b"


@pytest.mark.parametrize(
    "incoming",
    ["a" * 65, "two words", 'x"}, "level": "CRITICAL', "行号", "id\nforged line", ""],
)
def test_an_odd_incoming_id_is_replaced_by_a_new_one(client, incoming):
    response = client.get("/healthz", HTTP_X_REQUEST_ID=incoming)
    assert response.status_code == 200
    assert NEW_ID.fullmatch(response["X-Request-ID"])


def test_two_requests_get_two_ids_and_none_is_left_behind(client):
    first = client.get("/healthz")["X-Request-ID"]
    second = client.get("/healthz")["X-Request-ID"]
    assert first != second
    # and once a response is finished, log lines carry no request id
    assert request_id.request_id_get() is None
    record = logging.LogRecord("portal.tests", logging.INFO, __file__, 1, "after", None, None)
    request_id.RequestIdFilter().filter(record)
    assert record.request_id == "-"


def test_a_task_queued_during_a_request_logs_under_the_requests_id():
    # given a request being served
    token = request_id._current.set("req-1")
    try:
        # when it queues a task, the message headers carry the request's id
        headers: dict = {}
        task_publish_add_request_id(headers=headers)
        assert headers == {"request_id": "req-1"}
    finally:
        request_id._current.reset(token)
    # and the worker that runs the task logs under that id, and forgets it afterwards
    task = SimpleNamespace(request=SimpleNamespace(**headers))
    task.request.get = lambda key, default=None: getattr(task.request, key, default)
    task_prerun_set_request_id(task_id="c0ffee", task=task)
    assert request_id.request_id_get() == "req-1"
    task_postrun_reset_request_id(task=task)
    assert request_id.request_id_get() is None


def test_a_task_queued_by_beat_logs_under_its_own_task_id():
    task = SimpleNamespace(request=SimpleNamespace())
    task.request.get = lambda key, default=None: getattr(task.request, key, default)
    task_prerun_set_request_id(task_id="5b1c2d3e-task", task=task)
    assert request_id.request_id_get() == "5b1c2d3e-task"
    task_postrun_reset_request_id(task=task)
    assert request_id.request_id_get() is None


def test_a_task_run_through_celery_carries_the_id_of_the_request_that_queued_it(caplog):
    # given a task of the portal's Celery app, run inline as in tests
    from portal.celery import app

    seen: list[str | None] = []

    @app.task(name="portal.tests.remember_request_id")
    def remember() -> None:
        seen.append(request_id.request_id_get())

    token = request_id._current.set("req-2")
    try:
        remember.delay()
    finally:
        request_id._current.reset(token)
    remember.delay()
    # then inside a request the task sees the request's id, outside it its own task id
    assert seen[0] == "req-2"
    assert seen[1] and seen[1] != "req-2"
    assert request_id.request_id_get() is None

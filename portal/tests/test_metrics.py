"""GET /metrics (issue 19): for the scraper beside the portal or holding the token, nobody else;
task failures and the outbox's lag are in it, and several processes add up."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client
from prometheus_client.parser import text_string_to_metric_families

from portal.core import metrics

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
OUTSIDE = "203.0.113.7"


def sample(text: str, name: str, **labels: str) -> float | None:
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            if s.name == name and all(s.labels.get(k) == v for k, v in labels.items()):
                return s.value
    return None


def scrape(client: Client, **headers: str) -> str:
    response = client.get("/metrics", **headers)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    return response.content.decode()


def test_a_scraper_beside_the_portal_gets_the_metrics(client):
    # given a scraper on the same host (the test client's address is 127.0.0.1)
    text = scrape(client)
    # then it sees the request metrics of django-prometheus and the portal's own
    assert "django_http_requests_total_by_method_total" in text
    assert "# TYPE portal_settlements_total counter" in text
    assert "# TYPE portal_celery_task_failures_total counter" in text


def test_a_scraper_on_the_private_network_gets_them_too(client):
    assert client.get("/metrics", REMOTE_ADDR="10.0.3.7").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="fd00::7", HTTP_X_FORWARDED_FOR="10.0.3.8").status_code == 200


@pytest.mark.parametrize(
    "headers",
    [
        {"REMOTE_ADDR": OUTSIDE},
        # through the reverse proxy on the same host, which names the visitor
        {"REMOTE_ADDR": "127.0.0.1", "HTTP_X_FORWARDED_FOR": OUTSIDE},
        {"REMOTE_ADDR": "127.0.0.1", "HTTP_X_FORWARDED_FOR": f"10.0.0.2, {OUTSIDE}"},
        {"REMOTE_ADDR": "127.0.0.1", "HTTP_X_FORWARDED_FOR": "not-an-address"},
        {"REMOTE_ADDR": OUTSIDE, "HTTP_AUTHORIZATION": "Bearer wrong-token"},
    ],
)
def test_anyone_else_is_told_there_is_no_such_page(client, settings, headers):
    settings.METRICS_TOKEN = "s3cret-scrape-token"
    response = client.get("/metrics", **headers)
    assert response.status_code == 404
    assert b"portal_" not in response.content


def test_the_token_opens_the_metrics_from_anywhere(client, settings):
    settings.METRICS_TOKEN = "s3cret-scrape-token"
    text = scrape(client, REMOTE_ADDR=OUTSIDE, HTTP_AUTHORIZATION="Bearer s3cret-scrape-token")
    assert "portal_settlements_total" in text


def test_without_a_token_setting_no_bearer_opens_them(client, settings):
    settings.METRICS_TOKEN = ""
    assert client.get("/metrics", REMOTE_ADDR=OUTSIDE, HTTP_AUTHORIZATION="Bearer ").status_code == 404


def test_a_failing_celery_task_is_counted_by_name(client):
    # given a task of the portal's Celery app that raises
    from portal.celery import app

    @app.task(name="portal.tests.always_fails")
    def always_fails() -> None:
        raise RuntimeError("gateway down")

    before = (
        sample(scrape(client), "portal_celery_task_failures_total", task="portal.tests.always_fails") or 0
    )
    # when a worker runs it and it fails, twice (apply: in this process, the exception kept in the
    # result as a worker keeps it, not raised into the caller as the tests' eager mode does)
    for _ in range(2):
        assert always_fails.apply(throw=False).failed()
    # then the metrics count two failures of that task
    after = sample(scrape(client), "portal_celery_task_failures_total", task="portal.tests.always_fails")
    assert after == before + 2


def test_the_outbox_gauges_are_read_at_scrape_time(client, monkeypatch):
    from accounts import outbox_selectors

    monkeypatch.setattr(outbox_selectors, "outbox_lag_seconds", lambda: 754.5)
    monkeypatch.setattr(outbox_selectors, "outbox_pending_count", lambda: 12)
    text = scrape(client)
    assert sample(text, "portal_outbox_lag_seconds") == 754.5
    assert sample(text, "portal_outbox_pending") == 12
    monkeypatch.setattr(outbox_selectors, "outbox_pending_count", lambda: 0)
    assert sample(scrape(client), "portal_outbox_pending") == 0


def test_the_outbox_gauges_read_the_outbox_itself(client):
    text = scrape(client)
    assert sample(text, "portal_outbox_pending") == 0
    assert sample(text, "portal_outbox_lag_seconds") == 0


def test_without_an_outbox_module_the_scrape_still_answers(client, monkeypatch):
    monkeypatch.setitem(sys.modules, "accounts.outbox_selectors", None)  # import fails
    text = scrape(client)
    assert sample(text, "portal_outbox_pending") is None
    assert "portal_settlements_total" in text


def test_when_the_database_does_not_answer_the_outbox_gauges_are_left_out(client, monkeypatch):
    from accounts import outbox_selectors

    def down() -> float:
        raise ConnectionError("server closed the connection")

    monkeypatch.setattr(outbox_selectors, "outbox_lag_seconds", down)
    text = scrape(client)
    assert sample(text, "portal_outbox_lag_seconds") is None
    assert "portal_celery_task_failures_total" in text


def test_in_multiprocess_mode_a_scrape_adds_up_every_process(tmp_path, monkeypatch):
    # given two processes (two gunicorn workers) that each settled once, in multiprocess mode
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    code = "from portal.core import metrics; metrics.SETTLEMENTS.labels(outcome='refused').inc()"
    for _ in range(2):
        subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, check=True)
    # when a third process scrapes with the same folder
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    from prometheus_client import generate_latest

    text = generate_latest(metrics.scrape_registry(outbox=False)).decode()
    # then it reports the sum of both
    assert sample(text, "portal_settlements_total", outcome="refused") == 2

"""The portal's own Prometheus metrics, beside django-prometheus's request, response and database
metrics (`django_http_*`, `django_db_*`). Served by GET /metrics (portal/metrics_view.py).

- `portal_settlements_total{outcome}`: family settlements by outcome: `settled` and `reversed` once
  committed, `refused` (a rule of DESIGN.md section 8 said no, 422) and `replayed` (a retry with a
  key already used answered with the first result).
- `portal_celery_task_failures_total{task}`: Celery tasks that raised, by task name.
- `portal_outbox_lag_seconds`, `portal_outbox_pending`: the age of the oldest undelivered notice of
  the outbox and how many are undelivered, read from PostgreSQL at scrape time.

gunicorn runs several worker processes and Celery several children: with PROMETHEUS_MULTIPROC_DIR
set (scripts/stack.py run, the image), prometheus_client keeps each process's values in files
there and a scrape adds them up (prometheus_client's multiprocess mode; gunicorn.conf.py's
`child_exit` does its bookkeeping). Imported by portal/celery.py before Django is set up: nothing
of Django at import time."""

import logging
import os
from collections.abc import Iterable, Iterator
from typing import Any

from prometheus_client import REGISTRY, CollectorRegistry, Counter, multiprocess, start_http_server
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

logger = logging.getLogger(__name__)

SETTLEMENTS = Counter("portal_settlements", "Family settlements by outcome", ["outcome"])
for _outcome in ("settled", "refused", "replayed", "reversed"):  # each series there from the start, at 0
    SETTLEMENTS.labels(outcome=_outcome)
CELERY_TASK_FAILURES = Counter("portal_celery_task_failures", "Celery tasks that raised, by task", ["task"])


def settlement_counted(outcome: str) -> None:
    """`settled` and `reversed` count when the transaction commits (a rolled-back one never
    happened); `refused` and `replayed` change nothing and count at once."""
    if outcome in {"settled", "reversed"}:
        from django.db import transaction

        transaction.on_commit(SETTLEMENTS.labels(outcome=outcome).inc)
    else:
        SETTLEMENTS.labels(outcome=outcome).inc()


def task_failure_counted(sender: Any = None, **kwargs: Any) -> None:
    """Celery's task_failure signal (connected in portal/celery.py); `sender` is the task."""
    CELERY_TASK_FAILURES.labels(task=getattr(sender, "name", None) or "unknown").inc()


class OutboxCollector(Collector):
    """The outbox gauges, computed by the scraping process from the database at scrape time."""

    def describe(self) -> list[GaugeMetricFamily]:
        return [self._lag(), self._pending()]

    def collect(self) -> Iterator[GaugeMetricFamily]:
        try:
            from accounts.outbox_selectors import outbox_lag_seconds, outbox_pending_count
        except ImportError:  # no outbox in this build
            return
        try:
            lag, pending = outbox_lag_seconds(), outbox_pending_count()
        except Exception:
            logger.warning("outbox metrics unavailable", exc_info=True)
            return
        yield self._lag(lag)
        yield self._pending(pending)

    @staticmethod
    def _lag(value: float | None = None) -> GaugeMetricFamily:
        return GaugeMetricFamily(
            "portal_outbox_lag_seconds", "Age of the oldest undelivered outbox notice, 0 when none", value
        )

    @staticmethod
    def _pending(value: float | None = None) -> GaugeMetricFamily:
        return GaugeMetricFamily("portal_outbox_pending", "Undelivered outbox notices", value)


def multiprocess_dir() -> str | None:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


class _ThisProcess(Collector):
    """Every metric of this process (prometheus_client's default registry)."""

    def collect(self) -> Iterable[Metric]:
        return REGISTRY.collect()


def scrape_registry(*, outbox: bool = True) -> CollectorRegistry:
    """What one scrape reports: every process's values in multiprocess mode, else this process's;
    and the outbox gauges."""
    registry = CollectorRegistry()
    if multiprocess_dir() is None:
        registry.register(_ThisProcess())
    else:
        multiprocess.MultiProcessCollector(registry)
    if outbox:
        registry.register(OutboxCollector())
    return registry


def worker_metrics_serve(**kwargs: Any) -> None:
    """Celery's worker_init signal: with CELERY_METRICS_PORT set, the worker's main process serves
    its children's metrics (task failures) on that port, for a worker that shares no
    PROMETHEUS_MULTIPROC_DIR with the web process (docker-compose: its own container)."""
    port = os.environ.get("CELERY_METRICS_PORT")
    if port:
        start_http_server(int(port), registry=scrape_registry(outbox=False))

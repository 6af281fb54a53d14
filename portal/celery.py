"""The Celery app. Redis is the broker only; results and schedules live in PostgreSQL."""

import os
from logging.config import dictConfig
from typing import Any

from celery import Celery, signals

from portal.core import metrics, request_id

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.local")

app = Celery("portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@signals.setup_logging.connect
def _django_logging(**kwargs: Any) -> None:
    """Worker and beat log through settings.LOGGING (JSON in production), not Celery's own format."""
    from django.conf import settings

    dictConfig(settings.LOGGING)


# A task logs under the id of the request that queued it (portal/core/request_id.py).
signals.before_task_publish.connect(request_id.task_publish_add_request_id, weak=False)
signals.task_prerun.connect(request_id.task_prerun_set_request_id, weak=False)
signals.task_postrun.connect(request_id.task_postrun_reset_request_id, weak=False)
# portal_celery_task_failures_total, and the worker's own metrics port (portal/core/metrics.py).
signals.task_failure.connect(metrics.task_failure_counted, weak=False)
signals.worker_init.connect(metrics.worker_metrics_serve, weak=False)

"""Settings of the load test's processes (bench/load.py: its set-up, gunicorn, the Celery worker and
beat): the local settings, with the run's Celery queue and cache keys kept apart. `stack.py exec`
may hand the load test the Redis of a running `make run`; its worker must not take the load run's
tasks (their ids name rows of the load database), nor the run's rate-limit counters mix with the
portal's or with an earlier run's (LOAD_RUN_ID, set by bench/load.py)."""

from portal.settings.local import *  # noqa: F403
from portal.settings.local import CACHES, env

CELERY_TASK_DEFAULT_QUEUE = "load"
CACHES["default"]["KEY_PREFIX"] = f"load-{env('LOAD_RUN_ID', default='')}"

"""gunicorn settings of the web process, shared by `make run` (scripts/stack.py), the image
(Dockerfile, so docker-compose) and bench/settlement.py (decision record 0012).

A request is Python (Django, DRF) with one or two short waits on PostgreSQL. One worker process per
core runs the Python without two processes fighting for a core; four threads per worker let a
worker take the next request while one waits on the database (its WAL flush at commit) and keep the
counters' keep-alive connections open. WEB_CONCURRENCY and WEB_THREADS size it for another machine."""

import os
from typing import Any

workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = "gthread"
threads = int(os.environ.get("WEB_THREADS", "4"))
# Longer than any client's pause between requests (a counter's HIS waits seconds between patients): a
# server that closes an idle keep-alive connection just as the client sends on it resets that request
# (the load test saw one reversal in 11,240 requests lost that way at 5 s). gthread keeps idle
# connections in its poller, not in a thread. A reverse proxy in front should keep its upstream
# connections for less than this.
keepalive = 75
# The access log never holds an identity, card or phone number (portal/access_log.py).
logger_class = "portal.access_log.RedactingLogger"
# The combined format plus the request id the portal answered with (portal/core/request_id.py); with
# LOG_FORMAT=json the logger writes JSON lines with the same fields instead.
access_log_format = '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" %({x-request-id}o)s'


# prometheus_client's multiprocess mode (portal/core/metrics.py): each process writes its metrics into
# PROMETHEUS_MULTIPROC_DIR, which whoever starts gunicorn sets to an empty folder (scripts/stack.py
# run; the image, on a tmpfs in docker-compose.yml). It must exist before logger_class is imported
# (the portal's metrics are defined on import); a worker that exits hands back its live gauges.
if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    os.makedirs(os.environ["PROMETHEUS_MULTIPROC_DIR"], exist_ok=True)


def child_exit(server: Any, worker: Any) -> None:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)

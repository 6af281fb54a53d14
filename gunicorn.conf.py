"""gunicorn settings of the web process, shared by `make run` (scripts/stack.py), the image
(Dockerfile, so docker-compose) and bench/settlement.py (decision record 0012).

A request is Python (Django, DRF) with one or two short waits on PostgreSQL. One worker process per
core runs the Python without two processes fighting for a core; four threads per worker let a
worker take the next request while one waits on the database (its WAL flush at commit) and keep the
counters' keep-alive connections open. WEB_CONCURRENCY and WEB_THREADS size it for another machine."""

import os

workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = "gthread"
threads = int(os.environ.get("WEB_THREADS", "4"))
keepalive = 5
# The access log never holds an identity, card or phone number (portal/access_log.py).
logger_class = "portal.access_log.RedactingLogger"

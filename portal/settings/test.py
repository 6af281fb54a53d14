"""Test settings: the local ones with a fast password hasher and Celery run inline."""

import os

from portal.settings.local import *  # noqa: F403
from portal.settings.local import DATABASES, env

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
# Tests open one connection per thread themselves; a pool only hides leaks there.
DATABASES["default"].get("OPTIONS", {}).pop("pool", None)
MEDIA_ROOT = env.path("MEDIA_ROOT", default="/tmp/portal-test-media")  # noqa: S108
SMS_BACKEND = "memory"

# Under pytest-xdist (`make check`) each worker has its own test database (pytest-django adds the
# worker's suffix) and its own Redis database, so one worker's cache.clear() never empties another's
# rate-limit counters: worker gwN uses Redis database (the configured one + N + 1) modulo 16.
_worker = os.environ.get("PYTEST_XDIST_WORKER", "")
if _worker.startswith("gw"):
    from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

    from portal.settings.base import REDIS_URL, _celery_url

    def _redis_db_of_worker(url: str, index: int) -> str:
        parts = urlsplit(url)
        if parts.scheme == "unix":
            query = parse_qs(parts.query)
            db = (int(query.get("db", ["0"])[0]) + index + 1) % 16
            return urlunsplit(
                parts._replace(query=urlencode({**{k: v[0] for k, v in query.items()}, "db": db}))
            )
        db = (int(parts.path.strip("/") or 0) + index + 1) % 16
        return urlunsplit(parts._replace(path=f"/{db}"))

    REDIS_URL = _redis_db_of_worker(REDIS_URL, int(_worker[2:]))
    CACHES["default"]["LOCATION"] = REDIS_URL  # noqa: F405
    CELERY_BROKER_URL = _celery_url(REDIS_URL)

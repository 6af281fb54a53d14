"""Test settings: the local ones with a fast password hasher and Celery run inline."""

from portal.settings.local import *  # noqa: F403
from portal.settings.local import DATABASES, env

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
# Tests open one connection per thread themselves; a pool only hides leaks there.
DATABASES["default"].get("OPTIONS", {}).pop("pool", None)
MEDIA_ROOT = env.path("MEDIA_ROOT", default="/tmp/portal-test-media")  # noqa: S108
SMS_BACKEND = "memory"

"""Local development: plain HTTP on 127.0.0.1; missing keys are generated once into .local/."""

from portal.settings.keys import ensure_local_keys

ensure_local_keys()

from portal.core.log_format import logging_config  # noqa: E402
from portal.settings.base import *  # noqa: E402, F403
from portal.settings.base import LOG_LEVEL, env  # noqa: E402

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
WHITENOISE_USE_FINDERS = True
STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}  # noqa: F405
STATIC_ROOT = LOCAL_DIR / "staticfiles"  # noqa: F405
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
# Logs for people by default; LOG_FORMAT=json gives the production lines.
LOGGING = logging_config(fmt=env("LOG_FORMAT", default="") or "plain", level=LOG_LEVEL)

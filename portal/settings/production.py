"""Production: every key from the environment, HTTPS only. `manage.py check --deploy` is clean."""

from portal.settings.base import *  # noqa: F403
from portal.settings.base import env

DEBUG = False
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS")
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
# A scraper beside the portal asks for /metrics over plain HTTP (portal/metrics_view.py decides who may).
SECURE_REDIRECT_EXEMPT = [r"^metrics$"]
SECURE_HSTS_SECONDS = 60 * 60 * 24 * 365
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# seed_demo would install logins with the public demo authenticator key: refused here, no override.
DEMO_DATA_ALLOWED = False

# SMS (decision record 0015): a text may hold a one-time code, so production never prints or logs it.
# `console` becomes `logging` (the masked number and the template name only); `file` and `memory`
# write or keep full numbers and texts and are for development and tests.
SMS_BACKEND = {"console": "logging"}.get(SMS_BACKEND, SMS_BACKEND)  # noqa: F405
if SMS_BACKEND in {"file", "memory"}:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured("SMS_BACKEND file and memory are for development and tests only")

# Passkeys (decision record 0019): by default the relying party is the first host served, over HTTPS.
OTP_WEBAUTHN_RP_ID = env("WEBAUTHN_RP_ID", default=ALLOWED_HOSTS[0].lstrip(".") if ALLOWED_HOSTS else "")
OTP_WEBAUTHN_ALLOWED_ORIGINS = env.list("WEBAUTHN_ORIGINS", default=[f"https://{OTP_WEBAUTHN_RP_ID}"])

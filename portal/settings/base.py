"""Settings shared by every environment. Everything configurable comes from the environment
(django-environ); see docs/runbook.md for the variables."""

from datetime import timedelta
from pathlib import Path

import environ
from django.utils.csp import CSP

from portal.core.log_format import logging_config
from portal.core.pool import check_quietly

BASE_DIR = Path(__file__).resolve().parent.parent.parent
LOCAL_DIR = BASE_DIR / ".local"  # git-ignored: embedded servers, generated dev keys

env = environ.Env()

SECRET_KEY = env("SECRET_KEY")
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[])

# Identity numbers and phones: Fernet (AES-128-CBC + HMAC) with rotation. FIELD_ENCRYPTION_KEY is a
# comma-separated list of Fernet keys, newest first; ID_HASH_KEY keys the HMAC-SHA256 lookup column.
FIELD_ENCRYPTION_KEYS = env.list("FIELD_ENCRYPTION_KEY")
ID_HASH_KEY = env("ID_HASH_KEY")

INSTALLED_APPS = [
    "portal.apps.PortalAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "knox",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "django_otp_webauthn",
    "axes",
    "simple_history",
    "django_celery_beat",
    "django_prometheus",
    "portal.apps.PortalConfig",
    "accounts.apps.AccountsConfig",
    "family_sharing.apps.FamilySharingConfig",
    "certification.apps.CertificationConfig",
]

MIDDLEWARE = [
    "portal.core.request_id.RequestIdMiddleware",  # first: every log line of the request carries its id
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "portal.middleware.ApiLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "portal.request_size.RequestSizeLimitMiddleware",  # before anything reads the body (CSRF does)
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "axes.middleware.AxesMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csp",  # csp_nonce: the API docs page only
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "portal.context_processors.display",
            ],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL")}
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# django-prometheus's wrapper of the same backend counts queries, their time and errors
# (`django_db_*`); it works with the pool below and leaves prepared_cursor's statements uncounted.
DATABASES["default"]["ENGINE"] = "django_prometheus.db.backends.postgresql"
# Django's cursors bind parameters on the client and never prepare; portal.core.db.prepared_cursor
# (the token look-up, the settlement function) binds on the server and prepares on first use, which
# psycopg allows only when the connection has a threshold (decision record 0014).
DATABASES["default"].setdefault("OPTIONS", {})["prepare_threshold"] = 1_000_000
if env.bool("DB_POOL", default=True):
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": 1,
        "max_size": 10,
        "timeout": 10,
        "check": check_quietly,  # a round trip only when the idle connection's socket has news
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # refuses locked logins before any password check
    "accounts.backends.LoginBackend",  # identity number or staff username + password (+ OTP)
]

# Argon2id (argon2-cffi, Django's parameters: 100 MiB, 2 passes) first: memory-hard, and about 0.25 s of
# CPU a sign-in here against 0.6 s for PBKDF2's 1.5 million rounds, which capped sign-ins at about 3.5 a
# second on two cores under the load test (bench/README.md). PBKDF2 hashes still verify and are
# rehashed with Argon2 at the next sign-in.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "accounts:me"

# Internationalisation: zh-hans first, English second. Our own msgids are written in Chinese.
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=str(LOCAL_DIR / "media"))
STORAGES = {
    # FileSystemStorage that never leaves a partial file on a full disk (portal/core/uploads.py)
    "default": {"BACKEND": "portal.core.uploads.AtomicFileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# Redis is broker and cache only: losing it loses no data.
REDIS_URL = env("REDIS_URL")


def _celery_url(url: str) -> str:
    """kombu spells a unix socket redis+socket://; Django's cache and redis-py spell it unix://."""
    return "redis+socket://" + url.removeprefix("unix://") if url.startswith("unix://") else url


CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        # an unreachable Redis fails within a second (portal.core.counters then counts in memory)
        "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
    },
    "fallback": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "counters"},
}

CELERY_BROKER_URL = _celery_url(REDIS_URL)
# A publish while Redis is down fails within about a second instead of hanging the request: what was
# being published is in the outbox, and the beat's sweep sends it once Redis is back.
CELERY_BROKER_TRANSPORT_OPTIONS = {"socket_connect_timeout": 2, "socket_timeout": 5}
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 2,
    "interval_start": 0,
    "interval_step": 0.3,
    "interval_max": 0.3,
}
# /readyz says `late` (and the metrics' alert fires) when the oldest undelivered SMS is older.
OUTBOX_LAG_ALERT_SECONDS = env.int("OUTBOX_LAG_ALERT_SECONDS", default=600)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_IGNORE_RESULT = True
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 30 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 25 * 60
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["accounts.authentication.BearerTokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "rest_framework.parsers.JSONParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_SCHEMA_CLASS": "portal.schema.AutoSchema",
    "EXCEPTION_HANDLER": "portal.api.exception_handler",
    "DEFAULT_PAGINATION_CLASS": "portal.api.Pagination",
    "PAGE_SIZE": 100,
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}

REST_KNOX = {
    "AUTH_HEADER_PREFIX": "Bearer",
    "TOKEN_TTL": timedelta(hours=2),
    "AUTO_REFRESH": False,
    "TOKEN_LIMIT_PER_USER": 20,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "医保家庭共济门户 API",
    "DESCRIPTION": "Integration contract v1 (docs/API.md): e-card app, hospital HIS, channel partners.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SCHEMA_PATH_PREFIX": "/api/v1",
    # request and response bodies described apart: a request string that may not be blank says
    # minLength 1, and read-only fields are not offered as input
    "COMPONENT_SPLIT_REQUEST": True,
}

# django-otp
OTP_TOTP_ISSUER = "医保家庭共济"

# Passkeys as a second factor, never without the password (django-otp-webauthn; decision record 0019).
# The relying party is the host name residents see (a domain: browsers refuse an IP address), and
# WEBAUTHN_ORIGINS every origin the pages are served from; a passkey made for one RP ID works for no
# other. Development: http://localhost:PORT (a secure context for browsers, unlike 127.0.0.1 here).
OTP_WEBAUTHN_RP_NAME = "医保家庭共济"
OTP_WEBAUTHN_RP_ID = env("WEBAUTHN_RP_ID", default="localhost")
OTP_WEBAUTHN_ALLOWED_ORIGINS = env.list(
    "WEBAUTHN_ORIGINS", default=[f"http://localhost:{env('PORT', default='8000')}"]
)
OTP_WEBAUTHN_ALLOW_PASSWORDLESS_LOGIN = False
OTP_WEBAUTHN_HELPER_CLASS = "accounts.passkeys.PasskeyHelper"

# django-simple-history: a version's page is for reading; nobody reverts a person or an account
# through it (the admin's history pages answer GET only, portal/admin_helpers.py).
SIMPLE_HISTORY_REVERT_DISABLED = True

# django-axes: lockout per login (not per address), 5 failures within 15 minutes.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_USERNAME_CALLABLE = "accounts.backends.axes_username"
AXES_LOCKOUT_CALLABLE = "accounts.views.lockout_response"
AXES_RESET_ON_SUCCESS = True
AXES_ENABLE_ACCESS_FAILURE_LOG = False
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
SILENCED_SYSTEM_CHECKS = ["axes.W006"]  # lockout is per login by contract (API.md section 7)

# Rate limits (portal/core/ratelimit.py): the client address is the TCP peer unless TRUSTED_PROXY_COUNT
# reverse proxies that append to X-Forwarded-For stand in front. RATE_LIMITS overrides the defaults of
# portal.core.ratelimit.DEFAULT_RATE_LIMITS scope by scope ({"login": {"key": (30, 3600)}}).
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
RATE_LIMITS: dict[str, dict[str, tuple[int, int] | None]] = {}

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = 60 * 60 * 2
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# Content-Security-Policy (Django's own middleware; docs/architecture.md): scripts and styles from this
# origin only — no inline script, no inline event handler, no style attribute in our templates (they
# live in static/). The one exception is the API docs page (drf-spectacular's Swagger UI): its inline
# <script> and <style> carry the per-response nonce (templates/drf_spectacular/swagger_ui.html); a
# nonce is added to the header only on a response whose template used it. Swagger UI's icons are
# data: images.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF, CSP.NONCE],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}

FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 6 * 1024 * 1024
# Every request (portal/request_size.py): a Content-Length over this is answered 413 before the body
# is read. The largest form carries two documents of at most 5 MB each (a delegation's identity
# document and face photo), hence 12 MB by default; 0 turns the check off. Files per request: the
# most any form takes is two.
REQUEST_MAX_BYTES = env.int("REQUEST_MAX_BYTES", default=12 * 1024 * 1024)
DATA_UPLOAD_MAX_NUMBER_FILES = 5

# `seed_demo` installs logins that share one public authenticator key (portal/demo.py): production
# settings turn this off and the command then refuses to run.
DEMO_DATA_ALLOWED = True

# SMS (portal/core/notify.py, API.md section 2): `console` prints masked number and text, `file` appends
# JSON lines to SMS_FILE_PATH, `memory` keeps them for tests, `aliyun` sends through Alibaba Cloud SMS
# with the ALIYUN_SMS_* variables below; a dotted path names any other sender class. In-app messages
# are always stored.
SMS_BACKEND = env("SMS_BACKEND", default="") or env("SMS_SENDER", default="") or "console"
SMS_FILE_PATH = env.path("SMS_FILE_PATH", default=str(LOCAL_DIR / "sms.jsonl"))
ALIYUN_SMS = {
    "access_key_id": env("ALIYUN_SMS_ACCESS_KEY_ID", default=""),
    "access_key_secret": env("ALIYUN_SMS_ACCESS_KEY_SECRET", default=""),
    "sign_name": env("ALIYUN_SMS_SIGN_NAME", default=""),
    "endpoint": env("ALIYUN_SMS_ENDPOINT", default="dysmsapi.aliyuncs.com"),
    "protocol": "https",
    # One approved template code per message kind; `notice` has one parameter `content`, `sms_code`
    # one parameter `code`.
    "templates": {
        "notice": env("ALIYUN_SMS_TEMPLATE_NOTICE", default=""),
        "sms_code": env("ALIYUN_SMS_TEMPLATE_SMS_CODE", default=""),
        "login_created": env("ALIYUN_SMS_TEMPLATE_LOGIN_CREATED", default=""),
        "login_notice": env("ALIYUN_SMS_TEMPLATE_LOGIN_NOTICE", default=""),
    },
}

# Pension qualification certification channels (DESIGN.md section 9, API.md section 4). Adding a
# channel is one entry here plus, for an online one, its secret CERT_CALLBACK_SECRET_<NAME> in the
# environment (required: production refuses to start without it). `kind` online: results arrive by
# signed callback at /api/v1/certification/callbacks/<name>/; offline: staff record them.
CERTIFICATION_CHANNELS: list[dict[str, object]] = [
    {"name": "alipay", "kind": "online", "methods": ["face_blink", "face_digits"]},
    {"name": "wechat", "kind": "online", "methods": ["face_blink", "face_digits"]},
    {"name": "app", "kind": "online", "methods": ["face_blink", "face_digits"]},
    {"name": "mini_program", "kind": "online", "methods": ["face_blink", "face_digits"]},
    {"name": "bureau", "kind": "offline", "methods": ["in_person"]},
    {"name": "community", "kind": "offline", "methods": ["in_person"]},
    {"name": "home_visit", "kind": "offline", "methods": ["in_person"]},
]
CERT_CALLBACK_SECRETS = {
    str(c["name"]): env(f"CERT_CALLBACK_SECRET_{str(c['name']).upper()}")
    for c in CERTIFICATION_CHANNELS
    if c["kind"] == "online"
}
CERT_CALLBACK_WINDOW_SECONDS = 300

# Logs (portal/core/log_format.py): JSON lines with a request id by default (LOG_FORMAT=plain for
# people; local settings default to plain), personal numbers masked on every handler.
LOG_LEVEL = env("LOG_LEVEL", default="INFO")
LOGGING = logging_config(fmt=env("LOG_FORMAT", default="") or "json", level=LOG_LEVEL)

# GET /metrics (portal/metrics_view.py): to loopback and private addresses, or to anyone with
# `Authorization: Bearer <METRICS_TOKEN>`; empty turns the token off.
METRICS_TOKEN = env("METRICS_TOKEN", default="")

# The portal's one image: web (gunicorn), Celery worker, Celery beat and the one-shot migrate job all
# run from it (docker-compose.yml). Secrets are never baked in: they come from the environment at run time.
FROM python:3.12-slim

ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    UV_PROJECT_ENVIRONMENT=/app/.venv \
    UV_PYTHON=/usr/local/bin/python3.12 \
    UV_PYTHON_DOWNLOADS=never \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    PATH=/app/.venv/bin:$PATH \
    DJANGO_SETTINGS_MODULE=portal.settings.production \
    MEDIA_ROOT=/var/lib/portal/media \
    PROMETHEUS_MULTIPROC_DIR=/tmp/prometheus

RUN pip install --no-cache-dir uv==0.13.9

WORKDIR /app

# Dependencies first (exactly as locked in uv.lock, without the dev group) so code changes reuse this layer.
COPY pyproject.toml uv.lock ./
RUN uv sync --frozen --no-dev --no-install-project --no-cache

COPY . .

# Production settings refuse to start without their secrets. collectstatic touches neither the database
# nor Redis nor the keys, so this one RUN line gets throwaway values on its command line; they are not
# ENV and are not in the image's environment (the all-zero Fernet key only has to be well-formed).
RUN SECRET_KEY=collectstatic-build-only-not-a-secret \
    FIELD_ENCRYPTION_KEY=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA= \
    ID_HASH_KEY=collectstatic-build-only \
    ALLOWED_HOSTS=localhost \
    DATABASE_URL=postgres://build@localhost:5432/build \
    REDIS_URL=redis://localhost:6379/0 \
    CERT_CALLBACK_SECRET_ALIPAY=build CERT_CALLBACK_SECRET_WECHAT=build \
    CERT_CALLBACK_SECRET_APP=build CERT_CALLBACK_SECRET_MINI_PROGRAM=build \
    python manage.py collectstatic --noinput

# Run as an unprivileged user; it may write only the media folder (uploaded binding evidence) and the
# metrics folder (prometheus_client's multiprocess mode; docker-compose.yml mounts an empty tmpfs
# there on every start).
RUN useradd --system --user-group --uid 10001 --home-dir /app --no-create-home --shell /usr/sbin/nologin app \
    && mkdir -p "$MEDIA_ROOT" "$PROMETHEUS_MULTIPROC_DIR" \
    && chown app:app "$MEDIA_ROOT" "$PROMETHEUS_MULTIPROC_DIR"
USER app

EXPOSE 8000
# Workers and threads: gunicorn.conf.py (WEB_CONCURRENCY, WEB_THREADS).
CMD ["gunicorn", "portal.wsgi", "-c", "gunicorn.conf.py", "-b", "0.0.0.0:8000", "--access-logfile", "-"]

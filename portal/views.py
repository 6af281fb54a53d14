"""Public pages and probes of the composition root."""

from django.db import connection
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from portal.context_processors import LARGE_TEXT_COOKIE


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/home.html")


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """200 while the process is up."""
    return JsonResponse({"status": "ok"})


@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    """200 only when PostgreSQL and Redis both answer (API.md section 1). It also reports the SMS
    outbox: how old the oldest undelivered notice is, and `late` past OUTBOX_LAG_ALERT_SECONDS. A late
    outbox does not make the web unready (taking it out of the balancer would not deliver a notice):
    it is the operator's alert (docs/runbook.md section 3)."""
    checks = {"database": _database_ok(), "redis": _redis_ok()}
    ready = all(checks.values())
    body: dict[str, object] = {"status": "ok" if ready else "unavailable", "checks": checks}
    if checks["database"]:
        body["outbox"] = _outbox()
    return JsonResponse(body, status=200 if ready else 503)


def _outbox() -> dict[str, object]:
    from django.conf import settings

    from accounts.outbox_selectors import outbox_lag_seconds, outbox_pending_count

    lag = outbox_lag_seconds()
    return {
        "pending": outbox_pending_count(),
        "lag_seconds": round(lag),
        "late": lag > settings.OUTBOX_LAG_ALERT_SECONDS,
    }


def _database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except Exception:
        return False


def _redis_ok() -> bool:
    from django.conf import settings
    from redis import Redis

    try:
        client = Redis.from_url(settings.REDIS_URL, socket_connect_timeout=1, socket_timeout=1)
        return bool(client.ping())
    except Exception:
        return False


@require_POST
def display_toggle(request: HttpRequest) -> HttpResponse:
    """Large-text mode (适老化): a cookie kept for a year, no account needed."""
    target = request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = "/"
    response = HttpResponseRedirect(target)
    on = request.COOKIES.get(LARGE_TEXT_COOKIE) != "1"
    response.set_cookie(
        LARGE_TEXT_COOKIE,
        "1" if on else "0",
        max_age=365 * 24 * 3600,
        samesite="Lax",
        secure=request.is_secure(),
        httponly=True,
    )
    return response

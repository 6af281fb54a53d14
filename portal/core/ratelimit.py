"""Rate limits that hold (API.md section 1; docs/security.md).

Every limited action is counted twice: per key (the login, identity number, registration or user the
attempt is about) and per client address. Counting is one atomic Redis INCR per counter, done *before*
the check, so requests sent in parallel cannot all pass a check that only reads: the (N+1)th increment
sees N+1 whatever the interleaving. Windows are fixed (the count starts at the first attempt of a window
and expires with it); the answer to an attempt over the limit is 429 `throttled` with `Retry-After`, the
seconds left in the window.

The client address is the TCP peer (`REMOTE_ADDR`). Only when the operator says that N trusted reverse
proxies stand in front (`TRUSTED_PROXY_COUNT` = N) is it the address the outermost trusted proxy saw,
the N-th entry from the right of `X-Forwarded-For`; a client that sends its own `X-Forwarded-For` only
adds entries to the left of it, so a forged header never changes the address that is counted.

While Redis does not answer, the counts are kept in each process's memory (portal.core.counters).

Keys are stored as keyed hashes (HMAC with ID_HASH_KEY): an identity number never reaches Redis.
"""

from dataclasses import dataclass, field

from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone
from rest_framework.request import Request

from portal.core import counters, crypto
from portal.core.errors import THROTTLED, ApplicationError, Reason

# Defaults, overridable one by one with settings.RATE_LIMITS = {scope: {"key": (n, s), "address": (n, s)}}:
# at most n attempts in s seconds per key and per client address. None: that side is not limited.
DEFAULT_RATE_LIMITS: dict[str, dict[str, tuple[int, int] | None]] = {
    # registration attempts (API and web) per identity number, and per address
    "register": {"key": (5, 3600), "address": (30, 3600)},
    # SMS codes typed (registration confirmation, SMS sign-in) per registration or login, per address
    "sms_code": {"key": (10, 3600), "address": (60, 3600)},
    # SMS messages sent per number on file (registration) or per login (an SMS sign-in code, counted
    # whatever the login names), per address (the device also allows one a minute)
    "sms_send": {"key": (10, 86400), "address": (30, 3600)},
    # sign-in attempts (token API, resident and staff sign-in pages) per login, per address;
    # django-axes also locks a login after 5 failures in 15 minutes (API.md section 7)
    "login": {"key": (30, 3600), "address": (100, 3600)},
    # eligibility checks of another person (API and the page's check-as-you-type) per user, per address
    "binding_check": {"key": (60, 3600), "address": (300, 3600)},
    # principal look-ups when adding a family-service delegation, per user, per address
    "delegation_lookup": {"key": (10, 3600), "address": (60, 3600)},
}

THROTTLED_MESSAGE = "操作过于频繁，请稍后再试"


@dataclass
class RateLimited(ApplicationError):
    """429 `throttled`; `retry_after` (seconds) becomes the Retry-After header."""

    retry_after: int = field(default=60)


def client_address(request: HttpRequest | Request) -> str:
    """The TCP peer, or with TRUSTED_PROXY_COUNT = N > 0 the address the outermost trusted proxy saw."""
    if isinstance(request, Request):
        request = request._request
    peer = str(request.META.get("REMOTE_ADDR") or "unknown")
    trusted = int(getattr(settings, "TRUSTED_PROXY_COUNT", 0) or 0)
    if trusted <= 0:
        return peer
    forwarded = [p.strip() for p in str(request.META.get("HTTP_X_FORWARDED_FOR", "")).split(",") if p.strip()]
    if len(forwarded) < trusted:
        # The request did not pass every trusted proxy: nothing in the header can be believed.
        return peer
    return forwarded[-trusted]


def limits(scope: str) -> dict[str, tuple[int, int] | None]:
    configured = getattr(settings, "RATE_LIMITS", {}) or {}
    if scope not in DEFAULT_RATE_LIMITS and scope not in configured:
        raise KeyError(f"unknown rate-limit scope {scope!r}")
    return {**DEFAULT_RATE_LIMITS.get(scope, {}), **configured.get(scope, {})}


def _count(name: str, seconds: int) -> tuple[int, int]:
    """One atomic increment of this window's counter -> (count including this attempt, seconds left)."""
    now = int(timezone.now().timestamp())
    window = now // seconds
    key = f"rl:{name}:{window}"
    left = seconds - now % seconds
    return counters.incr(key, left + 1), left


def hit(scope: str, *, request: HttpRequest | Request, key: str | None = None) -> None:
    """Counts one attempt of `scope` for `key` and the request's client address; raises RateLimited
    when either count is over its limit. The attempt is counted also when it is refused."""
    rules = limits(scope)
    waits: list[int] = []
    sides: list[tuple[str, str]] = [("address", client_address(request))]
    if key:
        sides.append(("key", key))
    for side, value in sides:
        rule = rules.get(side)
        if rule is None:
            continue
        allowed, seconds = rule
        count, left = _count(f"{scope}:{side}:{crypto.lookup_hash(value)}", seconds)
        if count > allowed:
            waits.append(left)
    if waits:
        raise throttled(max(waits))


def throttled(retry_after: int) -> RateLimited:
    return RateLimited(
        THROTTLED,
        [Reason("throttled", THROTTLED_MESSAGE)],
        code="throttled",
        message=THROTTLED_MESSAGE,
        retry_after=max(1, int(retry_after)),
    )


def retry_after_headers(exc: RateLimited) -> dict[str, str]:
    return {"Retry-After": str(exc.retry_after)}

"""Failed look-ups of other people are limited per user, so the check cannot be used to find out
whether an identity number exists (API.md section 2: 429 with Retry-After)."""

from django.core.cache import cache

from accounts.models import User
from family_sharing.errors import SharingError
from portal.core.errors import THROTTLED, ApplicationError

LOOKUP_FAILURES_PER_HOUR = 10
WINDOW_SECONDS = 3600


def _key(user: User) -> str:
    return f"lookup-failures:{user.pk}"


class LookupThrottled(ApplicationError):
    retry_after = WINDOW_SECONDS


def lookup_throttle_check(user: User) -> None:
    if int(cache.get(_key(user), 0)) >= LOOKUP_FAILURES_PER_HOUR:
        raise LookupThrottled(THROTTLED, [SharingError.LOOKUP_THROTTLED.reason()])


def lookup_failure_record(user: User) -> None:
    key = _key(user)
    if not cache.add(key, 1, WINDOW_SECONDS):
        try:
            cache.incr(key)
        except ValueError:
            cache.set(key, 1, WINDOW_SECONDS)

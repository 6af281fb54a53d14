"""Failed look-ups of other people are limited per user, so the check cannot be used to find out
whether an identity number exists (API.md section 2: 429 with Retry-After).

A look-up first reserves a failure (one atomic Redis INCR) and gives it back when the person is found.
Counting before the look-up is what makes the limit hold under parallel requests: the eleventh of
eleven simultaneous look-ups sees 11, whatever the order (a read-then-increment let them all through).
The edges (API and pages) count every check per user and per client address besides
(portal.core.ratelimit scope "binding_check")."""

from accounts.models import User
from family_sharing.errors import SharingError
from portal.core import counters
from portal.core.errors import THROTTLED
from portal.core.ratelimit import RateLimited

LOOKUP_FAILURES_PER_HOUR = 10
WINDOW_SECONDS = 3600


def _key(user: User) -> str:
    return f"lookup-failures:{user.pk}"


def lookup_failure_reserve(user: User) -> None:
    """Counts this look-up as a failure until `lookup_failure_release`; refuses the eleventh."""
    count = counters.incr(_key(user), WINDOW_SECONDS)
    if count > LOOKUP_FAILURES_PER_HOUR:
        lookup_failure_release(user)
        raise RateLimited(THROTTLED, [SharingError.LOOKUP_THROTTLED.reason()], retry_after=WINDOW_SECONDS)


def lookup_failure_release(user: User) -> None:
    """The person was found: the reserved failure is given back."""
    counters.decr(_key(user))

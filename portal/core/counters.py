"""Counters for the rate limits: one atomic INCR in Redis, or in this process's memory while Redis
does not answer (DESIGN.md section 11: losing Redis loses no data and stops no sign-in).

During an outage every web process counts on its own, so a limit may pass up to once per process; a
limit still holds, and nobody is locked out or let through wholesale. After a failure Redis is tried
again at most every RETRY_SECONDS, so an outage costs one short timeout per process, not one per
request."""

import logging
import time

from django.core.cache import BaseCache, caches

log = logging.getLogger(__name__)

RETRY_SECONDS = 5.0
_down_since: float | None = None


def _redis_errors() -> tuple[type[BaseException], ...]:
    from redis.exceptions import ConnectionError, TimeoutError

    return (ConnectionError, TimeoutError, OSError)


def _counting_cache() -> BaseCache:
    if _down_since is not None and time.monotonic() - _down_since < RETRY_SECONDS:
        return caches["fallback"]
    return caches["default"]


def _note_down() -> None:
    global _down_since
    if _down_since is None:
        log.warning("redis does not answer: rate limits count in process memory until it does")
    _down_since = time.monotonic()


def _note_up(used: BaseCache) -> None:
    global _down_since
    if used is caches["default"] and _down_since is not None:
        log.warning("redis answers again: rate limits count in redis")
        _down_since = None


def incr(key: str, timeout: int) -> int:
    """Adds one to `key` (created at 0 with `timeout` seconds to live) and returns the new count."""
    for attempt in range(2):
        store = _counting_cache() if attempt == 0 else caches["fallback"]
        try:
            for _ in range(3):
                store.add(key, 0, timeout=timeout)
                try:
                    count = int(store.incr(key))
                except ValueError:  # expired between add and incr: add again
                    continue
                _note_up(store)
                return count
            return 1  # pragma: no cover - three expiries in a row
        except _redis_errors():
            _note_down()
    raise AssertionError("unreachable")  # pragma: no cover - the memory cache does not fail


def decr(key: str) -> None:
    """Gives one back (nothing when the key has expired meanwhile)."""
    store = _counting_cache()
    try:
        store.decr(key)
    except ValueError:
        pass
    except _redis_errors():
        _note_down()

"""The failed look-up limit holds under parallel requests: the failure is counted before the
look-up, so twenty simultaneous look-ups of people who do not exist let exactly ten through."""

import datetime as dt
import threading

import pytest
from django.db import connection
from django.test import override_settings

from accounts.models import User
from family_sharing.tests.factories import person, sharer, spouse_edge
from family_sharing.tests.test_api_bindings import CHECK, as_user, body
from family_sharing.throttling import (
    LOOKUP_FAILURES_PER_HOUR,
    lookup_failure_release,
    lookup_failure_reserve,
)
from portal.core.ratelimit import RateLimited


def test_parallel_failed_look_ups_cannot_pass_the_limit():
    user = User(pk=987654)
    passed, refused = [], []
    start = threading.Barrier(20)

    def look_up() -> None:
        start.wait()
        try:
            lookup_failure_reserve(user)
        except RateLimited as exc:
            refused.append(exc)
        else:
            passed.append(1)

    threads = [threading.Thread(target=look_up) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    connection.close()
    assert len(passed) == LOOKUP_FAILURES_PER_HOUR
    assert len(refused) == 20 - LOOKUP_FAILURES_PER_HOUR
    assert {(e.status, e.code) for e in refused} == {(429, "lookup_throttled")}


def test_a_found_person_gives_the_reserved_failure_back():
    user = User(pk=987655)
    for _ in range(LOOKUP_FAILURES_PER_HOUR * 3):
        lookup_failure_reserve(user)
        lookup_failure_release(user)
    lookup_failure_reserve(user)  # still allowed: none of them failed


def test_the_eleventh_failure_is_refused():
    user = User(pk=987656)
    for _ in range(LOOKUP_FAILURES_PER_HOUR):
        lookup_failure_reserve(user)
    with pytest.raises(RateLimited):
        lookup_failure_reserve(user)


@override_settings(RATE_LIMITS={"binding_check": {"key": (3, 3600), "address": (100, 3600)}})
@pytest.mark.django_db
def test_every_check_counts_per_user_over_http_whatever_x_forwarded_for_says(api, near_relatives_policy):
    husband, wife = sharer(birth=dt.date(1980, 5, 1)), person(1982, male=False)
    spouse_edge(husband, wife)
    as_user(api, husband)
    answers = [
        api.post(CHECK, body(wife, "12"), format="json", HTTP_X_FORWARDED_FOR=f"198.51.100.{i}")
        for i in range(4)
    ]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert answers[-1].json()["error"] == "throttled"
    assert int(answers[-1]["Retry-After"]) > 0

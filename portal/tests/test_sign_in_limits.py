"""The staff sign-in pages (counter and admin) count every attempt per login and per client address
before any password is checked (portal/core/ratelimit.py, scope "login"); over the limit: 429 with
Retry-After and the Chinese message, whatever X-Forwarded-For says."""

import pytest
from django.test import override_settings


@pytest.mark.django_db
@override_settings(RATE_LIMITS={"login": {"key": (2, 3600), "address": (100, 3600)}})
def test_the_counter_sign_in_page_is_limited_per_login_with_a_chinese_429(client):
    form = {"username": "hospital-x", "password": "wrong-password-1", "otp": "123456"}
    answers = [client.post("/counter/login/", form, HTTP_X_FORWARDED_FOR=f"198.51.100.{i}") for i in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 429]
    assert int(answers[-1]["Retry-After"]) > 0
    assert "操作过于频繁" in answers[-1].content.decode()


@pytest.mark.django_db
@override_settings(RATE_LIMITS={"login": {"key": (2, 3600), "address": (100, 3600)}})
def test_the_admin_sign_in_is_limited_per_login_with_a_chinese_429(client):
    form = {"username": "officer-a", "password": "wrong-password-1", "otp_token": "123456"}
    answers = [client.post("/admin/login/", form, HTTP_X_FORWARDED_FOR=f"198.51.100.{i}") for i in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 429]
    assert int(answers[-1]["Retry-After"]) > 0
    assert 'data-code="throttled"' in answers[-1].content.decode()


@pytest.mark.django_db
def test_with_redis_down_the_limit_still_holds_counted_in_process_memory(client, settings):
    # given a Redis that does not answer (nothing listens on port 1); one settings override only
    # (override_settings beside the settings fixture would leak its values into later tests)
    settings.RATE_LIMITS = {"login": {"key": (2, 3600), "address": (100, 3600)}}
    settings.CACHES = {
        **settings.CACHES,
        "default": {**settings.CACHES["default"], "LOCATION": "redis://127.0.0.1:1/0"},
    }
    form = {"username": "hospital-x", "password": "wrong-password-1", "otp": "123456"}
    # when three wrong sign-ins are tried
    answers = [client.post("/counter/login/", form) for _ in range(3)]
    # then the page still answers (no server error) and the limit still holds
    assert [a.status_code for a in answers] == [200, 200, 429]

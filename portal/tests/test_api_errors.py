"""The API's own edges answer in its one error body, in Chinese (API.md section 1), and the shared
rate limit holds: counted per key and per client address, atomically, never moved by a forged
X-Forwarded-For (portal/core/ratelimit.py)."""

import re
import threading

import pytest
from django.db import connection
from django.test import Client, RequestFactory, override_settings

from portal.core import ratelimit

CJK = re.compile(r"[\u4e00-\u9fff]")


def assert_error_body(response, status: int, code: str) -> None:
    assert response.status_code == status
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["error"] == code
    assert CJK.search(body["message"]), body["message"]
    assert set(body) == {"error", "message", "details"}


@pytest.mark.django_db
def test_malformed_json_is_a_chinese_parse_error(client):
    response = client.post("/api/v1/auth/token/", data='{"login": "x",', content_type="application/json")
    assert_error_body(response, 400, "parse_error")


@pytest.mark.django_db
def test_a_wrong_media_type_is_a_chinese_415(client):
    response = client.post("/api/v1/auth/token/", data="login=x", content_type="text/plain")
    assert_error_body(response, 415, "unsupported_media_type")


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/v1/no-such-thing/", "/api/v1/me/extra/", "/api/v1/bindings/x/y/z/"])
def test_an_unknown_path_under_the_api_is_the_json_404_body(path):
    client = Client(enforce_csrf_checks=True)  # as a real API client: no CSRF cookie, no token
    for method in ("get", "post", "put", "patch", "delete"):
        response = getattr(client, method)(path)
        assert_error_body(response, 404, "not_found")


@pytest.mark.django_db
def test_an_unknown_method_is_a_chinese_405(client):
    response = client.put("/api/v1/auth/token/", data="{}", content_type="application/json")
    assert_error_body(response, 405, "method_not_allowed")


def _request(peer: str, forwarded: str | None = None):
    extra = {"REMOTE_ADDR": peer}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().post("/", **extra)


def test_the_client_address_is_the_tcp_peer_whatever_x_forwarded_for_says():
    assert ratelimit.client_address(_request("203.0.113.7", "198.51.100.1")) == "203.0.113.7"


@override_settings(TRUSTED_PROXY_COUNT=1)
def test_behind_one_trusted_proxy_the_address_is_the_one_the_proxy_appended():
    # the client sent "X-Forwarded-For: 1.1.1.1"; the proxy appended the address it saw
    request = _request("10.0.0.2", "1.1.1.1, 203.0.113.7")
    assert ratelimit.client_address(request) == "203.0.113.7"
    # a request that did not come through the proxy: the header is not believed
    assert ratelimit.client_address(_request("203.0.113.9")) == "203.0.113.9"


@override_settings(RATE_LIMITS={"register": {"key": (3, 3600), "address": (100, 3600)}})
def test_a_fresh_forged_header_on_every_attempt_does_not_reset_the_count():
    for i in range(3):
        ratelimit.hit(
            "register", request=_request("203.0.113.7", f"198.51.100.{i}"), key="110101199003070015"
        )
    with pytest.raises(ratelimit.RateLimited) as refused:
        ratelimit.hit("register", request=_request("203.0.113.7", "198.51.100.99"), key="110101199003070015")
    assert refused.value.status == 429 and refused.value.code == "throttled"
    assert 0 < refused.value.retry_after <= 3600


@override_settings(RATE_LIMITS={"register": {"key": (100, 3600), "address": (4, 3600)}})
def test_the_address_is_limited_across_keys():
    for i in range(4):
        ratelimit.hit("register", request=_request("203.0.113.7"), key=f"person-{i}")
    with pytest.raises(ratelimit.RateLimited):
        ratelimit.hit("register", request=_request("203.0.113.7"), key="person-99")
    # another address is not affected
    ratelimit.hit("register", request=_request("203.0.113.8"), key="person-100")


@override_settings(RATE_LIMITS={"login": {"key": (5, 3600), "address": None}})
def test_parallel_attempts_cannot_pass_the_limit():
    passed: list[int] = []
    refused: list[int] = []
    start = threading.Barrier(20)

    def attempt(i: int) -> None:
        start.wait()
        try:
            ratelimit.hit("login", request=_request(f"203.0.113.{i}"), key="same-login")
        except ratelimit.RateLimited:
            refused.append(i)
        else:
            passed.append(i)

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    connection.close()
    assert len(passed) == 5
    assert len(refused) == 15


def test_an_unknown_scope_is_a_programming_error():
    with pytest.raises(KeyError):
        ratelimit.hit("no_such_scope", request=_request("203.0.113.7"), key="x")

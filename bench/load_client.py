"""What the load test's simulated users (bench/locustfile.py) share: the population bench/load.py
wrote (LOAD_DATA_FILE), the pools of logins, the authenticator's code, the checks of each answer, the
base classes, and the result file written when locust quits (LOAD_RESULT_FILE).

Logins come from one pool per kind; each is held by one simulated user at a time, so a one-time code
is never offered twice (django-otp refuses a replayed code), and each login's open bindings travel
with it, so no bind request of the run is a duplicate. Each login has its own client address
(X-Forwarded-For; the runner's gunicorn trusts one proxy), as residents at home would.

When locust quits, LOAD_RESULT_FILE gets what the users did (settled, replayed, reversed, bound,
withdrawn, sign-ins, and what was sent; the runner compares it with the database), and the final
statistics per endpoint with locust's own percentiles and its failures (its CSV files are written
every second and may miss the last requests)."""

import functools
import json
import os
import random
import re
import time
from collections import Counter, deque
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import gevent
from locust import FastHttpUser, events
from locust.contrib.fasthttp import ResponseContextManager

DATA: dict[str, Any] = json.loads(Path(os.environ["LOAD_DATA_FILE"]).read_text(encoding="utf-8"))
RESULT_FILE = os.environ.get("LOAD_RESULT_FILE", "")
OUTCOME: Counter[str] = Counter()
STEP = 30
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
DATA_CODE = re.compile(r'data-code="([a-z_]+)"')
SUBMITTED = re.compile(r"^/family/([0-9a-f-]{36})/submitted/$")
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
RUN_OCTET = random.randint(1, 254)  # a fresh range of client addresses each run
# Seconds between opening the sign-in page and sending it: typing an identity number and a password,
# then reading the code off the authenticator. The code is read at the end, as a person would.
TYPING = (5.0, 20.0)
READING = (2.0, 8.0)  # on the home page before following 登录

_addresses = iter(range(1, 1 << 16))


class Pool:
    """Logins handed out one at a time; a returned one goes to the back of the queue."""

    def __init__(self, items: list[dict[str, Any]]) -> None:
        self.free: deque[dict[str, Any]] = deque(items)
        for item in items:
            item.setdefault("open", {})  # relation target index -> binding id, opened in this run
            item.setdefault("unknown", [])  # targets whose bind request went unanswered: never again
            item.setdefault("last_step", 0)

    def take(self) -> dict[str, Any]:
        while not self.free:
            gevent.sleep(1)
        item = self.free.popleft()
        if "address" not in item:
            n = next(_addresses)
            item["address"] = f"10.{RUN_OCTET}.{n >> 8}.{n & 255}"
        return item

    def give_back(self, item: dict[str, Any]) -> None:
        self.free.append(item)


RESIDENTS = Pool(DATA["residents"])
STAFF = {role: Pool([{"login": name} for name in DATA[role]]) for role in ("hospital", "pharmacy", "bureau")}


def one_time_code(login: dict[str, Any]) -> str:
    """The authenticator's code now; waits for the next step if this login used the current one."""
    # Imported here, after locust's gevent patching: the django_otp package touches Django's lazy
    # settings, which the patching of existing locks would try to read.
    from django_otp.oath import TOTP

    while int(time.time()) // STEP <= login["last_step"]:
        gevent.sleep(STEP - time.time() % STEP + 0.1)
    totp = TOTP(bytes.fromhex(DATA["totp_key_hex"]), step=STEP)
    totp.time = time.time()
    login["last_step"] = int(totp.time) // STEP
    return f"{totp.token():06d}"


def csrf_of(html: str) -> str:
    match = CSRF.search(html)
    return match.group(1) if match else ""


def expect(response: ResponseContextManager, *statuses: int) -> bool:
    """Marks the request failed unless its status is one of these; says whether it passed."""
    if response.status_code in statuses:
        response.success()
        return True
    codes = sorted(set(DATA_CODE.findall(response.text or "")))[:3]
    response.failure(f"HTTP {response.status_code} {' '.join(codes)}".strip())
    return False


class PortalUser(FastHttpUser):
    abstract = True
    login_pool: Pool
    login: dict[str, Any]
    signed_in = False

    def on_start(self) -> None:
        self.login = self.login_pool.take()
        self.sign_in()

    def on_stop(self) -> None:
        self.login_pool.give_back(self.login)

    def sign_in(self) -> None:
        raise NotImplementedError

    def next_login(self) -> None:
        """This person leaves; the next one in the queue signs in."""
        self.login_pool.give_back(self.login)
        self.login = self.login_pool.take()
        self.sign_in()

    def headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        return {"X-Forwarded-For": self.login["address"], **(extra or {})}

    def page(self, path: str, name: str | None = None) -> None:
        """A GET that must answer 200 itself (a redirect to the sign-in page is a failure)."""
        with self.client.get(
            path, name=name or path, headers=self.headers(), allow_redirects=False, catch_response=True
        ) as response:
            expect(response, 200)

    def form(self, path: str, fields: dict[str, str], name: str, extra: dict[str, str] | None = None) -> Any:
        return self.client.post(
            path,
            data=urlencode(fields),
            name=name,
            headers=self.headers({**FORM, "Referer": self.host + path, **(extra or {})}),
            allow_redirects=False,
            catch_response=True,
        )


def needs_session(method: Callable[[Any], None]) -> Callable[[Any], None]:
    """A task that needs a session or token: after a failed sign-in, this turn is the next person's
    sign-in (the same login again would count towards its lockout after five failures)."""

    @functools.wraps(method)
    def wrapper(user: PortalUser) -> None:
        if user.signed_in:
            method(user)
        else:
            user.next_login()

    return wrapper


def free_target(login: dict[str, Any]) -> int | None:
    taken = {*login["open"], *login["unknown"]}
    free = [i for i in range(len(login["targets"])) if str(i) not in taken]
    return random.choice(free) if free else None


def unanswered(login: dict[str, Any], index: int | str, response: ResponseContextManager) -> None:
    """A bind or withdraw request that timed out may have been done or not: that relative is left
    alone for the rest of the run."""
    if not response.status_code:
        login["open"].pop(str(index), None)
        login["unknown"].append(str(index))


class ApiUser(PortalUser):
    abstract = True
    token = ""

    def api_headers(self) -> dict[str, str]:
        return self.headers({"Authorization": f"Bearer {self.token}"})

    def get_token(self, login: str, password: str) -> None:
        self.signed_in = False
        gevent.sleep(random.uniform(*TYPING))
        body = {"login": login, "password": password, "otp": one_time_code(self.login)}
        with self.client.post(
            "/api/v1/auth/token/", json=body, headers=self.headers(), catch_response=True
        ) as response:
            if expect(response, 200):
                self.token = response.json()["token"]
                self.signed_in = True
                OUTCOME["api_sign_in"] += 1

    def api_get(self, path: str, name: str | None = None) -> bool:
        with self.client.get(path, name=name or path, headers=self.api_headers(), catch_response=True) as r:
            return expect(r, 200)


def _entry(entry: Any) -> dict[str, Any]:
    return {
        "method": entry.method or "",
        "name": entry.name,
        "requests": entry.num_requests,
        "failures": entry.num_failures,
        **{f"p{round(p * 100)}": entry.get_response_time_percentile(p) for p in (0.5, 0.95, 0.99)},
        "max": entry.max_response_time,
        "rps": entry.total_rps,
    }


@events.quitting.add_listener
def write_result(environment: Any, **_kwargs: Any) -> None:
    if not RESULT_FILE or environment.runner is None:
        return
    stats = environment.runner.stats
    result = {
        "outcome": dict(OUTCOME),
        "endpoints": [_entry(e) for e in sorted(stats.entries.values(), key=lambda e: (e.name, e.method))],
        "total": _entry(stats.total),
        "errors": [
            {"method": e.method, "name": e.name, "error": str(e.error), "occurrences": e.occurrences}
            for e in stats.errors.values()
        ],
    }
    Path(RESULT_FILE).write_text(json.dumps(result, ensure_ascii=False), encoding="utf-8")

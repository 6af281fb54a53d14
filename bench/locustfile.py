"""The load test's simulated users (issue 19), run by bench/load.py against its own gunicorn:

    LOAD_DATA_FILE=population.json LOAD_RESULT_FILE=result.json \
        .venv/bin/locust -f bench/locustfile.py --headless --host http://127.0.0.1:PORT ...

- `WebResident` (most users): opens the home page, follows 登录 and signs in on the HTML form
  (identity number, password, the authenticator's code), browses 我的 /me/, 家庭共济 /family/,
  个人账户 /account/ (also a month), 认证 /certification/, binds a near relative on /family/new/ (the
  check-as-you-type fragment, then the form) and withdraws a request again; now and then signs out
  and the next resident signs in.
- `AppResident`: the e-card app, the same through the API with a bearer token (`auth/token/`).
- `HospitalCounter`, `PharmacyCounter`: a counter's HIS with a bearer token (API.md section 3):
  reads the patient's card, settles with a fresh Idempotency-Key, retries a settlement with the same
  key and body (answered 200 with the first result, nothing debited twice) and reverses one.
- `BureauOfficer`: signs in to the admin (password + one-time code) and opens its lists.

Think times: residents 3–10 s between actions, counters 2–6 s, officers 5–15 s, and 5–20 s of
typing between opening a sign-in form and sending it (each sign-in costs the server one PBKDF2 hash
of 1.5 million rounds, by far the most expensive request of the portal). Every status other than
the one a step expects is a failure, a 409 included (bench/load_client.py: no bind is a
duplicate), and so is a redirect to the sign-in page."""

import random
import sys
import time
import uuid
from collections import deque
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import gevent
from locust import between, task

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.load_client import (  # noqa: E402
    DATA,
    DATA_CODE,
    OUTCOME,
    READING,
    RESIDENTS,
    STAFF,
    SUBMITTED,
    TYPING,
    ApiUser,
    PortalUser,
    csrf_of,
    expect,
    free_target,
    needs_session,
    one_time_code,
    unanswered,
)

# --- residents on the web ------------------------------------------------------------------------


class WebResident(PortalUser):
    weight = 14
    wait_time = between(3, 10)
    login_pool = RESIDENTS

    def sign_in(self) -> None:
        """From the home page's 登录 link, as a resident arrives."""
        self.signed_in = False
        self.client.cookiejar.clear()
        self.page("/")
        gevent.sleep(random.uniform(*READING))
        with self.client.get(
            "/login/", headers=self.headers(), allow_redirects=False, catch_response=True
        ) as response:
            if not expect(response, 200):
                return
            token = csrf_of(response.text)
        gevent.sleep(random.uniform(*TYPING))
        fields = {
            "csrfmiddlewaretoken": token,
            "login": self.login["login"],
            "password": DATA["resident_password"],
            "otp": one_time_code(self.login),
        }
        with self.form("/login/", fields, "/login/ [sign in]") as response:
            if expect(response, 302) and response.headers.get("Location") == "/me/":
                self.signed_in = True
                OUTCOME["web_sign_in"] += 1
            elif response.status_code == 302:
                response.failure(f"signed in to {response.headers.get('Location')}")

    @task(5)
    @needs_session
    def me(self) -> None:
        self.page("/me/")

    @task(4)
    @needs_session
    def family(self) -> None:
        self.page("/family/")

    @task(3)
    @needs_session
    def account(self) -> None:
        self.page("/account/")

    @task(1)
    @needs_session
    def account_month(self) -> None:
        month = time.strftime("%Y-%m")
        self.page(f"/account/?month={month}", "/account/?month=")

    @task(2)
    @needs_session
    def certification(self) -> None:
        self.page("/certification/")

    @task(2)
    @needs_session
    def bind(self) -> None:
        """为亲属办理共济: the form, the instant check, the submission, the page after it."""
        index = free_target(self.login)
        if index is None:
            self.withdraw()
            return
        target = self.login["targets"][index]
        with self.client.get(
            "/family/new/", headers=self.headers(), allow_redirects=False, catch_response=True
        ) as response:
            if not expect(response, 200):
                return
            token = csrf_of(response.text)
        fields = {
            "csrfmiddlewaretoken": token,
            "beneficiary_id_number": target["id_number"],
            "beneficiary_name": target["name"],
            "relation_code": target["relation_code"],
        }
        htmx = {"HX-Request": "true", "X-CSRFToken": token}
        with self.form("/family/new/check/", fields, "/family/new/check/ [htmx]", htmx) as response:
            if not expect(response, 200):
                return
            if "check--ok" not in response.text:
                response.failure(f"check not eligible: {' '.join(DATA_CODE.findall(response.text))}")
                return
        with self.form("/family/new/", fields, "/family/new/ [bind]") as response:
            if not expect(response, 302):
                unanswered(self.login, index, response)
                return
            match = SUBMITTED.match(response.headers.get("Location", ""))
            if match is None:
                response.failure(f"bound to {response.headers.get('Location')}")
                return
            self.login["open"][str(index)] = match.group(1)
            OUTCOME["web_bound"] += 1
        self.page(f"/family/{match.group(1)}/submitted/", "/family/[id]/submitted/")

    @task(1)
    @needs_session
    def withdraw(self) -> None:
        """撤回申请: the confirmation page, then the POST."""
        if not self.login["open"]:
            return
        index, binding = random.choice(list(self.login["open"].items()))
        path = f"/family/{binding}/revoke/"
        with self.client.get(path, name="/family/[id]/revoke/", headers=self.headers(),
                             allow_redirects=False, catch_response=True) as response:  # fmt: skip
            if not expect(response, 200):
                return
            token = csrf_of(response.text)
        with self.form(path, {"csrfmiddlewaretoken": token}, "/family/[id]/revoke/ [POST]") as response:
            if expect(response, 302):
                del self.login["open"][index]
                OUTCOME["web_withdrawn"] += 1
            else:
                unanswered(self.login, index, response)

    @task(1)
    @needs_session
    def next_resident(self) -> None:
        """This resident signs out; the next one signs in."""
        with self.client.get("/me/", headers=self.headers(), allow_redirects=False, catch_response=True) as r:
            token = csrf_of(r.text) if expect(r, 200) else ""
        with self.form("/logout/", {"csrfmiddlewaretoken": token}, "/logout/") as response:
            expect(response, 302)
        self.next_login()


# --- residents in the e-card app ------------------------------------------------------------------


class AppResident(ApiUser):
    weight = 4
    wait_time = between(3, 10)
    login_pool = RESIDENTS

    def sign_in(self) -> None:
        self.get_token(self.login["login"], DATA["resident_password"])

    @task(5)
    @needs_session
    def me(self) -> None:
        self.api_get("/api/v1/me/")

    @task(3)
    @needs_session
    def account(self) -> None:
        self.api_get("/api/v1/account/")

    @task(3)
    @needs_session
    def bindings(self) -> None:
        self.api_get("/api/v1/bindings/?role=sharer", "/api/v1/bindings/?role=sharer")

    @task(2)
    @needs_session
    def certification(self) -> None:
        self.api_get("/api/v1/certification/")

    @task(1)
    @needs_session
    def suggestions(self) -> None:
        self.api_get("/api/v1/family/suggestions/")

    @task(2)
    @needs_session
    def bind(self) -> None:
        index = free_target(self.login)
        if index is None:
            self.withdraw()
            return
        target = self.login["targets"][index]
        body = {
            "beneficiary_id_number": target["id_number"],
            "beneficiary_name": target["name"],
            "relation_code": target["relation_code"],
        }
        with self.client.post(
            "/api/v1/bindings/check/", json=body, headers=self.api_headers(), catch_response=True
        ) as response:
            if not expect(response, 200):
                return
            if not response.json().get("eligible"):
                response.failure(f"not eligible: {response.text[:200]}")
                return
        with self.client.post(
            "/api/v1/bindings/", json=body, headers=self.api_headers(), catch_response=True
        ) as response:
            if expect(response, 201):
                self.login["open"][str(index)] = response.json()["id"]
                OUTCOME["api_bound"] += 1
            else:
                unanswered(self.login, index, response)

    @task(1)
    @needs_session
    def withdraw(self) -> None:
        if not self.login["open"]:
            return
        index, binding = random.choice(list(self.login["open"].items()))
        with self.client.post(
            f"/api/v1/bindings/{binding}/revoke/",
            name="/api/v1/bindings/[id]/revoke/",
            headers=self.api_headers(),
            catch_response=True,
        ) as response:
            if expect(response, 200):
                del self.login["open"][index]
                OUTCOME["api_withdrawn"] += 1
            else:
                unanswered(self.login, index, response)

    @task(1)
    @needs_session
    def next_resident(self) -> None:
        with self.client.post("/api/v1/auth/logout/", headers=self.api_headers(), catch_response=True) as r:
            expect(r, 204)
        self.next_login()


# --- counters (HIS) --------------------------------------------------------------------------------


class CounterHis(ApiUser):
    abstract = True
    category = ""
    wait_time = between(2, 6)

    def on_start(self) -> None:
        self.settled: deque[tuple[str, str, dict[str, Any]]] = deque(maxlen=50)
        super().on_start()

    def sign_in(self) -> None:
        self.get_token(self.login["login"], DATA["staff_password"])

    def _settle(self, key: str, body: dict[str, Any], name: str, status: int) -> dict[str, Any] | None:
        headers = {**self.api_headers(), "Idempotency-Key": key}
        with self.client.post(
            "/api/v1/settlements/", json=body, name=name, headers=headers, catch_response=True
        ) as response:
            return response.json() if expect(response, status) else None

    @task(6)
    @needs_session
    def settle(self) -> None:
        sharer, patient = random.choice(DATA["counter_pairs"])
        if not self.api_get(f"/api/v1/counter/cards/{patient}/", "/api/v1/counter/cards/[card]/"):
            return
        body = {
            "sharer_card_number": sharer,
            "beneficiary_card_number": patient,
            "category": self.category,
            "amount_fen": random.randint(100, 20_000),
            "description": "负载测试",
        }
        key = uuid.uuid4().hex
        OUTCOME["settle_sent"] += 1  # sent, answered or not: the database may hold these, no more
        OUTCOME["settle_sent_fen"] += body["amount_fen"]
        result = self._settle(key, body, "/api/v1/settlements/", 201)
        if result is not None:
            self.settled.append((result["id"], key, body))
            OUTCOME["settled"] += 1
            OUTCOME["settled_fen"] += body["amount_fen"]

    @task(1)
    @needs_session
    def retry(self) -> None:
        """The HIS lost the answer and sends the same key and body again: the first result, 200."""
        if not self.settled:
            return
        settlement, key, body = self.settled[-1]
        result = self._settle(key, body, "/api/v1/settlements/ [retry]", 200)
        if result is not None:
            OUTCOME["replayed"] += 1
            if result["id"] != settlement:
                OUTCOME["replayed_other_id"] += 1

    @task(1)
    @needs_session
    def reverse(self) -> None:
        if not self.settled:
            return
        settlement, _key, body = self.settled.popleft()
        OUTCOME["reverse_sent"] += 1
        OUTCOME["reverse_sent_fen"] += body["amount_fen"]
        with self.client.post(
            f"/api/v1/settlements/{settlement}/reverse/",
            json={"reason": "患者退费（负载测试）"},
            name="/api/v1/settlements/[id]/reverse/",
            headers=self.api_headers(),
            catch_response=True,
        ) as response:
            if expect(response, 201):
                OUTCOME["reversed"] += 1
                OUTCOME["reversed_fen"] += body["amount_fen"]


class HospitalCounter(CounterHis):
    weight = 2
    login_pool, category = STAFF["hospital"], "medical_self_pay"


class PharmacyCounter(CounterHis):
    weight = 1
    login_pool, category = STAFF["pharmacy"], "pharmacy"


# --- the bureau ------------------------------------------------------------------------------------

ADMIN_LISTS = (
    "/admin/accounts/person/",
    "/admin/accounts/personalaccount/",
    "/admin/accounts/accountentry/",
    "/admin/family_sharing/binding/",
    "/admin/family_sharing/binding/?status__exact=pending_consent",
    "/admin/family_sharing/settlement/",
    "/admin/family_sharing/reversal/",
    "/admin/family_sharing/statuschange/",
)


class BureauOfficer(PortalUser):
    weight = 1
    wait_time = between(5, 15)
    login_pool = STAFF["bureau"]

    def sign_in(self) -> None:
        self.signed_in = False
        with self.client.get(
            "/admin/login/?next=/admin/", name="/admin/login/", headers=self.headers(),
            allow_redirects=False, catch_response=True,
        ) as response:  # fmt: skip
            if not expect(response, 200):
                return
            token = csrf_of(response.text)
        gevent.sleep(random.uniform(*TYPING))
        fields = {
            "csrfmiddlewaretoken": token,
            "username": self.login["login"],
            "password": DATA["staff_password"],
            "otp_token": one_time_code(self.login),
            "next": "/admin/",
        }
        with self.form("/admin/login/?next=/admin/", fields, "/admin/login/ [sign in]") as response:
            if expect(response, 302):
                self.signed_in = True
                OUTCOME["admin_sign_in"] += 1

    @task(1)
    @needs_session
    def index(self) -> None:
        self.page("/admin/")

    @task(6)
    @needs_session
    def changelist(self) -> None:
        path = random.choice(ADMIN_LISTS)
        self.page(path, path.split("?")[0] + ("?filter" if "?" in path else ""))

    @task(2)
    @needs_session
    def search(self) -> None:
        name = random.choice(DATA["admin_search"])
        self.page(f"/admin/accounts/person/?{urlencode({'q': name})}", "/admin/accounts/person/?q=")

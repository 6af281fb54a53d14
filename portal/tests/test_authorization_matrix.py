"""The authorization matrix (issue 15; DESIGN.md section 3 "who may see whom"; API.md section 1).

Every URL pattern of the portal except /admin/ (the admin walk covers that) is generated from the
URL resolver, never listed by hand, and requested as each role of the fixture world (world.py) with
every path parameter filled with an object that belongs to SOMEONE ELSE: resident A gets resident B's
bindings, delegations and home visits, hospital X gets hospital Y's settlements, and so on. Each
route falls into a class (public, resident API, counter API, signed-in API, resident page, counter
page) whose expectation table says which statuses each kind of caller may get: anonymous callers
401 (API) or a redirect to sign in (pages), residents 404 for what is not theirs (never a 403 that
admits it exists), staff 403/404 on residents' routes. On top of the status, no response may carry
another party's full name, identity number, card number or phone, and no request may change a row
of the guarded tables. A new route is covered without anyone writing a test for it; a route whose
parameters the generator cannot fill fails with a message that says what to add."""

import json
import logging
import re
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import HttpResponseBase
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RegexPattern
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_static.models import StaticDevice
from knox.models import AuthToken
from rest_framework.parsers import JSONParser
from rest_framework.permissions import AllowAny
from rest_framework.test import APIClient

from accounts.models import Role as UserRole
from accounts.models import User
from family_sharing.settlement.models import Settlement
from family_sharing.settlement.selectors import counter_scope
from family_sharing.tests.conftest import relation_codes  # noqa: F401 (autouse: GB/T 4761 codes)
from portal.tests.world import PNG, Side, World, guarded_digest, world_build

pytestmark = pytest.mark.django_db

API_PREFIX = "api/v1/"
SKIPPED_PREFIXES = ("admin/",)  # the admin walk (accounts/tests) opens every admin URL

# Routes that answer callers who are not signed in, on purpose. Everything else must refuse them.
# Keys are regular expressions over the route pattern (as the resolver spells it), each with why.
PUBLIC_ROUTES: dict[str, str] = {
    r"": "the portal's home page",
    r"healthz": "liveness probe (API.md section 1)",
    r"readyz": "readiness probe (API.md section 1)",
    r"metrics": "Prometheus scrape: loopback and private addresses or METRICS_TOKEN only, 404 to others",
    r"display/": "large-text toggle, a cookie only (适老化)",
    r"i18n/setlang/": "Django's language switch",
    r"api/v1/schema/": "the OpenAPI document (API.md: served offline)",
    r"api/v1/docs/": "Swagger UI over the schema",
    r"api/v1/auth/register/(confirm/)?": "enrolment: real-name match and SMS proof (API.md section 2)",
    r"api/v1/auth/token/": "sign-in: password and one-time code",
    r"api/v1/auth/sms-code/": "SMS sign-in code; always 202, never says whether the login exists",
    r"api/v1/certification/callbacks/<[a-z]+:channel>/": "channel callbacks, authenticated by signature",
    r"api/v1/\^\.\*\$": "the JSON 404 for any other path under /api/v1/ (a catch-all re_path)",
    r"register/.*": "the web enrolment steps",
    r"login/": "resident sign-in page",
    r"login/passkey/": "sign-in with a passkey after the password (decision record 0019)",
    r"passkeys/authentication/(begin|complete)/": "that step's JSON: only for the login whose password the session passed",
    r"passkeys/jsi18n/": "the texts of django-otp-webauthn's script",
    r"logout/": "sign-out (POST): ends whatever session there is",
    r"counter/login/": "counter staff sign-in page",
}

ANONYMOUS, RESIDENT, STAFF = "anonymous", "resident", "staff"


@dataclass(frozen=True)
class RoleCase:
    key: str
    kind: str  # ANONYMOUS, RESIDENT or STAFF
    user: User | None
    foreign: Side  # the side of the world whose objects this role must not reach

    @property
    def scope(self) -> str | None:
        return counter_scope(staff=self.user) if self.user is not None and self.kind == STAFF else None


# Path parameters and how to fill them: with what the role does NOT own. `owned` parameters name an
# object with an owner, so anyone but the owner must get 404, exactly as for an object that does not
# exist; the others (a presented card, a channel) are not ownership and only the leak and write
# checks apply.
@dataclass(frozen=True)
class Filler:
    owned: bool
    values: Callable[[World, RoleCase], list[str]]


def _foreign_settlements(world: World, role: RoleCase) -> list[str]:
    """One settlement of every counter that is not the role's own (residents own none)."""
    every: list[Settlement] = [
        *(s for side in world.sides for s in side.settlements + side.window_settlements),
        world.pharmacy_settlement,
    ]
    by_scope: dict[str, str] = {}
    for settlement in every:
        if settlement.scope != role.scope:
            by_scope.setdefault(settlement.scope, str(settlement.pk))
    return list(by_scope.values())


FILLERS: dict[str, Filler] = {
    "binding_id": Filler(True, lambda w, r: [str(b.pk) for b in r.foreign.bindings]),
    "delegation_id": Filler(True, lambda w, r: [str(d.pk) for d in r.foreign.delegations]),
    "visit_id": Filler(True, lambda w, r: [str(v.pk) for v in r.foreign.home_visits]),
    "settlement_id": Filler(True, _foreign_settlements),
    # a card presented at a counter (the card is the proof of presence): the other side's patient
    "card_number": Filler(False, lambda w, r: [r.foreign.mother.card_number]),
    "channel": Filler(False, lambda w, r: ["alipay"]),
    # the counter's opaque name for a patient it looked up: one minted for another counter's staff
    "token": Filler(True, lambda w, r: [_holder_token(w, r)]),
}


def _holder_token(world: World, role: RoleCase) -> str:
    from family_sharing.settlement.selectors import card_holder_token

    return card_holder_token(staff=role.foreign.hospital_staff, person=role.foreign.mother)


class Unfillable(Exception):
    """A route has a parameter the matrix does not know how to fill with someone else's object."""


@dataclass(frozen=True)
class Route:
    pattern: str  # as the resolver spells it, without the leading slash
    name: str
    callback: Callable[..., HttpResponseBase]
    regex: bool = False

    @property
    def params(self) -> list[str]:
        if self.regex:
            return re.findall(r"\(\?P<(\w+)>", self.pattern)
        return re.findall(r"<(?:\w+:)?(\w+)>", self.pattern)

    @property
    def api(self) -> bool:
        return self.pattern.startswith(API_PREFIX)

    @property
    def view_class(self) -> type | None:
        return getattr(self.callback, "cls", None) or getattr(self.callback, "view_class", None)

    def url(self, values: dict[str, str]) -> str:
        if self.regex:
            if self.params:
                raise Unfillable(f"{self.pattern!r}: named regex groups {self.params}; use path() converters")
            text = self.pattern.replace("^", "").replace("$", "")
            text = text.replace(".*", "matrix-probe/")
            if re.search(r"[\\^$.*+?()\[\]{}|]", text):
                raise Unfillable(f"{self.pattern!r}: a regex the matrix cannot turn into a URL")
            return "/" + text
        return "/" + re.sub(r"<(?:\w+:)?(\w+)>", lambda m: values[str(m.group(1))], self.pattern)


def routes_walk(
    patterns: Sequence[URLPattern | URLResolver], prefix: str = "", regex: bool = False
) -> Iterator[Route]:
    """Every leaf pattern under the resolver, with its full pattern (includes followed)."""
    for pattern in patterns:
        text = str(pattern.pattern)
        is_regex = regex or isinstance(pattern.pattern, RegexPattern)
        if isinstance(pattern, URLResolver):
            yield from routes_walk(pattern.url_patterns, prefix + text, is_regex)
        else:
            yield Route(prefix + text, pattern.name or "", pattern.callback, regex=is_regex)


def portal_routes() -> list[Route]:
    every = list(routes_walk(get_resolver().url_patterns))
    return [r for r in every if not r.pattern.startswith(SKIPPED_PREFIXES)]


def route_values(route: Route, world: World, role: RoleCase) -> list[dict[str, str]]:
    """Every combination of someone else's objects for the route's parameters (one list per param)."""
    combos: list[dict[str, str]] = [{}]
    for param in route.params:
        filler = FILLERS.get(param)
        if filler is None:
            raise Unfillable(
                f"{route.pattern!r} has the path parameter {param!r}, which the authorization matrix "
                f"cannot fill: add a Filler for it to FILLERS in {__name__} (an object of the world "
                "in portal/tests/world.py that the role under test does not own)"
            )
        values = filler.values(world, role)
        assert values, f"the world has no value for {param!r} as {role.key}"
        combos = [{**c, param: v} for c in combos for v in values]
    return combos


# --- classes of routes and what each kind of caller may get ---------------------------------------

PUBLIC, API_RESIDENT, API_COUNTER, API_SIGNED_IN, PAGE_RESIDENT, PAGE_COUNTER = (
    "public",
    "api_resident",
    "api_counter",
    "api_signed_in",
    "page_resident",
    "page_counter",
)

# Statuses allowed per (class, kind of caller, whether an owned object is in the path). 405 is the
# answer of a method the view does not take, whoever asks (it admits nothing). None: any status
# below 500 (the leak and write checks still apply).
ANY = None
EXPECT: dict[tuple[str, str, bool], set[int] | None] = {
    **{(PUBLIC, kind, owned): ANY for kind in (ANONYMOUS, RESIDENT, STAFF) for owned in (False, True)},
    (API_RESIDENT, ANONYMOUS, False): {401},
    (API_RESIDENT, ANONYMOUS, True): {401},
    (API_RESIDENT, RESIDENT, False): {200, 201, 400, 404, 422, 429},
    (API_RESIDENT, RESIDENT, True): {404},  # never 403: that would admit the object exists
    (API_RESIDENT, STAFF, False): {403},
    (API_RESIDENT, STAFF, True): {403, 404},
    (API_SIGNED_IN, ANONYMOUS, False): {401},
    (API_SIGNED_IN, ANONYMOUS, True): {401},
    (API_SIGNED_IN, RESIDENT, False): {200, 201, 204, 400, 403, 404, 422, 429},
    (API_SIGNED_IN, RESIDENT, True): {404},
    (API_SIGNED_IN, STAFF, False): {200, 204, 400, 403, 404},
    (API_SIGNED_IN, STAFF, True): {403, 404},
    (API_COUNTER, ANONYMOUS, False): {401},
    (API_COUNTER, ANONYMOUS, True): {401},
    (API_COUNTER, RESIDENT, False): {403},
    (API_COUNTER, RESIDENT, True): {403},
    (API_COUNTER, STAFF, False): {200, 400, 403, 404, 422},  # a presented card: the status, masked
    (API_COUNTER, STAFF, True): {404},  # another counter's settlement is not found
    (PAGE_RESIDENT, ANONYMOUS, False): {302, 405},  # 302 to /login/ (checked below)
    (PAGE_RESIDENT, ANONYMOUS, True): {302, 405},
    (PAGE_RESIDENT, RESIDENT, False): {200, 302, 400, 405, 429},
    (PAGE_RESIDENT, RESIDENT, True): {404, 405},
    (PAGE_RESIDENT, STAFF, False): {403, 405},
    (PAGE_RESIDENT, STAFF, True): {403, 405},
    (PAGE_COUNTER, ANONYMOUS, False): {302, 405},  # 302 to /counter/login/ (checked below)
    (PAGE_COUNTER, ANONYMOUS, True): {302, 405},
    (PAGE_COUNTER, RESIDENT, False): {403, 405},
    (PAGE_COUNTER, RESIDENT, True): {403, 405},
    (PAGE_COUNTER, STAFF, False): {200, 302, 400, 403, 405, 429},
    (PAGE_COUNTER, STAFF, True): {404, 405},
}
LOGIN_OF = {PAGE_RESIDENT: "/login/", PAGE_COUNTER: "/counter/login/"}


def route_class(route: Route) -> str:
    if any(re.fullmatch(p, route.pattern) for p in PUBLIC_ROUTES):
        return PUBLIC
    if route.api:
        from accounts.delegations.apis import IsResident
        from family_sharing.permissions import IsCounterStaff, IsResidentWithPerson

        permissions = set(getattr(route.view_class, "permission_classes", []) or [])
        if IsCounterStaff in permissions:
            return API_COUNTER
        if permissions & {IsResidentWithPerson, IsResident}:
            return API_RESIDENT
        if AllowAny in permissions or route.view_class is None:
            raise Unfillable(
                f"{route.pattern!r} answers anonymous callers but is not in PUBLIC_ROUTES: add it with "
                "the reason it is public, or give its view a permission class"
            )
        return API_SIGNED_IN
    return PAGE_COUNTER if route.pattern.startswith("counter/") else PAGE_RESIDENT


# --- requests ----------------------------------------------------------------------------------


def roles_of(world: World) -> list[RoleCase]:
    a, b = world.a, world.b
    return [
        RoleCase("anonymous", ANONYMOUS, None, foreign=a),
        RoleCase("resident A", RESIDENT, a.resident, foreign=b),
        RoleCase("resident B", RESIDENT, b.resident, foreign=a),
        RoleCase("hospital X", STAFF, a.hospital_staff, foreign=b),
        RoleCase("hospital Y", STAFF, b.hospital_staff, foreign=a),
        RoleCase("pharmacy", STAFF, world.pharmacy_staff, foreign=b),
        RoleCase("officer 110100", STAFF, a.officer, foreign=b),
        RoleCase("officer 310100", STAFF, b.officer, foreign=a),
    ]


def secrets_for(world: World, role: RoleCase) -> set[str]:
    """What this role may never read: everything of the other side; every identity number and phone
    but its own (they are only ever shown masked); other counters' settlement descriptions."""
    out = role.foreign.secrets()
    me = role.user.person if role.user is not None else None
    for side in world.sides:
        for person in side.persons:
            if person != me:
                out |= {person.id_number, person.phone}
    every = [*(s for side in world.sides for s in side.settlements + side.window_settlements)]
    every.append(world.pharmacy_settlement)
    if role.kind == STAFF:
        out |= {s.description for s in every if s.scope != role.scope}
    return out


def page_client(role: RoleCase) -> Client:
    """A browser: for a signed-in role, a session that passed the one-time code (as after the
    resident or counter sign-in form)."""
    client = Client(raise_request_exception=True)
    user = role.user
    if user is not None:
        client.force_login(user)
        device = getattr(user, "totp", None) or StaticDevice.objects.get(user=user)
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
    return client


def api_client(role: RoleCase) -> tuple[APIClient, AuthToken | None]:
    """An API client with a bearer token (knox) for a signed-in role."""
    client = APIClient(raise_request_exception=True)
    if role.user is None:
        return client, None
    instance, token = AuthToken.objects.create(user=role.user)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client, instance


class Clients:
    """One browser and one API client per role, signed in again after a request signed them out
    (the logout routes), so that every request of the walk is made by a signed-in caller."""

    def __init__(self, role: RoleCase) -> None:
        self.role = role
        self.page = page_client(role)
        self.api, self.token = api_client(role)

    def still_signed_in(self) -> None:
        if self.role.user is None:
            return
        if "_auth_user_id" not in self.page.session:
            self.page = page_client(self.role)
        if self.token is not None and not AuthToken.objects.filter(pk=self.token.pk).exists():
            self.api, self.token = api_client(self.role)


def plausible_body(world: World, role: RoleCase, *, page: bool) -> dict[str, Any]:
    """A body that names only someone else's objects and would pass each form's shape checks, so a
    request that reaches the rules tries the act for real."""
    foreign = role.foreign
    body: dict[str, Any] = {
        "accept": "yes" if page else True,
        "reason": "授权矩阵测试",
        "monthly_limit_fen": 100,
        "monthly_limit": "1",
        "delegation_id": str(foreign.delegations[0].pk),
        "binding_id": str(foreign.binding_as_sharer.pk),
        "settlement_id": _foreign_settlements(world, role)[0],
        "next": "/",
    }
    return body


def api_methods(route: Route) -> list[str]:
    view = route.view_class
    if view is None:
        return ["get", "post"]
    return [m for m in ("get", "post", "put", "patch", "delete") if hasattr(view, m)]


def send(route: Route, url: str, method: str, world: World, clients: Clients) -> HttpResponseBase:
    role = clients.role
    if route.api:
        api = clients.api
        if method == "get":
            return api.get(url)
        body = plausible_body(world, role, page=False)
        parsers = getattr(route.view_class, "parser_classes", [JSONParser]) or [JSONParser]
        if any(issubclass(p, JSONParser) for p in parsers):
            return getattr(api, method)(url, body, format="json")
        form = {k: str(v) for k, v in body.items()}
        form["file"] = SimpleUploadedFile("evidence.png", PNG, "image/png")
        return getattr(api, method)(url, form, format="multipart")
    if method == "get":
        return clients.page.get(url)
    form = {k: str(v) for k, v in plausible_body(world, role, page=True).items()}
    form["file"] = SimpleUploadedFile("evidence.png", PNG, "image/png")
    return clients.page.post(url, form)


def body_text(response: HttpResponseBase) -> str:
    if getattr(response, "streaming", False):
        raw = b"".join(response.streaming_content)
    else:
        raw = response.content
    text = raw.decode("utf-8", errors="replace")
    if response.get("Content-Type", "").startswith("application/json"):
        try:  # the same text whether or not the renderer escaped non-ASCII characters
            text += json.dumps(json.loads(raw), ensure_ascii=False)
        except ValueError:
            pass
    return text + "\n" + response.get("Location", "")


@dataclass
class Outcome:
    pairs: set[tuple[str, str]] = field(default_factory=set)
    requests: int = 0
    failures: list[str] = field(default_factory=list)
    statuses: dict[tuple[str, str], Counter[int]] = field(default_factory=lambda: defaultdict(Counter))

    def table(self) -> str:
        """Statuses seen per route class and role: what the walk actually met."""
        return "\n".join(
            f"  {kind:14} {role:15} {dict(sorted(counts.items()))}"
            for (kind, role), counts in sorted(self.statuses.items())
        )


def check_response(
    route: Route,
    kind: str,
    owned: bool,
    role: RoleCase,
    method: str,
    url: str,
    response: HttpResponseBase,
    secrets: set[str],
) -> list[str]:
    where = f"{method.upper()} {url} as {role.key} [{kind}]"
    problems: list[str] = []
    allowed = EXPECT[(kind, role.kind, owned)]
    status = response.status_code
    if status >= 500 or (allowed is not None and status not in allowed):
        expected = f"one of {sorted(allowed)}" if allowed is not None else "below 500"
        problems.append(f"{where}: {status}, expected {expected}")
    if kind in LOGIN_OF and role.kind == ANONYMOUS and status == 302:
        location = response.get("Location", "")
        if not location.startswith(LOGIN_OF[kind]):
            problems.append(f"{where}: redirects to {location!r}, not to {LOGIN_OF[kind]}")
    if route.api and status >= 400:  # API.md section 1: every refusal has the JSON error body
        try:
            error = json.loads(response.content).get("error")
        except ValueError:
            error = None
        if not error:
            problems.append(f"{where}: {status} without the JSON error body")
        elif status == 401 and kind != PUBLIC and error != "not_authenticated":
            problems.append(f"{where}: 401 with error {error!r}")
    text = body_text(response)
    leaked = sorted(s for s in secrets if s in text)
    if leaked:
        problems.append(f"{where}: {status} and the body names {leaked}")
    return problems


def matrix_walk(world: World, routes: list[Route], roles: list[RoleCase]) -> Outcome:
    """Every route as every role; the refusals Django logs as warnings are the expected answers here,
    so its request log is quiet during the walk (a server error still raises and is listed)."""
    request_log = logging.getLogger("django.request")
    level = request_log.level
    request_log.setLevel(logging.CRITICAL)
    try:
        return _walk(world, routes, roles)
    finally:
        request_log.setLevel(level)


def _nowhere(route: Route, values: dict[str, str]) -> str:
    """The same URL with every owned object replaced by one that does not exist."""
    return route.url({k: (str(uuid.uuid4()) if FILLERS[k].owned else v) for k, v in values.items()})


def _walk(world: World, routes: list[Route], roles: list[RoleCase]) -> Outcome:
    outcome = Outcome()
    state = {"digest": guarded_digest()}
    for role in roles:
        secrets = secrets_for(world, role)
        clients = Clients(role)
        for route in routes:
            try:
                kind = route_class(route)
                combos = route_values(route, world, role)
                urls = [(route.url(values), _nowhere(route, values)) for values in combos]
            except Unfillable as exc:
                outcome.failures.append(f"{route.pattern} as {role.key}: {exc}")
                continue
            owned = any(FILLERS[p].owned for p in route.params)
            methods = api_methods(route) if route.api else ["get", "post"]
            absent_status: dict[str, int] = {}  # per method: what a missing object answers
            for url, nowhere in urls:
                for method in methods:
                    response = _request(outcome, state, route, url, method, world, clients)
                    if response is None:
                        continue
                    outcome.statuses[(kind, role.key)][response.status_code] += 1
                    outcome.failures += check_response(
                        route, kind, owned, role, method, url, response, secrets
                    )
                    if owned and role.kind != ANONYMOUS:
                        # Someone else's object must answer exactly as one that does not exist.
                        if method not in absent_status:
                            absent = _request(outcome, state, route, nowhere, method, world, clients)
                            absent_status[method] = absent.status_code if absent is not None else 0
                        if absent_status[method] != response.status_code:
                            outcome.failures.append(
                                f"{method.upper()} {url} as {role.key}: {response.status_code}, but "
                                f"{absent_status[method]} for an object that does not exist (it admits existence)"
                            )
            _unchanged(outcome, state, f"the GET requests of {route.pattern} as {role.key}")
            outcome.pairs.add((route.pattern, role.key))
    return outcome


def _request(
    outcome: Outcome,
    state: dict[str, str],
    route: Route,
    url: str,
    method: str,
    world: World,
    clients: Clients,
) -> HttpResponseBase | None:
    """One request, counted; a server error and any change to the guarded tables are failures."""
    role = clients.role
    outcome.requests += 1
    try:
        response = send(route, url, method, world, clients)
    except Exception as exc:  # noqa: BLE001 (a server error is a finding to list)
        outcome.failures.append(f"{method.upper()} {url} as {role.key}: raised {exc!r}")
        return None
    finally:
        if method != "get":
            clients.still_signed_in()
    if method != "get":
        _unchanged(outcome, state, f"{method.upper()} {url} as {role.key} ({response.status_code})")
    return response


def _unchanged(outcome: Outcome, state: dict[str, str], what: str) -> None:
    after = guarded_digest()
    if after != state["digest"]:
        outcome.failures.append(f"{what} changed the guarded tables")
        state["digest"] = after


# --- the tests ---------------------------------------------------------------------------------


def test_every_route_as_every_role_with_someone_elses_objects() -> None:
    """Issue 15's matrix: every route x every role, someone else's objects, documented statuses,
    nothing leaked, nothing changed."""
    world = world_build()
    routes = portal_routes()
    roles = roles_of(world)
    outcome = matrix_walk(world, routes, roles)
    floor = len(routes) * len(roles)
    print(
        f"\nauthorization matrix: {len(outcome.pairs)} URL x role pairs ({len(routes)} routes x "
        f"{len(roles)} roles), {outcome.requests} requests, {len(outcome.failures)} failures\n"
        + outcome.table()
    )
    assert not outcome.failures, "\n".join(outcome.failures)
    assert len(outcome.pairs) >= floor, (len(outcome.pairs), floor)


def test_a_route_the_matrix_cannot_fill_fails_it_with_what_to_add() -> None:
    """A new route with a parameter nobody taught the matrix is a failure, not a silent skip."""
    world = world_build()
    roles = roles_of(world)
    routes = [
        *portal_routes()[:1],
        Route("family/transfers/<uuid:transfer_id>/", "new", lambda request: None),
    ]
    outcome = matrix_walk(world, routes, roles[:1])
    assert len(outcome.failures) == 1
    assert "'transfer_id'" in outcome.failures[0] and "add a Filler" in outcome.failures[0]


def test_a_route_open_to_anyone_but_not_listed_as_public_fails_the_matrix() -> None:
    """An API view that lets anonymous callers in must be listed, with its reason, in PUBLIC_ROUTES."""

    class Open:
        permission_classes = [AllowAny]

    def view(request: Any) -> None:
        return None

    view.cls = Open
    with pytest.raises(Unfillable, match="not in PUBLIC_ROUTES"):
        route_class(Route("api/v1/wallet/", "wallet", view))


def test_the_checks_find_a_leak_a_wrong_status_and_a_redirect_elsewhere() -> None:
    """The checks themselves can fail: a 404 that names the other side's card holder, a 403 where a
    resident must get 404, and an anonymous page redirected somewhere other than the sign-in."""
    from django.http import HttpResponse, HttpResponseRedirect

    world = world_build()
    resident = roles_of(world)[1]
    route = Route("family/<uuid:binding_id>/revoke/", "revoke", lambda request: None)
    secrets = secrets_for(world, resident)
    url = f"/family/{world.b.binding_as_sharer.pk}/revoke/"
    leak = HttpResponse(f"未找到 {world.b.mother.card_number}", status=404)
    found = check_response(route, PAGE_RESIDENT, True, resident, "get", url, leak, secrets)
    assert found == [
        f"GET {url} as resident A [page_resident]: 404 and the body names ['{world.b.mother.card_number}']"
    ]
    admits = check_response(
        route, PAGE_RESIDENT, True, resident, "get", url, HttpResponse(status=403), secrets
    )
    assert admits == [f"GET {url} as resident A [page_resident]: 403, expected one of [404, 405]"]
    elsewhere = HttpResponseRedirect("/family/")
    anonymous = roles_of(world)[0]
    assert check_response(route, PAGE_RESIDENT, True, anonymous, "get", url, elsewhere, set()) == [
        f"GET {url} as anonymous [page_resident]: redirects to '/family/', not to /login/"
    ]


def test_the_residents_staff_and_roles_of_the_world_are_who_the_matrix_says() -> None:
    """The matrix is only as good as its roles: each is what its name says."""
    world = world_build()
    kinds = {r.key: (r.kind, r.user.role if r.user else None) for r in roles_of(world)}
    assert kinds["resident A"] == (RESIDENT, UserRole.RESIDENT)
    assert kinds["hospital Y"] == (STAFF, UserRole.HOSPITAL)
    assert kinds["pharmacy"] == (STAFF, UserRole.PHARMACY)
    assert kinds["officer 310100"] == (STAFF, UserRole.BUREAU)
    assert world.a.officer.region != world.b.officer.region


def test_the_matrix_signs_in_as_the_real_clients_do() -> None:
    """The walk's sessions and tokens are what the sign-in pages and the token endpoint give: a
    resident's session passed the authenticator code, a counter session the staff one-time code, and
    a bearer token from POST /api/v1/auth/token/ opens the same doors as the walk's knox token."""
    from accounts.tests.factories import totp_now

    world = world_build()
    resident, staff = world.a.resident, world.a.hospital_staff
    assert resident.person is not None
    browser = Client()
    signed = browser.post(
        "/login/",
        {"login": resident.person.id_number, "password": "Correct-Horse-42", "otp": totp_now(resident.totp)},
    )
    assert signed.status_code == 302, signed.content.decode()[:500]
    walk = page_client(roles_of(world)[1])
    assert browser.session[DEVICE_ID_SESSION_KEY] == walk.session[DEVICE_ID_SESSION_KEY]
    assert browser.get("/family/").status_code == walk.get("/family/").status_code == 200

    counter = Client()
    signed = counter.post(
        "/counter/login/", {"username": staff.username, "password": "Staff-Password-42", "otp": "123456"}
    )
    assert signed.status_code == 302
    walk = page_client(roles_of(world)[3])
    assert counter.session[DEVICE_ID_SESSION_KEY] == walk.session[DEVICE_ID_SESSION_KEY]

    api = APIClient()
    token = api.post(
        "/api/v1/auth/token/",
        {"login": staff.username, "password": "Staff-Password-42", "otp": "234567"},
        format="json",
    )
    assert token.status_code == 200, token.json()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {token.json()['token']}")
    receipt = f"/api/v1/settlements/{world.b.settlements[0].pk}/reverse/"
    assert api.post(receipt, {"reason": "试"}, format="json").status_code == 404
    assert api.get(f"/api/v1/counter/cards/{world.a.mother.card_number}/").status_code == 200

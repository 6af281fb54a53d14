"""Benchmark of the eligibility check at registry scale: service vs HTTP, latency and queries.

    DJANGO_SETTINGS_MODULE=portal.settings.local .venv/bin/python bench/eligibility.py \
        [--persons 1000000] [--edges 2000000] [--pairs 2000] [--http client|gunicorn|both] [--keep]

Needs a migrated database with reference data (`manage.py migrate`, `manage.py load_reference_data`).
Generates the population of bench/registry_data.py in SQL (province 980000, region 980100, cards
X00000000...), then checks random pairs of real relatives (spouses, parents, children, siblings,
grandparents on both lines, grandchildren):

- service: `binding_eligibility(sharer=..., beneficiary=..., relation=relation_facts(code), as_of=...)`
  with both persons loaded (and their regions), as the binding services call it;
- HTTP: `POST /api/v1/bindings/check/` as the sharer (a resident user with a Bearer token), by
  identity number and name, through Django's test Client in this process (the whole middleware,
  authentication, serializer and look-up path) and/or a real gunicorn on 127.0.0.1.

Prints one JSON line (p50/p95/mean in ms, checks/s, queries per check) and a human summary, with
EXPLAIN ANALYZE of the registry's two queries for one pair. Deletes everything it created unless
--keep is given."""

import argparse
import datetime as dt
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.local")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.db.models import Q  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from knox.models import AuthToken  # noqa: E402

from accounts.models import Person, Role, User  # noqa: E402
from bench.registry_data import (  # noqa: E402
    RELATIVES,
    BenchRegion,
    cleanup,
    generate,
    open_accounts,
    pair_numbers,
    person_ids,
    realise_numbers,
    refuse_collisions,
    require_reference_data,
)
from family_sharing.eligibility import binding_eligibility, relation_facts  # noqa: E402
from family_sharing.models import KinshipEdge  # noqa: E402
from portal.core.time import today  # noqa: E402

BENCH = BenchRegion(province_code="980000", region_code="980100", card_letter="X", label="（资格）")
URL = "/api/v1/bindings/check/"


def percentiles(samples: list[float]) -> dict[str, float]:
    q = statistics.quantiles(samples, n=100, method="inclusive")
    return {
        "p50_ms": round(q[49] * 1000, 3),
        "p95_ms": round(q[94] * 1000, 3),
        "mean_ms": round(statistics.fmean(samples) * 1000, 3),
        "checks_per_s": round(len(samples) / sum(samples), 1),
    }


def sample_pairs(blocks: int, count: int, seed: int) -> list[tuple[int, int, str]]:
    """(sharer n, beneficiary n, declared code) for `count` random pairs of real relatives."""
    rnd = random.Random(seed)
    pairs: list[tuple[int, int, str]] = []
    seen: set[tuple[int, int]] = set()
    while len(pairs) < count:
        relation = rnd.choice(RELATIVES)
        s, b = pair_numbers(relation, rnd.randrange(blocks), blocks)
        if (s, b) not in seen:
            seen.add((s, b))
            pairs.append((s, b, relation.code))
    return pairs


def time_service(pairs: list[tuple[Person, Person, str]], as_of: dt.date) -> tuple[list[float], int, int]:
    """Seconds per check, eligible count, queries of one check."""
    check = binding_eligibility
    for sharer, beneficiary, code in pairs[:50]:  # warm-up: code paths, plan cache, buffers
        check(sharer=sharer, beneficiary=beneficiary, relation=relation_facts(code), as_of=as_of)
    times, eligible = [], 0
    for sharer, beneficiary, code in pairs:
        started = time.perf_counter()
        result = check(sharer=sharer, beneficiary=beneficiary, relation=relation_facts(code), as_of=as_of)
        times.append(time.perf_counter() - started)
        eligible += result.eligible and result.derived_relation_code == code
    sharer, beneficiary, code = pairs[0]
    with CaptureQueriesContext(connection) as queries:
        check(sharer=sharer, beneficiary=beneficiary, relation=relation_facts(code), as_of=as_of)
    return times, eligible, len(queries)


def http_bodies(
    pairs: list[tuple[int, int, str]], ids: dict[int, int]
) -> tuple[list[tuple[str, dict[str, str]]], list[int]]:
    """A resident user with a token for every sharer, real numbers for every beneficiary; returns
    (token, body) per pair and the users created."""
    sharer_pks = {ids[s] for s, _, _ in pairs}
    beneficiary_pks = {ids[b] for _, b, _ in pairs}
    numbers = realise_numbers(beneficiary_pks)
    names = dict(Person.objects.filter(pk__in=beneficiary_pks).values_list("pk", "name"))
    users = User.objects.bulk_create(
        [
            User(username=f"bench-elig-{pk}", role=Role.RESIDENT, person_id=pk, password="!")  # noqa: S106 (unusable)
            for pk in sharer_pks
        ]
    )
    tokens = {user.person_id: AuthToken.objects.create(user=user)[1] for user in users}
    bodies = [
        (
            tokens[ids[s]],
            {
                "beneficiary_id_number": numbers[ids[b]],
                "beneficiary_name": names[ids[b]],
                "relation_code": code,
            },
        )
        for s, b, code in pairs
    ]
    return bodies, [u.pk for u in users]


def time_client(bodies: list[tuple[str, dict[str, str]]]) -> tuple[list[float], int, int]:
    client = Client(SERVER_NAME="127.0.0.1")

    def post(token: str, body: dict[str, str]) -> dict[str, object]:
        response = client.post(
            URL, body, content_type="application/json", headers={"authorization": f"Bearer {token}"}
        )
        assert response.status_code == 200, (response.status_code, response.content[:300])
        return response.json()

    for token, body in bodies[:50]:
        post(token, body)
    times, eligible = [], 0
    for token, body in bodies:
        started = time.perf_counter()
        answer = post(token, body)
        times.append(time.perf_counter() - started)
        eligible += bool(answer["eligible"]) and answer["derived_relation_code"] == body["relation_code"]
    with CaptureQueriesContext(connection) as queries:
        post(*bodies[0])
    return times, eligible, len(queries)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def time_gunicorn(bodies: list[tuple[str, dict[str, str]]]) -> tuple[list[float], int]:
    """The same requests to a real gunicorn (2 sync workers) on 127.0.0.1, one at a time."""
    port = _free_port()
    server = subprocess.Popen(
        [
            str(ROOT / ".venv" / "bin" / "gunicorn"),
            "portal.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "portal.settings.local"},
    )
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{base}/healthz", timeout=1).read()  # noqa: S310 (our own local server)
                break
            except OSError:
                time.sleep(0.2)

        def post(token: str, body: dict[str, str]) -> dict[str, object]:
            request = urllib.request.Request(  # noqa: S310 (our own local server)
                base + URL,
                data=json.dumps(body).encode(),
                headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
                method="POST",
            )
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
                return json.loads(response.read())

        for token, body in bodies[:50]:
            post(token, body)
        times, eligible = [], 0
        for token, body in bodies:
            started = time.perf_counter()
            answer = post(token, body)
            times.append(time.perf_counter() - started)
            eligible += bool(answer["eligible"]) and answer["derived_relation_code"] == body["relation_code"]
        return times, eligible
    finally:
        server.terminate()
        server.wait(timeout=30)


def explain_registry(sharer: Person, beneficiary: Person) -> dict[str, str]:
    """EXPLAIN ANALYZE of TableRegistry's two queries (family_sharing/registry.py) for one pair."""
    people = {sharer.pk, beneficiary.pk}
    parent_qs = KinshipEdge.objects.filter(
        Q(a_id__in=people) | Q(b_id__in=people), kind="parent"
    ).values_list("a_id", "b_id", "parent_kind", "a__sex", "b__sex")
    spouse_qs = KinshipEdge.objects.filter(kind="spouse", a_id__in=people, b_id__in=people).values_list(
        "a_id", "b_id", "valid_from", "valid_to"
    )
    plans = {}
    with connection.cursor() as cursor:
        for name, qs in (("parent_edges", parent_qs), ("spouse_edges", spouse_qs)):
            sql, params = qs.query.sql_with_params()
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
            plans[name] = "\n".join(row[0] for row in cursor.fetchall())
    return plans


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--persons", type=int, default=1_000_000)
    parser.add_argument("--edges", type=int, default=2_000_000)
    parser.add_argument("--pairs", type=int, default=2_000)
    parser.add_argument("--http", choices=["client", "gunicorn", "both", "none"], default="both")
    parser.add_argument("--seed", type=int, default=20261125)
    parser.add_argument("--keep", action="store_true", help="keep the bench rows afterwards")
    args, _ = parser.parse_known_args()

    require_reference_data()
    cleanup(BENCH)  # the leftovers of an interrupted run
    refuse_collisions(BENCH)
    report: dict[str, object] = {"persons": args.persons, "edges": args.edges, "pairs": args.pairs}
    try:
        started = time.perf_counter()
        blocks = generate(BENCH, persons=args.persons, edges=args.edges)
        report["generate_seconds"] = round(time.perf_counter() - started, 1)
        report["edges_stored"] = KinshipEdge.objects.filter(source="bench").count()

        pairs = sample_pairs(blocks, args.pairs, args.seed)
        ids = person_ids(BENCH, {n for s, b, _ in pairs for n in (s, b)})
        open_accounts({ids[s] for s, _, _ in pairs})
        persons = Person.objects.select_related("region").in_bulk(list(ids.values()))
        loaded = [(persons[ids[s]], persons[ids[b]], code) for s, b, code in pairs]
        as_of = today()

        times, eligible, queries = time_service(loaded, as_of)
        report["service"] = {**percentiles(times), "eligible": eligible, "queries_per_check": queries}
        plans = explain_registry(loaded[0][0], loaded[0][1])

        if args.http != "none":
            bodies, _ = http_bodies(pairs, ids)
            if args.http in ("client", "both"):
                times, eligible, queries = time_client(bodies)
                report["http_test_client"] = {
                    **percentiles(times),
                    "eligible": eligible,
                    "queries_per_request": queries,
                }
            if args.http in ("gunicorn", "both"):
                times, eligible = time_gunicorn(bodies)
                report["http_gunicorn"] = {**percentiles(times), "eligible": eligible}
        report["cpus"] = os.cpu_count()
        show(report, plans, args.pairs)
    finally:
        if not args.keep:
            started = time.perf_counter()
            cleanup(BENCH)
            print(f"bench rows deleted in {time.perf_counter() - started:.1f} s")
        else:
            print("bench rows kept")


def show(report: dict[str, object], plans: dict[str, str], pairs: int) -> None:
    print(json.dumps(report, ensure_ascii=False))
    service = report["service"]
    assert isinstance(service, dict)
    print(
        f"{report['persons']:,} persons and {report['edges_stored']:,} edges generated in "
        f"{report['generate_seconds']} s\n"
        f"service: p50 {service['p50_ms']} ms, p95 {service['p95_ms']} ms, {service['checks_per_s']} checks/s, "
        f"{service['queries_per_check']} queries per check, {service['eligible']}/{pairs} eligible as declared"
    )
    for key, label in (("http_test_client", "HTTP (test Client)"), ("http_gunicorn", "HTTP (gunicorn)")):
        result = report.get(key)
        if isinstance(result, dict):
            extra = (
                f", {result['queries_per_request']} queries per request"
                if "queries_per_request" in result
                else ""
            )
            print(
                f"{label}: p50 {result['p50_ms']} ms, p95 {result['p95_ms']} ms, "
                f"{result['checks_per_s']} checks/s{extra}, {result['eligible']}/{pairs} eligible"
            )
    for name, plan in plans.items():
        print(f"\nEXPLAIN ANALYZE, registry {name}:\n{plan}\n")
    sys.stdout.flush()


if __name__ == "__main__":
    main()

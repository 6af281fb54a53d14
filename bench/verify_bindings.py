"""Benchmark of the binding-verification pass (`bindings_verify`, the Celery task and
`manage.py verify_bindings`) at registry scale.

    DJANGO_SETTINGS_MODULE=portal.settings.local .venv/bin/python bench/verify_bindings.py \
        [--persons 1000000] [--edges 2000000] [--bindings 100000] [--chunk 1000] [--keep]

Needs a migrated database with reference data (`manage.py migrate`, `manage.py load_reference_data`).
Generates the population of bench/registry_data.py in SQL (province 970000, region 970100, cards
W00000000...), and `--bindings` bindings in `pending_verification` between its relatives (13 of 15
real near relatives as declared, 1 of 15 a daughter-in-law declared as a daughter — the registry is
silent, 1 of 15 a maternal grandmother declared as paternal — a mismatch). Then measures:

1. the pass over all pending bindings: seconds, bindings/s, queries in all and per chunk;
2. the same pass again with nothing pending (what the 5-minute beat costs when idle: the claim
   finds nothing and the ended-marriage scan walks the active spouse bindings);
3. after 1,000 of the verified marriages are ended in the registry (valid_to in the past): the pass
   that suspends their spouse bindings.

Prints one JSON line and a human summary; deletes everything it created unless --keep is given."""

import argparse
import json
import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.local")

import django  # noqa: E402

django.setup()

from django.db import connection, transaction  # noqa: E402

from bench.registry_data import (  # noqa: E402
    MISMATCHED,
    RELATIVES,
    UNVERIFIABLE,
    BenchRegion,
    cleanup,
    generate,
    pair_numbers,
    refuse_collisions,
    require_reference_data,
)
from family_sharing.verification import VerifyResult, bindings_verify  # noqa: E402

BENCH = BenchRegion(province_code="970000", region_code="970100", card_letter="W", label="（核验）")
COMBOS = (*RELATIVES, UNVERIFIABLE, MISMATCHED)


@contextmanager
def counting_queries() -> Iterator[list[int]]:
    """Counts the statements sent to the database (cheaper than recording them)."""
    count = [0]

    def wrapper(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
        count[0] += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(wrapper):
        yield count


def create_pending(blocks: int, bindings: int) -> dict[str, int]:
    """`bindings` pending bindings, created in order; slot s of block k declares COMBOS[(k + s) % 15]."""
    if bindings > blocks * len(COMBOS):
        sys.exit(f"--bindings can be at most {blocks * len(COMBOS)} for this many persons")
    sharers, beneficiaries, codes = [], [], []
    expected = {"eligible": 0, "needs_evidence": 0, "refused": 0}
    for i in range(bindings):
        block, slot = i % blocks, i // blocks
        relation = COMBOS[(block + slot) % len(COMBOS)]
        s, b = pair_numbers(relation, block, blocks)
        sharers.append(s)
        beneficiaries.append(b)
        codes.append(relation.code)
        expected[relation.expected] += 1
    letter = BENCH.card_letter
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO family_sharing_binding (id, sharer_id, beneficiary_id, relation_code_id,
                   derived_relation_code, status, channel, monthly_limit_fen, reasons, guardian_consent,
                   created_by_id, created_at, updated_at, activated_at, ended_at)
            SELECT gen_random_uuid(), ps.id, pb.id, u.code, '', 'pending_verification', 'hospital', NULL,
                   '[]'::jsonb, false, NULL, now() + u.i * interval '1 microsecond', now(), NULL, NULL
              FROM unnest(%s::int[], %s::int[], %s::text[]) WITH ORDINALITY AS u(s, b, code, i)
              JOIN accounts_person AS ps ON ps.card_number = %s || lpad(u.s::text, 8, '0')
              JOIN accounts_person AS pb ON pb.card_number = %s || lpad(u.b::text, 8, '0')
             ORDER BY u.i
            """,
            [sharers, beneficiaries, codes, letter, letter],
        )
        assert cursor.rowcount == bindings, cursor.rowcount
        cursor.execute("ANALYZE family_sharing_binding")
    return expected


def end_marriages(count: int) -> int:
    """Ends `count` of the bench's current marriages that now have an active spouse binding."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            """
            UPDATE family_sharing_kinshipedge AS e SET valid_to = '2025-06-30', updated_at = now()
             WHERE e.id IN (
                SELECT e2.id FROM family_sharing_binding AS b
                  JOIN family_sharing_kinshipedge AS e2
                    ON e2.kind = 'spouse' AND e2.a_id = LEAST(b.sharer_id, b.beneficiary_id)
                   AND e2.b_id = GREATEST(b.sharer_id, b.beneficiary_id)
                 WHERE b.status = 'active' AND b.relation_code_id IN ('10', '11', '12')
                   AND e2.valid_to IS NULL AND e2.source = 'bench'
                 ORDER BY e2.id LIMIT %s)
            """,
            [count],
        )
        return cursor.rowcount


def timed_pass(chunk: int) -> tuple[VerifyResult, float, int]:
    with counting_queries() as queries:
        started = time.perf_counter()
        result = bindings_verify(chunk=chunk)
        seconds = time.perf_counter() - started
    return result, seconds, queries[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--persons", type=int, default=1_000_000)
    parser.add_argument("--edges", type=int, default=2_000_000)
    parser.add_argument("--bindings", type=int, default=100_000)
    parser.add_argument("--chunk", type=int, default=1000)
    parser.add_argument("--ended", type=int, default=1000, help="marriages ended before the third pass")
    parser.add_argument("--keep", action="store_true", help="keep the bench rows afterwards")
    args, _ = parser.parse_known_args()

    require_reference_data()
    cleanup(BENCH)  # the leftovers of an interrupted run
    refuse_collisions(BENCH)
    report: dict[str, Any] = {"persons": args.persons, "edges": args.edges, "bindings": args.bindings}
    try:
        started = time.perf_counter()
        blocks = generate(BENCH, persons=args.persons, edges=args.edges)
        expected = create_pending(blocks, args.bindings)
        report["generate_seconds"] = round(time.perf_counter() - started, 1)
        report["expected"] = expected

        result, seconds, queries = timed_pass(args.chunk)
        chunks = -(-result.checked // args.chunk)
        report["verify"] = {
            "seconds": round(seconds, 2),
            "bindings_per_s": round(result.checked / seconds),
            "checked": result.checked,
            "activated": result.activated,
            "needs_evidence": result.needs_evidence,
            "rejected": result.rejected,
            "chunk": args.chunk,
            "chunks": chunks,
            "queries": queries,
            # every full or partial chunk, then one empty claim and one ended-marriage scan
            "queries_per_chunk": round((queries - 2) / chunks, 2) if chunks else None,
        }

        result, seconds, queries = timed_pass(args.chunk)
        report["idle_pass"] = {"seconds": round(seconds, 3), "checked": result.checked, "queries": queries}

        ended = end_marriages(args.ended)
        result, seconds, queries = timed_pass(args.chunk)
        report["suspend_pass"] = {
            "marriages_ended": ended,
            "suspended": result.suspended,
            "seconds": round(seconds, 2),
            "queries": queries,
        }
        report["cpus"] = os.cpu_count()
        show(report)
    finally:
        if not args.keep:
            started = time.perf_counter()
            cleanup(BENCH)
            print(f"bench rows deleted in {time.perf_counter() - started:.1f} s")
        else:
            print("bench rows kept")


def show(report: dict[str, Any]) -> None:
    print(json.dumps(report, ensure_ascii=False))
    v, idle, sus = report["verify"], report["idle_pass"], report["suspend_pass"]
    print(
        f"{report['persons']:,} persons, {report['edges']:,} edges and {report['bindings']:,} pending bindings "
        f"generated in {report['generate_seconds']} s\n"
        f"verification pass: {v['seconds']} s, {v['bindings_per_s']:,} bindings/s "
        f"({v['activated']:,} active, {v['needs_evidence']:,} need evidence, {v['rejected']:,} rejected; "
        f"expected {report['expected']}); {v['queries']} queries, {v['queries_per_chunk']} per chunk of "
        f"{v['chunk']}\n"
        f"idle pass (nothing pending): {idle['seconds']} s, {idle['queries']} queries\n"
        f"after {sus['marriages_ended']:,} divorces: {sus['suspended']:,} spouse bindings suspended in "
        f"{sus['seconds']} s, {sus['queries']} queries"
    )
    sys.stdout.flush()


if __name__ == "__main__":
    main()

"""Benchmark of the arrears sweep (`manage.py sweep_arrears`, the nightly Celery tasks) against the
fastest single raw SQL statement that computes the same statuses (the physical limit).

    DJANGO_SETTINGS_MODULE=portal.settings.local .venv/bin/python bench/sweep_arrears.py \
        [--persons 1000000] [--periods 12] [--keep]

Needs a migrated database with reference data. Generates in SQL (generate_series, no Python loop)
`--persons` employee persons in a bench region (province 950000, region 950100, cards U00000000...),
1,000 employers, and `--periods` monthly declarations each, ending with the month before the as-of
month (as of 2026-11-20: 2025-11 ... 2026-10): 3 % of persons (n % 100 in 2, 3, 4) have one period
(2026-09) not paid in full past its due date, 2 % (n % 50 = 1) have the last three periods
undeclared; and an active binding for every person n % 10 = 2 (as sharer, with n + 1), so a tenth
of the sharers fall into arrears. Then, in one process:

1. the raw statement: one UPDATE of accounts_person computing the same statuses (no change log,
   no bindings, no notifications), run inside a transaction that is rolled back, once with JIT on
   (the server default) and once off (as the sweep runs); the faster is the reference;
2. the sweep, first run: every status change written with its cause, bindings suspended;
3. the sweep, second run: nothing to change;
4. the raw statement again on that unchanged state (rolled back; JIT on and off, the faster);
5. the notifications of the first run's changes (what the workers do after the sweep commits).

Prints one JSON line and a human summary with peak RSS; deletes everything unless --keep."""

import argparse
import datetime as dt
import json
import os
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.local")

import django  # noqa: E402

django.setup()

from django.db import connection, transaction  # noqa: E402
from stdnum.cn import uscc  # noqa: E402

from bench.registry_data import BenchRegion, cleanup, create_region, refuse_collisions, require_reference_data  # noqa: E402
from family_sharing.contributions import services as contribution_services  # noqa: E402
from family_sharing.contributions.partitions import contribution_partitions_ensure  # noqa: E402
from family_sharing.contributions.services import status_changes_notify  # noqa: E402
from family_sharing.contributions.sweep import arrears_sweep, sweep_window  # noqa: E402
from portal.core import crypto  # noqa: E402
from portal.core.time import add_months  # noqa: E402

BENCH = BenchRegion(province_code="950000", region_code="950100", card_letter="U", label="（欠费）")
AS_OF = dt.date(2026, 11, 20)
EMPLOYERS = 1000
USCC_PREFIX = "91950100MA"  # bench employers: 10 + 7 digits + check digit

# The physical limit: one statement, one pass over the same indexes, nothing recorded. Two
# formulations were tried; the faster one (by a wide margin: it never aggregates all 12 periods of
# every person) is kept, the other is measured once for the record.
RAW_SQL = """
UPDATE accounts_person AS p SET status = s.to_status, updated_at = now()
  FROM (
    SELECT p.id, p.status AS from_status,
           CASE WHEN p.is_pensioner THEN 'normal'
                WHEN u.person_id IS NOT NULL THEN 'arrears'
                WHEN r.person_id IS NULL THEN 'interrupted'
                ELSE 'normal' END AS to_status
      FROM accounts_person AS p
      LEFT JOIN (SELECT DISTINCT c.person_id FROM family_sharing_contribution AS c
                  WHERE c.paid_fen < c.due_fen AND c.due_date < %(as_of)s) AS u ON u.person_id = p.id
      LEFT JOIN (SELECT DISTINCT c.person_id FROM family_sharing_contribution AS c
                  WHERE c.period >= %(window_start)s AND c.period < %(month_start)s) AS r ON r.person_id = p.id
     WHERE p.region_id = %(region)s AND p.insurance_type = 'employee' AND p.status <> 'terminated'
       AND (u.person_id IS NOT NULL OR r.person_id IS NOT NULL
            OR EXISTS (SELECT 1 FROM family_sharing_contribution AS c WHERE c.person_id = p.id OFFSET 0))
  ) AS s
 WHERE p.id = s.id AND s.from_status <> s.to_status
"""
RAW_AGGREGATE_SQL = """
UPDATE accounts_person AS p SET status = s.to_status, updated_at = now()
  FROM (
    SELECT c.person_id AS id,
           CASE WHEN bool_or(c.paid_fen < c.due_fen AND c.due_date < %(as_of)s) THEN 'arrears'
                WHEN NOT bool_or(c.period >= %(window_start)s AND c.period < %(month_start)s) THEN 'interrupted'
                ELSE 'normal' END AS to_status
      FROM family_sharing_contribution AS c GROUP BY c.person_id
  ) AS s
 WHERE p.id = s.id AND p.region_id = %(region)s AND p.insurance_type = 'employee'
   AND p.status <> 'terminated' AND NOT p.is_pensioner AND p.status <> s.to_status
"""


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _exec(sql: str, params: object = None) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def make_uscc(n: int) -> str:
    body = f"{USCC_PREFIX}{n:07d}"
    return body + uscc.calc_check_digit(body)


def generate(persons: int, periods: int) -> tuple[int, dict[str, int]]:
    region_id = create_region(BENCH)
    placeholder = crypto.encrypt("000000000000000000")
    first = add_months(AS_OF.replace(day=1), -periods)
    months = [add_months(first, i) for i in range(periods)]
    contribution_partitions_ensure(months)
    started = time.perf_counter()
    with transaction.atomic():
        _exec(
            """
            INSERT INTO accounts_person (name, id_number, id_hash, card_number, phone, phone_hash, sex,
                   birth_date, region_id, insurance_type, status, is_pensioner, last_certified_on,
                   created_at, updated_at)
            SELECT '王伟', %s, encode(sha256(convert_to('bench-950100-' || n, 'UTF8')), 'hex'),
                   %s || lpad(n::text, 8, '0'), '', '', CASE WHEN n %% 2 = 0 THEN 'male' ELSE 'female' END,
                   make_date(1970 + n %% 30, 1, 1) + (n %% 360), %s, 'employee', 'normal', false, NULL,
                   now(), now()
              FROM generate_series(0, %s - 1) AS n
            """,
            [placeholder, BENCH.card_letter, region_id, persons],
        )
        _exec(
            "INSERT INTO accounts_employer (uscc, name) SELECT u, '基准测试单位' || i "
            "FROM unnest(%s::text[]) WITH ORDINALITY AS t(u, i) ON CONFLICT (uscc) DO NOTHING",
            [[make_uscc(i) for i in range(EMPLOYERS)]],
        )
        _exec("DROP TABLE IF EXISTS pg_temp.bench_ids")
        _exec(
            "CREATE TEMP TABLE bench_ids AS SELECT substr(card_number, 2)::int AS n, id "
            "FROM accounts_person WHERE region_id = %s",
            [region_id],
        )
        _exec("DROP TABLE IF EXISTS pg_temp.bench_employers")
        _exec(
            "CREATE TEMP TABLE bench_employers AS SELECT substr(uscc, 11, 7)::int AS k, id FROM accounts_employer "
            "WHERE uscc LIKE %s",
            [f"{USCC_PREFIX}%"],
        )
        unpaid_month = add_months(AS_OF.replace(day=1), -2)  # 2026-09, due 2026-10-15
        window_start = add_months(AS_OF.replace(day=1), -3)
        _exec(
            """
            INSERT INTO family_sharing_contribution
                   (employer_id, person_id, period, due_fen, paid_fen, due_date, updated_at)
            SELECT e.id, b.id, m.period, 60000 + (b.n %% 7) * 1000,
                   CASE WHEN b.n %% 100 IN (2, 3, 4) AND m.period = %(unpaid)s THEN 0
                        ELSE 60000 + (b.n %% 7) * 1000 END,
                   (m.period + interval '1 month' + interval '14 days')::date, now()
              FROM bench_ids AS b
              JOIN bench_employers AS e ON e.k = b.n %% %(employers)s
             CROSS JOIN unnest(%(months)s::date[]) AS m(period)
             WHERE NOT (b.n %% 50 = 1 AND m.period >= %(window_start)s)
             ORDER BY m.period, b.id
            """,
            {
                "unpaid": unpaid_month,
                "employers": EMPLOYERS,
                "months": months,
                "window_start": window_start,
            },
        )
        # Active bindings: sharer n, beneficiary n + 1 for n % 10 = 2 (10 % of persons are sharers;
        # a tenth of them, n % 100 = 2, fall into arrears and have their binding suspended).
        _exec(
            """
            INSERT INTO accounts_personalaccount (person_id, balance_fen, created_at, updated_at)
            SELECT s.id, 0, now(), now() FROM bench_ids AS s
             WHERE s.n %% 10 = 2 AND s.n + 1 < %(persons)s
            ON CONFLICT (person_id) DO NOTHING
            """,
            {"persons": persons},
        )
        bound = _exec(
            """
            INSERT INTO family_sharing_binding (id, sharer_id, beneficiary_id, relation_code_id,
                   derived_relation_code, status, channel, monthly_limit_fen, reasons, guardian_consent,
                   created_by_id, created_at, updated_at, activated_at, ended_at)
            SELECT gen_random_uuid(), s.id, b.id, '51', '51', 'active', 'web', NULL, '[]'::jsonb, false,
                   NULL, now(), now(), now(), NULL
              FROM bench_ids AS s JOIN bench_ids AS b ON b.n = s.n + 1
             WHERE s.n %% 10 = 2
            """,
            {},
        )
    # As after any bulk load (and as autovacuum would): hint bits and the visibility map are set, so
    # neither the raw statement nor the sweep pays for them on its first read.
    for table in ("accounts_person", "family_sharing_contribution", "family_sharing_binding"):
        _exec(f"VACUUM ANALYZE {table}")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM family_sharing_contribution AS c JOIN accounts_person AS p ON p.id = c.person_id "
            "WHERE p.region_id = %s",
            [region_id],
        )
        rows = cursor.fetchone()[0]
    return region_id, {
        "contributions": rows,
        "bindings": bound,
        "generate_seconds": round(time.perf_counter() - started, 1),
    }


def raw(region_id: int, sql: str, *, jit: bool = True) -> tuple[float, int]:
    window_start, month_start, _ = sweep_window(AS_OF)
    params = {"region": region_id, "as_of": AS_OF, "window_start": window_start, "month_start": month_start}
    with transaction.atomic():
        _exec("SET LOCAL work_mem = '256MB'")
        if not jit:
            _exec("SET LOCAL jit = off")
        started = time.perf_counter()
        changed = _exec(sql, params)
        seconds = time.perf_counter() - started
        transaction.set_rollback(True)
    return seconds, changed


def sweep(region_id: int) -> tuple[float, dict[str, object]]:
    started = time.perf_counter()
    result = arrears_sweep(as_of=AS_OF, region_ids=[region_id])
    seconds = time.perf_counter() - started
    return seconds, {
        "checked": result.checked,
        "changed_to": result.changed_to,
        "suspended": result.suspended,
        "resumed": result.resumed,
        "ended": result.ended,
        "statement_seconds": round(result.statement_seconds, 2),
        "bindings_seconds": round(result.bindings_seconds, 2),
        "summary": result.summary(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--persons", type=int, default=1_000_000)
    parser.add_argument("--periods", type=int, default=12)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    require_reference_data()
    refuse_collisions(BENCH)
    cleanup(BENCH)
    # The workers send the notifications after the sweep commits; here they are timed on their own.
    queued: list[int] = []
    contribution_services.status_changes_notify_later = lambda *, change_ids: queued.extend(change_ids)
    try:
        region_id, sizes = generate(args.persons, args.periods)
        print(f"generated {args.persons} persons, {sizes}", flush=True)
        raw_jit, raw_changed = raw(region_id, RAW_SQL)
        raw_nojit, raw_nojit_changed = raw(region_id, RAW_SQL, jit=False)
        raw_first = min(raw_jit, raw_nojit)  # the sweep turns JIT off; the raw statement gets the faster
        raw_agg, raw_agg_changed = raw(region_id, RAW_AGGREGATE_SQL)
        assert raw_agg_changed == raw_changed == raw_nojit_changed, (raw_agg_changed, raw_changed)
        sweep_first, first = sweep(region_id)
        rss_after_first = peak_rss_mb()
        sweep_second, second = sweep(region_id)
        (second_jit, changed_jit), (second_nojit, changed_nojit) = (
            raw(region_id, RAW_SQL),
            raw(region_id, RAW_SQL, jit=False),
        )
        raw_second, raw_second_changed = min(second_jit, second_nojit), changed_jit + changed_nojit
        started = time.perf_counter()
        notified = 0
        while sent := status_changes_notify(limit=1000):
            notified += sent
        notify_seconds = time.perf_counter() - started
        changed_first = sum(first["changed_to"].values())
        assert changed_first == raw_changed, (changed_first, raw_changed)
        assert sum(second["changed_to"].values()) == 0 and raw_second_changed == 0
        report = {
            "persons": args.persons,
            "periods": args.periods,
            **sizes,
            "raw_statement_seconds": round(raw_first, 2),
            "raw_statement_jit_seconds": round(raw_jit, 2),
            "raw_statement_nojit_seconds": round(raw_nojit, 2),
            "raw_aggregate_statement_seconds": round(raw_agg, 2),
            "raw_changed": raw_changed,
            "sweep_first_seconds": round(sweep_first, 2),
            "sweep_second_seconds": round(sweep_second, 2),
            "raw_statement_unchanged_seconds": round(raw_second, 2),
            "ratio_first_to_raw": round(sweep_first / raw_first, 2),
            "ratio_second_to_raw_unchanged": round(sweep_second / raw_second, 2),
            "first": first,
            "second": second,
            "notified": notified,
            "notify_seconds": round(notify_seconds, 2),
            "peak_rss_mb_after_first_sweep": round(rss_after_first, 1),
            "peak_rss_mb": round(peak_rss_mb(), 1),
            "load": os.getloadavg(),
        }
        print(json.dumps(report, ensure_ascii=False, default=str))
        print(
            f"raw statement {raw_first:.2f}s (JIT on {raw_jit:.2f}s, off {raw_nojit:.2f}s; aggregate formulation "
            f"{raw_agg:.2f}s), sweep first run "
            f"{sweep_first:.2f}s ({sweep_first / raw_first:.2f}x; its status statement "
            f"{first['statement_seconds']}s = {first['statement_seconds'] / raw_first:.2f}x, bindings "
            f"{first['bindings_seconds']}s), second run {sweep_second:.2f}s "
            f"(raw on the unchanged state {raw_second:.2f}s); {raw_changed} changes; notifications "
            f"{notified} in {notify_seconds:.2f}s; peak RSS {peak_rss_mb():.0f} MB"
        )
    finally:
        if not args.keep:
            cleanup(BENCH)
            _exec("DELETE FROM accounts_employer WHERE uscc LIKE %s", [f"{USCC_PREFIX}%"])


if __name__ == "__main__":
    main()

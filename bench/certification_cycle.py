"""Benchmark of the certification cycle run (`run_certification_cycle`, the daily Celery task) over
a million pensioners.

    DJANGO_SETTINGS_MODULE=portal.settings.local .venv/bin/python bench/certification_cycle.py \
        [--pensioners 1000000] [--as-of 2026-11-25] [--keep]

Generates the pensioners in SQL with generate_series (province 950000, region 950100, cards
U00000000...): pensioner n last certified `n % 420` days before the as-of date, so cycle ends are
spread evenly from 55 days ago to 365 days ahead: about 13 % are overdue and 7 % inside the 30-day
reminder window. Then measures, with the statements counted:

1. the first run on the as-of date (every overdue pension suspended, every reminder sent: message +
   SMS outbox row, all set-based);
2. the same run again (idempotent: nothing new, what a retried task costs);
3. the next day's run (one day's worth of new reminders and suspensions).

Prints one JSON line and a human summary; deletes everything it created unless --keep is given."""

import argparse
import datetime as dt
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

from certification.cycle_run import certification_cycle_run  # noqa: E402
from portal.core import crypto  # noqa: E402

PROVINCE, REGION, LETTER = "950000", "950100", "U"


def _exec(sql: str, params: Any = None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def _scalar(sql: str, params: Any = None) -> Any:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()[0]


@contextmanager
def counting_queries() -> Iterator[list[int]]:
    count = [0]

    def wrapper(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
        count[0] += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(wrapper):
        yield count


def region_id() -> int | None:
    return _scalar("SELECT id FROM accounts_poolingregion WHERE code = %s", [REGION])


def cleanup() -> None:
    rid = region_id()
    with transaction.atomic():
        if rid is not None:
            _exec("SET LOCAL work_mem = '256MB'")
            for sql in (
                "DELETE FROM accounts_smsoutbox AS o USING accounts_message AS m, accounts_person AS p "
                "WHERE o.message_id = m.id AND m.person_id = p.id AND p.region_id = %(r)s",
                "DELETE FROM accounts_message AS m USING accounts_person AS p "
                "WHERE m.person_id = p.id AND p.region_id = %(r)s",
                "DELETE FROM certification_reminder AS x USING accounts_person AS p "
                "WHERE x.person_id = p.id AND p.region_id = %(r)s",
                "DELETE FROM certification_paymentevent AS x USING accounts_person AS p "
                "WHERE x.person_id = p.id AND p.region_id = %(r)s",
                "DELETE FROM certification_pensionpayment AS x USING accounts_person AS p "
                "WHERE x.person_id = p.id AND p.region_id = %(r)s",
                "DELETE FROM accounts_person WHERE region_id = %(r)s",
                "DELETE FROM accounts_poolingregion WHERE id = %(r)s",
            ):
                _exec(sql, {"r": rid})
        _exec("DELETE FROM accounts_province WHERE code = %s", [PROVINCE])


def generate(pensioners: int, as_of: dt.date) -> float:
    started = time.perf_counter()
    with transaction.atomic():
        _exec("INSERT INTO accounts_province (code, name) VALUES (%s, '基准测试（认证）')", [PROVINCE])
        _exec(
            "INSERT INTO accounts_poolingregion (code, province_id, name, level, sms_sign_in_allowed) "
            "VALUES (%s, %s, '基准测试区（认证）', 'prefecture', true)",
            [REGION, PROVINCE],
        )
        _exec(
            """
            INSERT INTO accounts_person (name, id_number, id_hash, card_number, phone, phone_hash, sex,
                   birth_date, region_id, insurance_type, status, is_pensioner, last_certified_on,
                   created_at, updated_at)
            SELECT '王' || (ARRAY['伟','芳','娜','敏','静','丽','强','磊','军','洋'])[n %% 10 + 1],
                   %(placeholder)s, encode(sha256(convert_to('bench-cert-' || n, 'UTF8')), 'hex'),
                   %(letter)s || lpad(n::text, 8, '0'), '', '', CASE WHEN n %% 2 = 0 THEN 'male' ELSE 'female' END,
                   make_date(1940 + n %% 20, 1, 1) + (n %% 360), %(region)s, 'employee', 'normal', true,
                   %(as_of)s::date - (n %% 420), now(), now()
              FROM generate_series(0, %(count)s - 1) AS n
            """,
            {
                "placeholder": crypto.encrypt("000000000000000000"),
                "letter": LETTER,
                "region": region_id(),
                "as_of": as_of,
                "count": pensioners,
            },
        )
    _exec("ANALYZE accounts_person")
    return time.perf_counter() - started


def measure(as_of: dt.date) -> dict[str, Any]:
    with counting_queries() as count:
        started = time.perf_counter()
        result = certification_cycle_run(as_of=as_of)
        seconds = time.perf_counter() - started
    return {
        "as_of": as_of.isoformat(),
        "seconds": round(seconds, 2),
        "queries": count[0],
        "reminded_30": result.reminded_30,
        "reminded_7": result.reminded_7,
        "suspended": result.suspended,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pensioners", type=int, default=1_000_000)
    parser.add_argument("--as-of", default="2026-11-25")
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    as_of = dt.date.fromisoformat(args.as_of)
    if _scalar("SELECT count(*) FROM accounts_person WHERE card_number LIKE %s", [f"{LETTER}%"]):
        sys.exit(f"persons with {LETTER} cards exist: refusing to run (a previous --keep run? clean it up)")
    load = os.getloadavg()
    try:
        generated = generate(args.pensioners, as_of)
        first = measure(as_of)
        again = measure(as_of)
        next_day = measure(as_of + dt.timedelta(days=1))
    finally:
        if not args.keep:
            cleanup()
    out = {
        "pensioners": args.pensioners,
        "generate_seconds": round(generated, 1),
        "first": first,
        "again": again,
        "next_day": next_day,
        "loadavg_before": [round(x, 2) for x in load],
        "loadavg_after": [round(x, 2) for x in os.getloadavg()],
    }
    print(json.dumps(out))
    for name in ("first", "again", "next_day"):
        r = out[name]
        print(
            f"{name:>8}: {r['seconds']:>7.2f} s, {r['queries']} queries, reminders 30/7 "
            f"{r['reminded_30']}/{r['reminded_7']}, suspended {r['suspended']}"
        )


if __name__ == "__main__":
    main()

"""Benchmark of import_contributions: a first import, the same file again, and a later file that
pays the unpaid periods.

    DJANGO_SETTINGS_MODULE=portal.settings.local .venv/bin/python bench/import_contributions.py \
        [--persons 100000] [--periods 12] [--keep]

The persons (bench region 940100, cards T00000000...) are written straight in SQL with real, valid
identity numbers' keyed hashes (the import resolves rows by hash, as in production; the encrypted
column holds a placeholder). The CSV has one row per person and month (--periods months ending
last month), 3 % of persons with one month unpaid, 100 employers. Prints one JSON line and a human
summary with peak RSS; deletes everything unless --keep."""

import argparse
import datetime as dt
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.local")

import django  # noqa: E402

django.setup()

from django.db import connection, transaction  # noqa: E402
from stdnum.cn import ric, uscc  # noqa: E402

from accounts.imports.bulk_crypto import lookup_hasher  # noqa: E402
from bench.registry_data import BenchRegion, cleanup, create_region, refuse_collisions  # noqa: E402
from family_sharing.contributions.imports import COLUMNS, contributions_import  # noqa: E402
from portal.core import crypto  # noqa: E402
from portal.core.time import add_months, today  # noqa: E402

BENCH = BenchRegion(province_code="940000", region_code="940100", card_letter="T", label="（缴费导入）")
EMPLOYERS = 100
USCC_PREFIX = "91940100MA"
FIRST_BIRTH = dt.date(1960, 1, 1)


def number(i: int) -> str:
    k, order = divmod(i, 500)
    body = f"110101{FIRST_BIRTH + dt.timedelta(days=k * 7):%Y%m%d}{order * 2 + (i & 1):03d}"
    return body + ric.calc_check_digit(body + "0")


def employer_code(k: int) -> str:
    body = f"{USCC_PREFIX}{k:07d}"
    return body + uscc.calc_check_digit(body)


def create_persons(persons: int) -> None:
    region_id = create_region(BENCH)
    hasher = lookup_hasher()
    hashes = [hasher(number(i)) for i in range(persons)]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO accounts_person (name, id_number, id_hash, card_number, phone, phone_hash, sex,
                   birth_date, region_id, insurance_type, status, is_pensioner, last_certified_on,
                   created_at, updated_at)
            SELECT '李娜', %s, h, %s || lpad((i - 1)::text, 8, '0'), '', '',
                   CASE WHEN i %% 2 = 0 THEN 'male' ELSE 'female' END, '1970-01-01', %s, 'employee',
                   'normal', false, NULL, now(), now()
              FROM unnest(%s::text[]) WITH ORDINALITY AS u(h, i)
            """,
            [crypto.encrypt("000000000000000000"), BENCH.card_letter, region_id, hashes],
        )
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE accounts_person")


def write_csv(path: Path, persons: int, periods: int, *, pay_all: bool) -> int:
    this_month = today().replace(day=1)
    months = [add_months(this_month, -back) for back in range(periods, 0, -1)]
    unpaid_month = months[-2]
    codes = [employer_code(k) for k in range(EMPLOYERS)]
    rows = 0
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write(",".join(COLUMNS) + "\n")
        for i in range(persons):
            num, code = number(i), codes[i % EMPLOYERS]
            name = f"基准缴费单位{i % EMPLOYERS}"
            lines = []
            for month in months:
                due = 60_000 + (i % 7) * 1000
                paid = 0 if (not pay_all and i % 100 in (2, 3, 4) and month == unpaid_month) else due
                lines.append(
                    f"{code},{name},{num},{month:%Y-%m},{due},{paid},{add_months(month, 1):%Y-%m}-15\n"
                )
            out.writelines(lines)
            rows += len(lines)
    return rows


def timed(path: Path) -> tuple[float, str]:
    started = time.perf_counter()
    result = contributions_import(path=path)
    return time.perf_counter() - started, result.summary()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--persons", type=int, default=100_000)
    parser.add_argument("--periods", type=int, default=12)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    refuse_collisions(BENCH)
    cleanup(BENCH)
    try:
        create_persons(args.persons)
        with tempfile.TemporaryDirectory() as tmp:
            first, paid = Path(tmp) / "contributions.csv", Path(tmp) / "paid.csv"
            rows = write_csv(first, args.persons, args.periods, pay_all=False)
            write_csv(paid, args.persons, args.periods, pay_all=True)
            first_s, first_summary = timed(first)
            again_s, again_summary = timed(first)
            paid_s, paid_summary = timed(paid)
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        report = {
            "rows": rows,
            "first_seconds": round(first_s, 1),
            "first_rows_per_second": round(rows / first_s),
            "again_seconds": round(again_s, 1),
            "again_rows_per_second": round(rows / again_s),
            "paid_file_seconds": round(paid_s, 1),
            "summaries": [first_summary, again_summary, paid_summary],
            "peak_rss_mb": round(rss, 1),
            "load": os.getloadavg(),
        }
        print(json.dumps(report, ensure_ascii=False))
        print(
            f"{rows} rows: first import {first_s:.1f}s ({rows / first_s:,.0f} rows/s), same file again "
            f"{again_s:.1f}s ({rows / again_s:,.0f} rows/s), a later file paying everything {paid_s:.1f}s; "
            f"peak RSS {rss:.0f} MB"
        )
    finally:
        if not args.keep:
            cleanup(BENCH)
            with connection.cursor() as cursor:
                cursor.execute("DELETE FROM accounts_employer WHERE uscc LIKE %s", [f"{USCC_PREFIX}%"])


if __name__ == "__main__":
    main()

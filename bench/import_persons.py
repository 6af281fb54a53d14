"""Benchmark of import_persons: N generated persons, a first import and an idempotent re-import.

    DJANGO_SETTINGS_MODULE=portal.settings.local .venv/bin/python bench/import_persons.py --rows 1000000

Runs against the configured database (DATABASE_URL). Its rows never mix with real ones: they
belong to a pooling region of their own, 990100 in a bench-only province 990000, their card
numbers start with Z, and the script refuses to run if any generated identity number or card is
already stored. Afterwards it deletes everything it created (persons, accounts, ledger entries,
history rows, the region and province) unless --keep is given.

Prints one JSON line (rows, rows/s of both runs, peak RSS) and a human summary."""

import argparse
import datetime as dt
import json
import os
import random
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
from django.db.backends.utils import CursorWrapper  # noqa: E402
from stdnum.cn import ric  # noqa: E402

from accounts.imports.person_rows import COLUMNS  # noqa: E402
from accounts.imports.persons import persons_import  # noqa: E402
from accounts.models import PoolingRegion, Province  # noqa: E402
from portal.core import crypto  # noqa: E402

PROVINCE_CODE, REGION_CODE = "990000", "990100"
ADDRESS_CODES = ("110101", "310104", "440305")  # 东城区, 徐汇区, 南山区
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢"
)
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国建华志强文"
FIRST_BIRTH = dt.date(1984, 1, 1)  # 440305 (南山区) exists from 1983: numbers are valid by birth year


def generate(path: Path, rows: int, seed: int = 20260101) -> None:
    """Valid, unique persons: ~70% employees with a balance, the rest resident or uninsured."""
    rnd = random.Random(seed)
    names = [s + g for s in SURNAMES for g in GIVEN] + [
        s + g + h for s in SURNAMES[:20] for g in GIVEN for h in GIVEN[:10]
    ]
    days: dict[int, str] = {}
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write(",".join(COLUMNS) + "\n")
        lines = []
        for i in range(rows):
            address = ADDRESS_CODES[i % 3]
            k, order = divmod(i // 3, 500)
            born = days.get(k)
            if born is None:
                born = days[k] = (FIRST_BIRTH + dt.timedelta(days=k * 11)).strftime("%Y%m%d")
            body = f"{address}{born}{order * 2 + (i & 1):03d}"
            number = body + ric.calc_check_digit(body + "0")
            draw = rnd.random()
            if draw < 0.7:
                kind, balance = "employee", str(rnd.randrange(0, 800_000))
            else:
                kind, balance = ("resident" if draw < 0.95 else "none"), ""
            phone = f"1{rnd.choice('3578')}{rnd.randrange(10**9):09d}" if rnd.random() < 0.9 else ""
            pensioner = rnd.random() < 0.12
            certified = f"2025-{rnd.randrange(1, 13):02d}-{rnd.randrange(1, 29):02d}" if pensioner else ""
            status = "normal" if rnd.random() < 0.95 else "arrears"
            lines.append(
                f"{number},{rnd.choice(names)},Z{i:08d},{phone},{REGION_CODE},{kind},{status},{balance},"
                f"{'true' if pensioner else 'false'},{certified}\n"
            )
            if len(lines) == 10_000:
                out.writelines(lines)
                lines.clear()
        out.writelines(lines)


def refuse_collisions(path: Path) -> None:
    """Stops if a generated identity number or card is already stored outside the bench region."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM accounts_person AS p JOIN accounts_poolingregion AS r ON r.id = p.region_id "
            "WHERE p.card_number LIKE 'Z%%' AND r.code <> %s",
            [REGION_CODE],
        )
        if cursor.fetchone()[0]:
            sys.exit("persons with Z cards exist outside the bench region: refusing to run")
        with path.open(encoding="utf-8") as handle:
            next(handle)
            batch: list[str] = []
            for line in handle:
                batch.append(crypto.lookup_hash(line.split(",", 1)[0]))
                if len(batch) == 10_000:
                    _check(cursor, batch)
                    batch.clear()
            _check(cursor, batch)


def _check(cursor: CursorWrapper, hashes: list[str]) -> None:
    if not hashes:
        return
    cursor.execute(
        "SELECT count(*) FROM accounts_person AS p JOIN accounts_poolingregion AS r ON r.id = p.region_id "
        "WHERE p.id_hash = ANY(%s) AND r.code <> %s",
        [hashes, REGION_CODE],
    )
    if cursor.fetchone()[0]:
        sys.exit("a generated identity number is already stored: refusing to run")


CLEANUP = [
    # The bench persons' ids first, in a small analysed temp table, so that every DELETE below is
    # a plain hash join (a nested IN over a freshly loaded million-row table plans badly).
    "CREATE TEMP TABLE bench_person_ids ON COMMIT DROP AS "
    "SELECT p.id FROM accounts_person AS p JOIN accounts_poolingregion AS r ON r.id = p.region_id "
    "WHERE r.code = %(region)s",
    "ANALYZE bench_person_ids",
    "DELETE FROM accounts_accountentry AS e USING accounts_personalaccount AS a, bench_person_ids AS b "
    "WHERE e.account_id = a.id AND a.person_id = b.id",
    "DELETE FROM accounts_historicalpersonalaccount AS h USING bench_person_ids AS b WHERE h.person_id = b.id",
    "DELETE FROM accounts_personalaccount AS a USING bench_person_ids AS b WHERE a.person_id = b.id",
    "DELETE FROM accounts_historicalperson AS h USING bench_person_ids AS b WHERE h.id = b.id",
    "DELETE FROM accounts_person AS p USING bench_person_ids AS b WHERE p.id = b.id",
    # Plain SQL: the ORM's delete would also visit other apps' tables that may not exist yet.
    "DELETE FROM accounts_poolingregion WHERE code = %(region)s",
    "DELETE FROM accounts_province WHERE code = %(province)s",
]


# Vacuumed after the deletes, so that every run starts from the same state: the next run inserts the
# same identity and card numbers, and unique indexes still holding the dead entries of those keys
# make its inserts step over them.
VACUUMED = (
    "accounts_person",
    "accounts_historicalperson",
    "accounts_personalaccount",
    "accounts_historicalpersonalaccount",
    "accounts_accountentry",
)


def cleanup() -> None:
    """Deletes every row the bench created, in dependency order, in one transaction; then vacuums
    the tables, so that every run starts from the same state."""
    with transaction.atomic(), connection.cursor() as cursor:
        for sql in CLEANUP:
            cursor.execute(sql, {"region": REGION_CODE, "province": PROVINCE_CODE})
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM {', '.join(VACUUMED)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--keep", action="store_true", help="keep the bench rows afterwards")
    args, _ = parser.parse_known_args()  # also runs under `manage.py shell -c` (make bench)

    cleanup()  # the leftovers of an interrupted run
    province, _ = Province.objects.get_or_create(code=PROVINCE_CODE, defaults={"name": "基准测试"})
    PoolingRegion.objects.get_or_create(
        code=REGION_CODE, defaults={"province": province, "name": "基准测试区", "level": "prefecture"}
    )
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "persons.csv"
        started = time.perf_counter()
        generate(path, args.rows)
        generated = time.perf_counter() - started
        refuse_collisions(path)
        try:
            first = persons_import(path=path)
            second = persons_import(path=path)
        finally:
            if not args.keep:
                cleanup()
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    report = {
        "rows": args.rows,
        "generate_seconds": round(generated, 2),
        "first_import_seconds": round(first.seconds, 2),
        "first_import_rows_per_s": round(args.rows / first.seconds),
        "first_import": {"inserted": first.inserted, "updated": first.updated, **first.extra},
        "reimport_seconds": round(second.seconds, 2),
        "reimport_rows_per_s": round(args.rows / second.seconds),
        "reimport": {"inserted": second.inserted, "updated": second.updated, "unchanged": second.unchanged},
        "peak_rss_mib": round(peak_mib, 1),
        "cpus": os.cpu_count(),
    }
    print(json.dumps(report, ensure_ascii=False))
    print(
        f"{args.rows:,} rows generated in {generated:.1f} s\n"
        f"first import: {first.seconds:.1f} s, {report['first_import_rows_per_s']:,} rows/s ({first.summary()})\n"
        f"re-import:    {second.seconds:.1f} s, {report['reimport_rows_per_s']:,} rows/s ({second.summary()})\n"
        f"peak RSS {peak_mib:.0f} MiB; bench rows {'kept' if args.keep else 'deleted'}"
    )


if __name__ == "__main__":
    main()

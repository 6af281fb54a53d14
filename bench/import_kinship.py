"""Benchmark of import_kinship: a 2,000,000-edge registry file over 1,000,000 imported persons, the
first import, the idempotent re-import, and a later file that ends 1% of the marriages.

    DJANGO_SETTINGS_MODULE=portal.settings.local .venv/bin/python bench/import_kinship.py \
        [--persons 1000000] [--edges 2000000] [--keep]

Needs a migrated database. The persons are those of bench/registry_data.py (family blocks of 10,
20 edges a block), but with real, valid identity numbers (addresses 110101, 310104, 110102; birth
date and sex as in the block) whose keyed hashes are stored as import_persons stores them; they are
written with COPY (the persons import has its own benchmark), in province 960000, region 960100,
cards V00000000... Spouse lines alternate the order of the couple. Prints one JSON line (rows/s,
peak RSS) and a human summary; deletes everything it created unless --keep is given."""

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
from stdnum.cn import ric  # noqa: E402

from bench.registry_data import EDGE_TEMPLATE, ROLES, BenchRegion, cleanup, create_region, refuse_collisions  # noqa: E402
from family_sharing.imports.kinship import COLUMNS, kinship_import  # noqa: E402
from portal.core import crypto  # noqa: E402

BENCH = BenchRegion(province_code="960000", region_code="960100", card_letter="V", label="（导入）")
ADDRESSES = ("110101", "310104", "110102")  # valid for every birth year of the blocks


def number(n: int) -> str:
    """A valid identity number for person n, unique: (address, birth date, sex) repeat every
    1,080 blocks, and the order code counts those repeats."""
    role, block = n % 10, n // 10
    year, sex, _ = ROLES[role]
    born = dt.date(year, 1, 1) + dt.timedelta(days=block % 360)
    address = ADDRESSES[(block // 360) % 3]
    order = (block // 1080) * 2 + (1 if sex == "male" else 0)
    body = f"{address}{born:%Y%m%d}{order:03d}"
    return body + ric.calc_check_digit(body + "0")


def create_persons(persons: int) -> list[str]:
    """COPY the persons with real hashes; returns their numbers (index n)."""
    region_id = create_region(BENCH)
    placeholder = crypto.encrypt("000000000000000000")
    numbers = [number(n) for n in range(persons)]
    now = dt.datetime.now(dt.UTC)
    columns = (
        "name, id_number, id_hash, card_number, phone, phone_hash, sex, birth_date, region_id, insurance_type, "
        "status, is_pensioner, created_at, updated_at"
    )
    with transaction.atomic(), connection.cursor() as cursor:
        with cursor.cursor.copy(f"COPY accounts_person ({columns}) FROM STDIN") as copy:
            for n, num in enumerate(numbers):
                year, sex, kind = ROLES[n % 10]
                copy.write_row(
                    (
                        "王芳" if sex == "female" else "王伟",
                        placeholder,
                        crypto.lookup_hash(num),
                        f"{BENCH.card_letter}{n:08d}",
                        "",
                        "",
                        sex,
                        dt.date(year, 1, 1) + dt.timedelta(days=(n // 10) % 360),
                        region_id,
                        kind,
                        "normal",
                        False,
                        now,
                        now,
                    )
                )
        cursor.execute("ANALYZE accounts_person")
    return numbers


def write_edges(path: Path, numbers: list[str], edges: int, *, ended_every: int = 0) -> int:
    """The blocks' edges as an import file; with ended_every, only the current marriages of every
    ended_every-th block, now ended (the registry's divorce file)."""
    blocks = len(numbers) // 10
    written = 0
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write(",".join(COLUMNS) + "\n")
        lines: list[str] = []
        for k in range(blocks):
            for seq, kind, a_role, a_off, b_role, b_off, parent_kind, valid_from, valid_to in EDGE_TEMPLATE:
                if written >= edges:
                    break
                a = numbers[((k + a_off) % blocks) * 10 + a_role]
                b = numbers[((k + b_off) % blocks) * 10 + b_role]
                if ended_every:
                    if kind != "spouse" or valid_to or k % ended_every:
                        continue
                    valid_to = "2025-06-30"
                if kind == "spouse" and (k + seq) % 2:
                    a, b = b, a
                if kind == "parent" and k % 97 == 0 and a_role == 0 and b_role == 3:
                    parent_kind = "adoptive"
                lines.append(f"{kind},{a},{b},{parent_kind},{valid_from or ''},{valid_to or ''}\n")
                written += 1
            if len(lines) >= 10_000:
                out.writelines(lines)
                lines.clear()
        out.writelines(lines)
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--persons", type=int, default=1_000_000)
    parser.add_argument("--edges", type=int, default=2_000_000)
    parser.add_argument("--keep", action="store_true", help="keep the bench rows afterwards")
    args, _ = parser.parse_known_args()
    if not 60 <= args.persons <= 5_000_000:
        sys.exit("--persons must be between 60 and 5,000,000 (the order codes of the numbers run out)")

    cleanup(BENCH)
    refuse_collisions(BENCH)
    report: dict[str, object] = {"persons": args.persons}
    try:
        with tempfile.TemporaryDirectory() as folder:
            started = time.perf_counter()
            numbers = create_persons(args.persons)
            report["persons_seconds"] = round(time.perf_counter() - started, 1)
            path, later = Path(folder) / "kinship.csv", Path(folder) / "divorces.csv"
            report["edges"] = write_edges(path, numbers, args.edges)
            report["divorces"] = write_edges(later, numbers, args.edges, ended_every=100)
            del numbers
            first = kinship_import(path=path)
            again = kinship_import(path=path)
            ended = kinship_import(path=later)
        report["first_import"] = {
            "seconds": round(first.seconds, 1),
            "rows_per_s": round(first.rows_read / first.seconds),
            "inserted": first.inserted,
        }
        report["reimport"] = {
            "seconds": round(again.seconds, 1),
            "rows_per_s": round(again.rows_read / again.seconds),
            "unchanged": again.unchanged,
        }
        report["divorce_file"] = {
            "seconds": round(ended.seconds, 2),
            "rows": ended.rows_read,
            "updated": ended.updated,
        }
        report["peak_rss_mib"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
        report["cpus"] = os.cpu_count()
        print(json.dumps(report, ensure_ascii=False))
        print(
            f"{args.persons:,} persons written in {report['persons_seconds']} s\n"
            f"first import:  {first.summary()}\n"
            f"re-import:     {again.summary()}\n"
            f"divorce file:  {ended.summary()}\n"
            f"peak RSS {report['peak_rss_mib']} MiB"
        )
        sys.stdout.flush()
    finally:
        if not args.keep:
            started = time.perf_counter()
            cleanup(BENCH)
            print(f"bench rows deleted in {time.perf_counter() - started:.1f} s")
        else:
            print("bench rows kept")


if __name__ == "__main__":
    main()

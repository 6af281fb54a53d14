"""Data for the fault cases, written in a subprocess against a case's private database with the
benchmarks' set-based generators (bench/) and the demo data (`seed_demo`):

    python -m tests.faults.seed verify --bindings 20000
    python -m tests.faults.seed sweep --persons 100000 --regions 4
    python -m tests.faults.seed settle --accounts 40
    python -m tests.faults.seed demo

Each prints one JSON line (what the case needs to know: counts, cards, tokens) as its last line."""

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.local")
os.environ["DB_POOL"] = "false"  # one short-lived process (bench/settlement.py keeps its connection)

import django  # noqa: E402

django.setup()

from django.db import connection, transaction  # noqa: E402


def _exec(sql: str, params: Any = None) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall() if cursor.description else []


def verify(bindings: int) -> dict[str, Any]:
    """The registry population of bench/registry_data.py and `bindings` pending bindings between its
    relatives (bench/verify_bindings.py: 13 of 15 real relatives, 1 unverifiable, 1 mismatched)."""
    from bench.registry_data import generate
    from bench.verify_bindings import BENCH, COMBOS, create_pending

    blocks = -(-bindings // len(COMBOS))
    generate(BENCH, persons=blocks * 10, edges=blocks * 20)
    expected = create_pending(blocks, bindings)
    return {"bindings": bindings, "persons": blocks * 10, "expected": expected}


def sweep(persons: int, regions: int) -> dict[str, Any]:
    """bench/sweep_arrears.py's population (`persons` employees × 12 months as of 2026-11-20: 3 % with
    a month unpaid, 2 % with three months undeclared, an active binding for every n % 10 = 2), cut
    into `regions` pooling regions of consecutive card numbers, so the nightly sweep is that many
    tasks. Returns the regions in the order the sweep takes them, and per region one active binding
    whose sharer falls into arrears (the case holds its row lock to catch the sweep half-way)."""
    from accounts.models import PoolingRegion
    from bench import sweep_arrears as bench

    region_id, sizes = bench.generate(persons, 12)
    share = persons // regions
    region_ids = [region_id]
    with transaction.atomic():
        for i in range(1, regions):
            code = f"9501{i:02d}"
            new_id = PoolingRegion.objects.create(
                code=code,
                province_id=bench.BENCH.province_code,
                name=f"基准测试区（欠费{i}）",
                level="prefecture",
            ).pk
            _exec(
                "UPDATE accounts_person SET region_id = %s WHERE region_id = %s "
                "AND substr(card_number, 2)::int >= %s AND substr(card_number, 2)::int < %s",
                [new_id, region_id, i * share, (i + 1) * share if i < regions - 1 else persons],
            )
            region_ids.append(new_id)
    _exec("VACUUM ANALYZE accounts_person")
    # n % 100 = 2: a sharer (n % 10 = 2) with September unpaid: the sweep suspends this binding.
    lock_cards = [f"{bench.BENCH.card_letter}{i * share + 2:08d}" for i in range(regions)]
    return {
        "persons": persons,
        "as_of": bench.AS_OF.isoformat(),
        "regions": sorted(region_ids),
        "region_of_card": {card: region_ids[i] for i, card in enumerate(lock_cards)},
        **sizes,
    }


def settle(accounts: int) -> dict[str, Any]:
    """bench/settlement.py's sharers (a large balance and its opening entry), beneficiaries, active
    bindings, a hospital and its staff login, and a bearer token for that login (what the HIS holds)."""
    from knox.models import AuthToken

    from accounts.models import PoolingRegion, Province, User
    from bench import settlement as bench

    # The province and region through the ORM (the model's defaults: the bench's raw INSERT of the
    # region lacks sms_sign_in_allowed, NOT NULL since accounts 0013); the bench writes the rest.
    province, _ = Province.objects.get_or_create(code=bench.PROVINCE, defaults={"name": "基准测试（结算）"})
    PoolingRegion.objects.get_or_create(
        code=bench.REGION,
        defaults={"province": province, "name": "基准测试区（结算）", "level": "prefecture"},
    )
    bench_exec = bench._exec

    def without_reference_inserts(sql: str, params: Any = None) -> list[tuple[Any, ...]]:
        if sql.startswith(("INSERT INTO accounts_province", "INSERT INTO accounts_poolingregion")):
            return []
        return bench_exec(sql, params)

    bench._exec = without_reference_inserts
    ids = bench.setup(accounts)
    _, token = AuthToken.objects.create(User.objects.get(pk=ids["staff_id"]))
    return {
        "token": token,
        "pairs": [[bench._card(n), bench._card(accounts + n)] for n in range(accounts)],
    }


def demo() -> dict[str, Any]:
    """`seed_demo` (residents with the demo authenticator, the demo hospital, 张建国 paying for his
    father), and 张建国's binding for his mother moved to needs_evidence (an upload is awaited)."""
    from django.core.management import call_command

    from family_sharing.models import Binding
    from portal import demo as demo_data

    call_command("seed_demo", verbosity=0)
    numbers = {name: number for name, number, *_ in demo_data.DEMO_PERSONS}
    cards = {name: card for name, _, card, *_ in demo_data.DEMO_PERSONS}
    phones = {name: phone for name, _, _, phone, *_ in demo_data.DEMO_PERSONS}
    waiting = Binding.objects.get(
        sharer__card_number=cards["张建国"], beneficiary__card_number=cards["王桂兰"]
    )
    Binding.objects.filter(pk=waiting.pk).update(status="needs_evidence")
    sharer, relative, *_ = demo_data.DEMO_BINDINGS[0]
    return {
        "totp_key_hex": demo_data.DEMO_TOTP_KEY_HEX,
        "resident_password": demo_data.DEMO_RESIDENT_PASSWORD,
        "residents": [numbers[name] for name in demo_data.DEMO_RESIDENT_LOGINS],
        "hospital_staff": "hospital_demo",
        "evidence_binding": str(waiting.pk),
        "evidence_owner": numbers["张建国"],
        "settle_pair": [cards[sharer], cards[relative]],
        "sharer_phone": phones[sharer],
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="what", required=True)
    sub.add_parser("verify").add_argument("--bindings", type=int, required=True)
    sweep_args = sub.add_parser("sweep")
    sweep_args.add_argument("--persons", type=int, required=True)
    sweep_args.add_argument("--regions", type=int, required=True)
    sub.add_parser("settle").add_argument("--accounts", type=int, required=True)
    sub.add_parser("demo")
    args = parser.parse_args()
    if args.what == "verify":
        out = verify(args.bindings)
    elif args.what == "sweep":
        out = sweep(args.persons, args.regions)
    elif args.what == "settle":
        out = settle(args.accounts)
    else:
        out = demo()
    print(json.dumps(out, ensure_ascii=False))


if __name__ == "__main__":
    main()

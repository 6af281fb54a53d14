"""Redis (broker and cache) stopped for 30 s while residents sign in and look at their pages and a
counter settles (DESIGN.md section 11: losing Redis loses no data). Redis comes back empty, as a
restarted Redis without persistence does; the SMS copies of the settlement notices wait in the
outbox (accounts.outbox, decision record 0018) and the beat's sweep delivers them afterwards."""

import json
import time
import uuid
from collections import Counter

import pytest
from django_otp.oath import TOTP

from tests.faults.procs import Web, note, python, running, start_beat, start_worker, wait_for

pytestmark = pytest.mark.faults

OUTAGE = 30  # seconds
STAFF_PASSWORD = "Faults-Staff-2026"
AMOUNTS = [101, 202, 303, 404, 505]  # fen: one settlement each, told apart in the SMS texts


def _pending(pg, db) -> int:
    return pg.value(db, "SELECT count(*) FROM accounts_smsoutbox WHERE done_at IS NULL")


def _sms_lines(path) -> list[dict]:
    return (
        [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()] if path.exists() else []
    )


def test_redis_down_30s_money_and_sign_in_work_notices_arrive_after(new_case):
    """Stops: the Redis server (broker and cache) for 30 s. Meanwhile the four demo residents sign in
    over the API (password + authenticator code) and read /api/v1/me/ and /api/v1/account/, the demo
    hospital settles 5 family payments, and /readyz says 503. The notices' SMS copies are in the
    outbox, undelivered. After Redis is back (empty): /readyz says 200, and within 90 s (the beat's
    sweep runs every minute) every outbox row is delivered; the SMS file holds each queued message
    once (its key once) and one notice per settlement for the sharer; each key debited once and
    the ledger sums to the balance."""
    case = new_case("redis_outage")
    pg, db = case.pg, case.db
    seeded = json.loads(
        python(
            case.env(STAFF_PASSWORD=STAFF_PASSWORD, SMS_FILE_PATH=str(case.folder / "seed-sms.jsonl")),
            "-m",
            "tests.faults.seed",
            "demo",
        ).splitlines()[-1]
    )
    sms_file = case.folder / "sms.jsonl"
    totp = TOTP(bytes.fromhex(seeded["totp_key_hex"]), step=30, digits=6)
    with (
        running(start_worker(case.env(), case.folder)),
        running(start_beat(case.env(), case.folder)),
        running(Web(case.env(), case.folder)) as web,
    ):
        web.wait_ready()
        status, answer = web.request(
            "POST",
            "/api/v1/auth/token/",
            {"login": seeded["hospital_staff"], "password": STAFF_PASSWORD, "otp": f"{totp.token():06d}"},
        )
        assert status == 200, answer
        counter = {"Authorization": f"Bearer {answer['token']}"}
        wait_for(lambda: _pending(pg, db) == 0, timeout=120, what="the demo data's SMS to be delivered first")
        baseline = len(_sms_lines(sms_file))
        (since,) = pg.rows(db, "SELECT now()")[0]

        case.redis.stop()
        stopped = time.monotonic()
        note(f"redis outage: stopped the Redis server on port {case.redis.port}")
        ready_during = [web.request("GET", "/readyz")[0]]
        signed_in, pages = {}, Counter()
        code = f"{totp.token():06d}"
        for number in seeded["residents"]:
            status, answer = web.request(
                "POST",
                "/api/v1/auth/token/",
                {"login": number, "password": seeded["resident_password"], "otp": code},
            )
            signed_in[number[-4:]] = status
            if status == 200:
                auth = {"Authorization": f"Bearer {answer['token']}"}
                for path in ("/api/v1/me/", "/api/v1/account/"):
                    pages[(path, web.request("GET", path, headers=auth)[0])] += 1
        settled = {}
        sharer, beneficiary = seeded["settle_pair"]
        for amount in AMOUNTS:
            key = uuid.uuid4().hex
            status, answer = web.request(
                "POST",
                "/api/v1/settlements/",
                {
                    "sharer_card_number": sharer,
                    "beneficiary_card_number": beneficiary,
                    "category": "medical_self_pay",
                    "amount_fen": amount,
                    "description": "",
                },
                {**counter, "Idempotency-Key": key},
            )
            settled[key] = (amount, status)
        queued_during = pg.value(
            db, "SELECT count(*) FROM accounts_smsoutbox WHERE created_at >= %s AND done_at IS NULL", [since]
        )
        time.sleep(max(0.0, OUTAGE - 1 - (time.monotonic() - stopped)))
        ready_during.append(web.request("GET", "/readyz")[0])
        case.redis.start()
        note(
            f"redis outage: restarted Redis after {time.monotonic() - stopped:.1f} s; during it: sign-ins "
            f"{signed_in}, pages {dict(pages)}, settlements {list(settled.values())}, /readyz {ready_during}, "
            f"outbox rows queued and undelivered {queued_during}"
        )
        ready_after = wait_for(
            lambda: web.request("GET", "/readyz")[0] == 200, timeout=30, what="/readyz to say 200 again"
        )
        wait_for(lambda: _pending(pg, db) == 0, timeout=90, what="the outbox to be delivered", interval=1)
        delivered_after = time.monotonic() - stopped - OUTAGE
        time.sleep(2)  # a duplicate delivery would land in the file meanwhile
        lines = _sms_lines(sms_file)[baseline:]
        keys = {
            str(k)
            for (k,) in pg.rows(db, "SELECT key FROM accounts_smsoutbox WHERE created_at >= %s", [since])
        }
        per_key = Counter(line.get("key") for line in lines)
        to_sharer = [line["text"] for line in lines if line["to"] == seeded["sharer_phone"]]
        notices = {
            a: sum(f"共济支付{a // 100}.{a % 100:02d}元" in text for text in to_sharer) for a in AMOUNTS
        }
    debits = dict(
        pg.rows(db, "SELECT idempotency_key, count(*) FROM family_sharing_settlement WHERE idempotency_key = ANY(%s) "
                "GROUP BY 1", [list(settled)])
    )  # fmt: skip
    ledger_off = pg.value(
        db,
        "SELECT count(*) FROM accounts_personalaccount AS a LEFT JOIN (SELECT account_id, sum(amount_fen) AS t "
        "FROM accounts_accountentry GROUP BY 1) AS e ON e.account_id = a.id WHERE a.balance_fen <> coalesce(e.t, 0)",
    )
    note(
        f"redis outage: /readyz 200 again {bool(ready_after)}; outbox empty {delivered_after:.0f} s after Redis "
        f"came back; SMS lines since the outage {len(lines)} for {len(keys)} outbox rows, times per key "
        f"{dict(Counter(per_key.values()))}; settlement notices per amount {notices}; debits per key "
        f"{Counter(debits.values())}; accounts off their ledger {ledger_off}"
    )
    assert set(signed_in.values()) == {200}, signed_in
    assert set(pages) == {("/api/v1/me/", 200), ("/api/v1/account/", 200)}, pages
    assert {status for _amount, status in settled.values()} == {201}, settled
    assert ready_during == [503, 503], ready_during
    assert queued_during >= len(AMOUNTS), f"{queued_during} notices waited in the outbox during the outage"
    assert set(per_key) == keys and set(per_key.values()) == {1}, (per_key, keys)
    assert notices == dict.fromkeys(AMOUNTS, 1), notices
    assert set(debits.values()) == {1} and len(debits) == len(AMOUNTS), debits
    assert ledger_off == 0

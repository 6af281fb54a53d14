"""A burst of family settlements from a hospital's HIS over HTTP, and the checks that follow it.

Each settlement has its own Idempotency-Key; a client thread retries it with the same key and body
on a connection error or a 5xx until it gets a definite answer (201 new, 200 the first result
again, or a 4xx refusal), as API.md section 3 asks of an HIS. Part-way through, the case's fault
runs (a PostgreSQL restart, a gunicorn worker killed)."""

import http.client
import random
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from tests.faults.procs import Postgres, Web, note

THREADS = 8
GIVE_UP_AFTER = 120  # seconds of retrying one key: the case fails, naming the key


@dataclass
class Burst:
    answers: dict[str, tuple[int, Any]] = field(default_factory=dict)  # key -> final (status, body)
    amounts: dict[str, int] = field(default_factory=dict)
    retried: Counter[str] = field(default_factory=Counter)  # why attempts were retried
    fault: str = ""


def settle_burst(
    web: Web, token: str, pairs: list[list[str]], count: int, *, fault_after: int, fault: Callable[[], str]
) -> Burst:
    """Sends `count` settlements (random pairs, 1.00-50.00 yuan) from THREADS threads; once
    `fault_after` have a definite answer, runs `fault` in its own thread (it returns what it did)."""
    rng = random.Random(19)  # noqa: S311 (load generation)
    burst = Burst()
    lock = threading.Lock()
    fault_due = threading.Event()
    jobs = []
    for _ in range(count):
        key, (sharer, beneficiary) = uuid.uuid4().hex, rng.choice(pairs)
        burst.amounts[key] = rng.randrange(100, 5001)
        jobs.append((key, sharer, beneficiary))

    def settle(job: tuple[str, str, str]) -> None:
        key, sharer, beneficiary = job
        body = {
            "sharer_card_number": sharer,
            "beneficiary_card_number": beneficiary,
            "category": "medical_self_pay",
            "amount_fen": burst.amounts[key],
            "description": "",
        }
        headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": key}
        deadline = time.monotonic() + GIVE_UP_AFTER
        while time.monotonic() < deadline:
            try:
                status, answer = web.request("POST", "/api/v1/settlements/", body, headers, timeout=30)
            except (OSError, http.client.HTTPException) as exc:  # refused, reset, cut off mid-response
                why = type(exc).__name__
            else:
                if status < 500:
                    with lock:
                        burst.answers[key] = (status, answer)
                        if len(burst.answers) >= fault_after:
                            fault_due.set()
                    return
                why = f"HTTP {status}"
            with lock:
                burst.retried[why] += 1
            time.sleep(0.05)

    def inject() -> None:
        fault_due.wait()
        burst.fault = fault()

    injector = threading.Thread(target=inject, daemon=True)
    injector.start()
    with ThreadPoolExecutor(THREADS) as pool:
        list(pool.map(settle, jobs))
    fault_due.set()
    injector.join(120)
    return burst


def check_settlements(pg: Postgres, db: str, burst: Burst, messages_before: int) -> None:
    """Every key: a definite success, exactly one settlement and one debit of its amount, and the
    answer names that settlement; every account's ledger sums to its balance, entry by entry."""
    keys = list(burst.amounts)
    statuses = Counter(status for status, _ in burst.answers.values())
    unanswered = [k for k in keys if k not in burst.answers]
    stored = {
        key: (str(sid), n, amount, debit)
        for key, sid, n, amount, debit in pg.rows(
            db,
            """SELECT s.idempotency_key, min(s.id::text), count(*), min(s.amount_fen), min(e.amount_fen)
                 FROM family_sharing_settlement AS s JOIN accounts_accountentry AS e ON e.id = s.entry_id
                WHERE s.idempotency_key = ANY(%s) GROUP BY s.idempotency_key""",
            [keys],
        )
    }
    debits = Counter(stored[k][1] for k in stored)
    wrong_amount = [
        k for k in stored if stored[k][2] != burst.amounts[k] or stored[k][3] != -burst.amounts[k]
    ]
    wrong_answer = [
        k for k, (status, body) in burst.answers.items()
        if status not in (200, 201) or k not in stored or body.get("id") != stored[k][0]
    ]  # fmt: skip
    sums, chain = pg.rows(
        db,
        """SELECT (SELECT count(*) FROM accounts_personalaccount AS a
                    LEFT JOIN (SELECT account_id, sum(amount_fen) AS total FROM accounts_accountentry
                                GROUP BY account_id) AS e ON e.account_id = a.id
                   WHERE a.balance_fen <> coalesce(e.total, 0)),
                  (SELECT count(*) FROM (SELECT balance_after_fen,
                          sum(amount_fen) OVER (PARTITION BY account_id ORDER BY id) AS running
                          FROM accounts_accountentry) AS x WHERE balance_after_fen <> running)""",
    )[0]
    messages = pg.value(db, "SELECT count(*) FROM accounts_message") - messages_before
    note(
        f"settlements: {len(keys)} keys; answers {dict(statuses)}; retried attempts {dict(burst.retried)}; "
        f"stored settlements per key {dict(debits)}; accounts whose ledger does not sum to the balance: {sums}; "
        f"entries whose balance_after breaks the running sum: {chain}; new in-app messages {messages}"
    )
    assert not unanswered, f"{len(unanswered)} keys never got a definite answer (e.g. {unanswered[:3]})"
    assert statuses.keys() <= {200, 201}, f"answers {dict(statuses)}; fault: {burst.fault}"
    assert len(stored) == len(keys) and set(debits) == {1}, f"debits per key {dict(debits)}, keys {len(keys)}"
    assert not wrong_amount, f"{len(wrong_amount)} debits differ from the amount sent"
    assert not wrong_answer, f"{len(wrong_answer)} answers do not name the key's one settlement"
    assert sums == 0 and chain == 0, (
        f"{sums} accounts' ledgers do not sum to the balance, {chain} entries off"
    )
    assert messages == len(keys), f"{messages} in-app messages for {len(keys)} settlements"
    assert sum(burst.retried.values()) > 0, f"the fault ({burst.fault}) hit no request in flight"

"""kill -9 of one gunicorn worker while settlements are in flight: its requests die with it (the
client sees the connection reset), the master starts a new worker, and the HIS retries."""

import json
import os
import signal

import pytest

from tests.faults.procs import Web, note, python, running, wait_for
from tests.faults.settle_burst import check_settlements, settle_burst

pytestmark = pytest.mark.faults


def test_gunicorn_worker_killed_mid_settlement_burst_each_key_debits_once(new_case):
    """Kills: one of gunicorn's two worker processes (kill -9) once 100 of 400 settlements posted by
    8 HIS threads have their answer, while the others are in flight. Each request that fails is
    retried with the same key and body. After: the master has replaced the worker (two workers
    again, the killed pid gone); every key has a 200/201 naming its one settlement, exactly one
    debit of its amount and one in-app message; every account's ledger sums to its balance, entry
    by entry; some requests were cut off and retried."""
    case = new_case("settle_gunicorn_kill")
    pg, db = case.pg, case.db
    seeded = json.loads(
        python(case.env(), "-m", "tests.faults.seed", "settle", "--accounts", "40").splitlines()[-1]
    )
    messages_before = pg.value(db, "SELECT count(*) FROM accounts_message")
    with running(Web(case.env(), case.folder)) as web:
        web.wait_ready()
        before = web.workers()
        killed: list[int] = []

        def kill_one_worker() -> str:
            # the worker holding the most client connections right now, so requests die with it
            victim = wait_for(
                lambda: (
                    max(web.workers(), key=web.connections_of)
                    if any(map(web.connections_of, web.workers()))
                    else None
                ),
                timeout=30,
                what="a gunicorn worker with requests in flight",
                interval=0.01,
            )
            in_flight = web.connections_of(victim)
            os.kill(victim, signal.SIGKILL)
            killed.append(victim)
            return (
                f"kill -9 of gunicorn worker {victim} with {in_flight} client connections open "
                f"(workers were {before}, master {web.pid})"
            )

        burst = settle_burst(
            web, seeded["token"], seeded["pairs"], 400, fault_after=100, fault=kill_one_worker
        )
        after = wait_for(
            lambda: (w := web.workers()) and len(w) == len(before) and killed[0] not in w and w,
            timeout=60,
            what="the gunicorn master to replace the killed worker",
        )
        note(f"settlements: {burst.fault}; workers after: {after}")
    check_settlements(pg, db, burst, messages_before)

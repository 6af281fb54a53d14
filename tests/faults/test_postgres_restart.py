"""PostgreSQL restarted with `pg_ctl restart -m immediate` (every backend killed at once, crash
recovery on start, as after a failover) in the middle of an arrears sweep and of a burst of
settlements. The portal's processes are not restarted: the worker and gunicorn must find the
database again on their own."""

import contextlib
import json

import psycopg
import pytest

from tests.faults.procs import Web, blocked_on_lock, note, python, running, send_task, start_worker, wait_for
from tests.faults.settle_burst import check_settlements, settle_burst
from tests.faults.sweep_checks import compare_with_clean_run, region_snapshot

pytestmark = pytest.mark.faults


def test_postgres_restart_mid_sweep_rerun_equals_a_clean_run(new_case, sweep_population):
    """Restarts: PostgreSQL (`pg_ctl restart -m immediate`) while the third of the sweep's 4 region
    tasks is inside its transaction (its statuses and change log written, waiting on a binding row
    the case holds). The worker keeps running. Right after the restart the third region is
    untouched. After the nightly task runs again on the same worker: statuses, status-change log,
    bindings, events and messages equal a clean run's, each change made and notified once."""
    case = new_case("sweep_pg_restart", template=sweep_population.template)
    pg, db = case.pg, case.db
    regions = sweep_population.regions
    third = regions[2]
    with running(start_worker(case.env(), case.folder)) as worker:
        locker = pg.connect(db)
        try:
            locker.execute("BEGIN")
            locker.execute(
                "SELECT b.id FROM family_sharing_binding AS b JOIN accounts_person AS p ON p.id = b.sharer_id "
                "WHERE p.card_number = %s AND b.status = 'active' FOR UPDATE OF b",
                [sweep_population.lock_card[third]],
            )
            send_task(
                case.redis.url(case.redis_db), "family_sharing.sweep_arrears_nightly", sweep_population.as_of
            )
            blocked = wait_for(
                lambda: blocked_on_lock(pg, db),
                timeout=120,
                what="the third region's sweep to wait on the locked binding",
            )
            old = pg.postmaster_pid()
            pg.restart("immediate")
            note(
                f"sweep: restarted PostgreSQL -m immediate (postmaster {old} → {pg.postmaster_pid()}) while "
                f"backend {blocked} of worker {worker.pid} held region {third}'s transaction"
            )
        finally:
            with contextlib.suppress(psycopg.Error):
                locker.close()
        third_after = region_snapshot(pg, db, third)
        note(f"sweep: region {third} right after the restart: {third_after}")
        assert third_after == sweep_population.untouched[third], (
            f"region {third} half-written: {third_after} against {sweep_population.untouched[third]}"
        )
        assert worker.proc.poll() is None, f"the worker died with the database:\n{worker.tail()}"
        send_task(
            case.redis.url(case.redis_db), "family_sharing.sweep_arrears_nightly", sweep_population.as_of
        )
        sweep_population.wait_until_done(case)
    compare_with_clean_run(case, sweep_population)


def test_postgres_restart_mid_settlement_burst_each_key_debits_once(new_case):
    """Restarts: PostgreSQL (`pg_ctl restart -m immediate`) once 100 of 400 settlements posted by 8
    HIS threads through gunicorn (2 workers) have their answer; the others are in flight or queued.
    Requests that fail meanwhile (connection errors, 5xx) are retried with the same key and body
    until they get a definite answer. After: every key has a 200/201 naming its one settlement,
    exactly one debit of its amount, one in-app message; every account's ledger sums to its
    balance, entry by entry; some requests did fail and were retried (the restart hit them)."""
    case = new_case("settle_pg_restart")
    pg, db = case.pg, case.db
    seeded = json.loads(
        python(case.env(), "-m", "tests.faults.seed", "settle", "--accounts", "40").splitlines()[-1]
    )
    messages_before = pg.value(db, "SELECT count(*) FROM accounts_message")
    with running(Web(case.env(), case.folder)) as web:
        web.wait_ready()

        def restart() -> str:
            old = pg.postmaster_pid()
            pg.restart("immediate")
            return f"pg_ctl restart -m immediate (postmaster {old} → {pg.postmaster_pid()})"

        burst = settle_burst(web, seeded["token"], seeded["pairs"], 400, fault_after=100, fault=restart)
        note(f"settlements: fault injected: {burst.fault}")
        assert burst.fault, "the restart never ran"
    check_settlements(pg, db, burst, messages_before)

"""kill -9 of the Celery worker in the middle of scheduled work: the binding verification pass and
the nightly arrears sweep. The worker is killed as a whole (its main process and its pool child at
once, as when its host dies). The task it held goes back to the queue only after the broker's
visibility timeout (an hour with Redis), so the case does what the next scheduled run would do:
it restarts the worker and queues the task again. Then every change is made once and nothing is
half-written.

The kill lands mid-transaction on purpose, not at a lucky moment: once part of the work is
committed, the case takes a lock the worker's next statement needs (a table lock, a row lock),
waits until PostgreSQL shows the worker's backend waiting for it, and kills the worker there."""

import json
import time

import pytest

from tests.faults.procs import blocked_on_lock, note, others, python, quiet, send_task, start_worker, wait_for
from tests.faults.sweep_checks import compare_with_clean_run, region_snapshot

pytestmark = pytest.mark.faults

VERIFY_BINDINGS = 6_000


def _verification_counts(pg, db):
    judged, active, pending, events, bound_events, messages = pg.rows(
        db,
        """SELECT (SELECT count(*) FROM family_sharing_binding WHERE status <> 'pending_verification'),
                  (SELECT count(*) FROM family_sharing_binding WHERE status = 'active'),
                  (SELECT count(*) FROM family_sharing_binding WHERE status = 'pending_verification'),
                  (SELECT count(*) FROM family_sharing_bindingevent),
                  (SELECT count(DISTINCT binding_id) FROM family_sharing_bindingevent),
                  (SELECT count(*) FROM accounts_message)""",
    )[0]
    return {
        "judged": judged,
        "active": active,
        "pending": pending,
        "events": events,
        "bindings_with_events": bound_events,
        "messages": messages,
    }


def test_worker_killed_mid_verification_pass_rerun_judges_every_binding_once(new_case):
    """Kills: the Celery worker (main process and pool child, kill -9) while `verify_pending_bindings`
    is inside a chunk's transaction: at least two chunks of 1,000 committed, the next one has updated
    its bindings and waits to insert their events. After the kill, before any rerun: every binding is
    either judged with its event and messages or still pending with none (the chunk in flight left
    nothing). After a restarted worker runs the task again: each of the 6,000 bindings (6 chunks)
    has exactly one event (pending_verification → its outcome), the outcomes are what the registry
    says (as the generator built them), and the messages are one per binding for the sharer plus
    one per activation for the beneficiary."""
    case = new_case("verify_kill")
    pg, db = case.pg, case.db
    seeded = json.loads(
        python(
            case.env(), "-m", "tests.faults.seed", "verify", "--bindings", str(VERIFY_BINDINGS)
        ).splitlines()[-1]
    )
    expected = seeded["expected"]
    note(f"verification: seeded {seeded}")
    worker = start_worker(case.env(), case.folder)
    try:
        send_task(case.redis.url(case.redis_db), "family_sharing.verify_pending_bindings")
        wait_for(
            lambda: _verification_counts(pg, db)["judged"] >= 2000,
            timeout=120,
            what="two chunks of the verification pass to commit",
        )
        with pg.connect(db) as locker, locker.transaction():
            # Waits for the chunk in flight to commit; the one after it then blocks on its INSERT.
            locker.execute("LOCK TABLE family_sharing_bindingevent IN SHARE MODE")
            blocked = wait_for(
                lambda: blocked_on_lock(pg, db, 'INSERT INTO "family_sharing_bindingevent"'),
                timeout=60,
                what="the worker's chunk to wait on the events table",
            )
            killed = worker.kill9()
        note(f"verification: killed the worker {killed} while its backend {blocked} was inside a chunk")
    finally:
        worker.stop()
    wait_for(lambda: not others(pg, db), timeout=30, what="the killed worker's backends to end")
    after_kill = _verification_counts(pg, db)
    note(f"verification: after the kill, before the rerun: {after_kill}")
    assert 0 < after_kill["judged"] < VERIFY_BINDINGS, after_kill
    assert after_kill["judged"] % 1000 == 0, f"a chunk is half-judged: {after_kill}"
    assert after_kill["events"] == after_kill["bindings_with_events"] == after_kill["judged"], after_kill
    assert after_kill["messages"] == after_kill["judged"] + after_kill["active"], after_kill

    worker = start_worker(case.env(), case.folder, name="worker-rerun")
    try:
        send_task(case.redis.url(case.redis_db), "family_sharing.verify_pending_bindings")
        wait_for(
            lambda: _verification_counts(pg, db)["pending"] == 0 and quiet(pg, db, case.redis, case.redis_db),
            timeout=180,
            what="the rerun to judge every pending binding",
            interval=0.5,
        )
        time.sleep(1)  # anything still running would show in the counts below
    finally:
        worker.stop()
    final = _verification_counts(pg, db)
    outcomes = dict(pg.rows(db, "SELECT status, count(*) FROM family_sharing_binding GROUP BY status"))
    per_binding = pg.rows(
        db,
        "SELECT min(n), max(n), count(*) FROM (SELECT count(*) AS n FROM family_sharing_bindingevent "
        "GROUP BY binding_id) AS e",
    )[0]
    odd_events = pg.value(
        db,
        "SELECT count(*) FROM family_sharing_bindingevent AS e JOIN family_sharing_binding AS b "
        "ON b.id = e.binding_id WHERE e.from_status <> 'pending_verification' OR e.to_status <> b.status",
    )
    note(
        f"verification: after the rerun: {final}; outcomes {outcomes}; events per binding (min, max, bindings) {per_binding}"
    )
    assert outcomes == {
        "active": expected["eligible"],
        "needs_evidence": expected["needs_evidence"],
        "rejected": expected["refused"],
    }, (outcomes, expected, final)
    assert per_binding == (1, 1, VERIFY_BINDINGS), f"events per binding (min, max, bindings): {per_binding}"
    assert odd_events == 0, f"{odd_events} events do not record pending_verification → the binding's outcome"
    assert final["messages"] == VERIFY_BINDINGS + expected["eligible"], final


def test_worker_killed_mid_arrears_sweep_rerun_equals_a_clean_run(new_case, sweep_population):
    """Kills: the Celery worker (kill -9, main process and pool child) during the nightly arrears
    sweep of 100,000 persons in 4 regions (one task per region), while the third region's task is
    inside its transaction: its status statement has written the persons' new statuses and their
    StatusChange rows, and it waits to suspend the bindings of a sharer whose row lock the case
    holds. Regions 1 and 2 are committed by then. After the kill, before any rerun: the third
    region is untouched (every status as before, no change logged, no binding moved). After a
    restarted worker takes the queued tasks and the nightly task runs again: statuses, the
    status-change log, binding statuses and events, and messages equal those of a clean run on an
    untouched copy of the same database; every change is logged and notified once."""
    case = new_case("sweep_kill", template=sweep_population.template)
    pg, db = case.pg, case.db
    regions = sweep_population.regions
    third = regions[2]
    lock_card = sweep_population.lock_card[third]
    worker = start_worker(case.env(), case.folder)
    try:
        with pg.connect(db) as locker, locker.transaction():
            locker.execute(
                "SELECT b.id FROM family_sharing_binding AS b JOIN accounts_person AS p ON p.id = b.sharer_id "
                "WHERE p.card_number = %s AND b.status = 'active' FOR UPDATE OF b",
                [lock_card],
            )
            send_task(
                case.redis.url(case.redis_db), "family_sharing.sweep_arrears_nightly", sweep_population.as_of
            )
            blocked = wait_for(
                lambda: blocked_on_lock(pg, db),
                timeout=120,
                what="the third region's sweep to wait on the locked binding",
            )
            committed = {r: region_snapshot(pg, db, r)["changes"] for r in regions}
            killed = worker.kill9()
        note(
            f"sweep: killed the worker {killed} while its backend {blocked} held region {third}'s "
            f"transaction; changes committed per region at the kill: {committed}"
        )
    finally:
        worker.stop()
    wait_for(lambda: not others(pg, db), timeout=30, what="the killed worker's backends to end")
    third_after_kill = region_snapshot(pg, db, third)
    note(f"sweep: region {third} after the kill: {third_after_kill}")
    assert committed[regions[0]] > 0 and committed[regions[1]] > 0, committed
    assert third_after_kill == sweep_population.untouched[third], (
        f"region {third} half-written: {third_after_kill} against {sweep_population.untouched[third]}"
    )

    worker = start_worker(case.env(), case.folder, name="worker-rerun")
    try:
        send_task(
            case.redis.url(case.redis_db), "family_sharing.sweep_arrears_nightly", sweep_population.as_of
        )
        sweep_population.wait_until_done(case)
    finally:
        worker.stop()
    compare_with_clean_run(case, sweep_population)

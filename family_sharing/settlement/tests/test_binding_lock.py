"""A settlement against a revoke of its binding, on two real connections (issue 15): the revoke's
transaction holds its lock and commits first while the settlement is attempted; the settlement waits
for it (family_settlement locks the binding FOR SHARE, migration 0009), reads the committed status and
is refused. The interleaving is fixed by events and by pg_stat_activity, not by sleeping."""

import re
import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection, connections, transaction

from accounts.models import PersonalAccount
from accounts.tests.factories import ResidentFactory
from family_sharing import services as sharing
from family_sharing.migrations import __name__ as migrations_package
from family_sharing.models import Binding
from family_sharing.settlement import services
from family_sharing.settlement.models import Settlement
from family_sharing.settlement.sql import CREATE_SETTLE_FUNCTION
from portal.core.errors import ApplicationError

pytestmark = pytest.mark.django_db(transaction=True)

# A bound on how long to look for the settlement's lock wait; the test never asserts on time.
POLLS = 500


def _settle(staff: Any, son: Any, father: Any) -> services.SettlementResult:
    return services.settlement_create(
        actor=staff,
        sharer_card_number=son.card_number,
        beneficiary_card_number=father.card_number,
        category="medical_self_pay",
        amount_fen=5_000,
        description="",
        idempotency_key="race-1",
    )


def _race(change: Callable[[], None], settle: Callable[[], Any]) -> Any:
    """Runs `change` in a transaction held open on one connection, then `settle` on another; commits
    the change once the settlement waits on a lock (or has already finished: the bug) and returns
    the settlement's outcome (its result or its exception)."""
    changed, commit = threading.Event(), threading.Event()
    outcome: dict[str, Any] = {}

    def changer() -> None:
        try:
            with transaction.atomic():
                change()
                changed.set()
                commit.wait()
        finally:
            changed.set()
            connections.close_all()

    def settler() -> None:
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                outcome["pid"] = cursor.fetchone()[0]
            outcome["result"] = settle()
        except Exception as exc:  # noqa: BLE001 (the outcome is what the test looks at)
            outcome["result"] = exc
        finally:
            connections.close_all()

    first = threading.Thread(target=changer)
    first.start()
    changed.wait()
    second = threading.Thread(target=settler)
    second.start()
    waiting = False
    for _ in range(POLLS):
        if "result" in outcome:  # finished without waiting for the change
            break
        pid = outcome.get("pid")
        if pid is not None:
            with connection.cursor() as cursor:
                cursor.execute("SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s", [pid])
                row = cursor.fetchone()
            if row is not None and row[0] == "Lock":
                waiting = True
                break
        threading.Event().wait(0.01)
    commit.set()
    first.join()
    second.join()
    return waiting, outcome["result"]


def test_a_settlement_waits_for_a_revoke_in_flight_and_is_refused_once_it_commits(family, hospital_staff):
    # given an active binding whose sharer revokes it: the revoke's transaction is open, not committed
    son, father, binding = family
    sharer_user = ResidentFactory(person=son)
    # when a counter settles against it meanwhile, and the revoke commits first
    waited, result = _race(
        lambda: sharing.binding_revoke(actor=sharer_user, binding=binding),
        lambda: _settle(hospital_staff, son, father),
    )
    # then the settlement waited for the revoke, then was refused, and the balance is untouched
    assert waited
    assert isinstance(result, ApplicationError), result
    assert result.code == "binding_not_active"
    assert Binding.objects.get(pk=binding.pk).status == "revoked"
    assert PersonalAccount.objects.get(person=son).balance_fen == 100_000
    assert not Settlement.objects.exists()


def test_a_plain_update_of_the_status_also_stops_the_settlement(family, hospital_staff):
    """The lock is FOR SHARE, not FOR KEY SHARE: an UPDATE that took no FOR UPDATE first (an
    operator's statement, an admin save) takes only a NO KEY UPDATE lock, which KEY SHARE does not
    wait for."""
    son, father, binding = family

    def revoke_by_statement() -> None:
        with connection.cursor() as cursor:
            cursor.execute("UPDATE family_sharing_binding SET status = 'revoked' WHERE id = %s", [binding.pk])

    waited, result = _race(revoke_by_statement, lambda: _settle(hospital_staff, son, father))
    assert waited
    assert isinstance(result, ApplicationError), result
    assert result.code == "binding_not_active"
    assert PersonalAccount.objects.get(person=son).balance_fen == 100_000
    assert not Settlement.objects.exists()


def _body(create_sql: str) -> str:
    """The function's body: the text between its $fn$ quotes."""
    match = re.search(r"\$fn\$(.*)\$fn\$", create_sql, re.S)
    assert match is not None
    return match.group(1)


def test_the_installed_function_is_the_text_of_sql_py_and_of_the_latest_migration():
    from importlib import import_module

    migration = import_module(f"{migrations_package}.0010_settlement_sms_outbox")
    with connection.cursor() as cursor:
        cursor.execute("SELECT prosrc FROM pg_proc WHERE proname = 'family_settlement'")
        (installed,) = cursor.fetchone()
    assert installed == _body(CREATE_SETTLE_FUNCTION) == _body(migration.CREATE_SETTLE_FUNCTION)
    assert "FOR SHARE OF b" in installed and "INSERT INTO accounts_smsoutbox" in installed

"""Settlement under concurrency, crashes and a dead broker, with real PostgreSQL connections (not
the test transaction): the balance never goes below zero, one key debits once, and a failure leaves
nothing half-written."""

import re
import threading
import time
from collections import Counter

import pytest
from django.db import DatabaseError, connection, connections, transaction

from accounts.models import AccountEntry, Message, PersonalAccount
from family_sharing.settlement import services
from family_sharing.settlement.models import Settlement
from portal.core.errors import ApplicationError

pytestmark = pytest.mark.django_db(transaction=True)

THREADS = 20


def run_in_threads(work):
    """Runs work(i) in THREADS threads released together, each on its own database connection."""
    start = threading.Barrier(THREADS)
    results: list[object] = [None] * THREADS

    def worker(i):
        try:
            start.wait()
            results[i] = work(i)
        except Exception as exc:  # noqa: BLE001 (the outcome is what the test looks at)
            results[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def settle_kwargs(staff, son, father, amount_fen, key):
    return {
        "actor": staff,
        "sharer_card_number": son.card_number,
        "beneficiary_card_number": father.card_number,
        "category": "medical_self_pay",
        "amount_fen": amount_fen,
        "description": "",
        "idempotency_key": key,
    }


def ledger_consistent(account: PersonalAccount) -> bool:
    entries = list(AccountEntry.objects.filter(account=account).order_by("id"))
    running = 0
    for entry in entries:
        running += entry.amount_fen
        if entry.balance_after_fen != running or running < 0:
            return False
    return running == account.balance_fen


def test_twenty_concurrent_settlements_never_drive_the_balance_below_zero(family, hospital_staff):
    # given 1,000.00 yuan and twenty counters settling 70.00 yuan each at the same moment
    son, father, _ = family
    # when
    results = run_in_threads(
        lambda i: services.settlement_create(**settle_kwargs(hospital_staff, son, father, 7_000, f"k{i}"))
    )
    # then exactly 14 fit (980.00 yuan), the other 6 are refused for the balance, and nothing else
    outcomes = Counter(
        "settled" if isinstance(r, services.SettlementResult) else getattr(r, "code", repr(r))
        for r in results
    )
    assert outcomes == {"settled": 14, "insufficient_balance": 6}
    account = PersonalAccount.objects.get(person=son)
    assert account.balance_fen == 2_000
    assert ledger_consistent(account)
    assert Settlement.objects.count() == 14


def test_twenty_simultaneous_requests_with_one_key_debit_once(family, hospital_staff):
    son, father, _ = family
    results = run_in_threads(
        lambda i: services.settlement_create(**settle_kwargs(hospital_staff, son, father, 5_000, "same-key"))
    )
    assert all(isinstance(r, services.SettlementResult) for r in results), results
    assert len({r.id for r in results}) == 1
    assert sum(not r.replayed for r in results) == 1
    assert PersonalAccount.objects.get(person=son).balance_fen == 95_000
    assert Settlement.objects.count() == 1


def test_concurrent_settlements_cannot_pass_the_monthly_cap_together(family, hospital_staff):
    son, father, binding = family
    binding.monthly_limit_fen = 30_000
    binding.save()
    results = run_in_threads(
        lambda i: services.settlement_create(**settle_kwargs(hospital_staff, son, father, 7_000, f"c{i}"))
    )
    settled = [r for r in results if isinstance(r, services.SettlementResult)]
    refused = [r for r in results if isinstance(r, ApplicationError)]
    assert len(settled) == 4  # 280.00 of a 300.00 cap
    assert {r.code for r in refused} == {"binding_limit_exceeded"}
    assert PersonalAccount.objects.get(person=son).balance_fen == 100_000 - 28_000


def test_an_exception_after_the_debit_inside_the_transaction_leaves_nothing_written(
    family, hospital_staff, django_capture_on_commit_callbacks
):
    # given a settlement that the SQL function has completed (balance, entry, settlement, message)
    son, father, _ = family
    # when the process fails after it, inside the transaction
    with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(RuntimeError):
        with transaction.atomic():
            result = services.settlement_create(**settle_kwargs(hospital_staff, son, father, 5_000, "crash"))
            assert PersonalAccount.objects.get(person=son).balance_fen == 95_000
            raise RuntimeError("the web process dies here")
    # then nothing of it is left, and no SMS went out
    assert result.amount_fen == 5_000
    assert callbacks == []
    assert PersonalAccount.objects.get(person=son).balance_fen == 100_000
    assert not Settlement.objects.exists()
    assert not AccountEntry.objects.filter(kind="family_settlement").exists()
    assert not Message.objects.exists()


def test_a_failure_of_the_last_write_inside_the_function_undoes_the_debit(
    family, hospital_staff, monkeypatch
):
    # given the message insert, the function's last write after the debit, fails (subject too long)
    son, father, _ = family
    monkeypatch.setattr(services, "SETTLED_SUBJECT", "长" * 101)
    # when
    with pytest.raises(DatabaseError):
        services.settlement_create(**settle_kwargs(hospital_staff, son, father, 5_000, "half"))
    # then the debit, the entry and the settlement are gone with it
    assert PersonalAccount.objects.get(person=son).balance_fen == 100_000
    assert not Settlement.objects.exists()
    assert AccountEntry.objects.filter(account__person=son).count() == 1


def test_a_killed_backend_mid_settlement_leaves_nothing_half_written(family, hospital_staff):
    # given a settlement stuck behind another transaction's lock on the sharer's account
    son, father, _ = family
    account = PersonalAccount.objects.get(person=son)
    started = threading.Event()
    outcome: list[object] = []

    def counter():
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                outcome.append(cursor.fetchone()[0])
            started.set()
            services.settlement_create(**settle_kwargs(hospital_staff, son, father, 5_000, "killed"))
            outcome.append("settled")
        except Exception as exc:  # noqa: BLE001
            outcome.append(exc)
        finally:
            connections.close_all()

    with transaction.atomic():
        PersonalAccount.objects.select_for_update().get(pk=account.pk)
        thread = threading.Thread(target=counter)
        thread.start()
        started.wait(5)
        # when the web process's database connection dies while it waits inside the function
        with connection.cursor() as cursor:
            for _ in range(500):
                cursor.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE pid = %s AND wait_event_type = 'Lock'",
                    [outcome[0]],
                )
                if cursor.fetchone():
                    break
                time.sleep(0.01)
            else:
                pytest.fail("the settlement never waited for the account's lock")
    thread.join(10)
    # then the request failed and wrote nothing
    assert isinstance(outcome[-1], Exception)
    assert PersonalAccount.objects.get(pk=account.pk).balance_fen == 100_000
    assert not Settlement.objects.exists()


def test_settlement_works_with_the_redis_broker_down(api, family, hospital_staff, settings):
    # given a broker that does not answer (and tasks no longer run inline)
    from portal.celery import app

    son, father, _ = family
    old = app.conf.broker_url, app.conf.task_always_eager
    app.conf.broker_url = "redis://127.0.0.1:1/0"
    app.conf.task_always_eager = False
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"
    try:
        api.force_authenticate(hospital_staff)
        payload = {
            "sharer_card_number": son.card_number,
            "beneficiary_card_number": father.card_number,
            "category": "medical_self_pay",
            "amount_fen": 100,
            "description": "",
        }
        # when a counter settles
        response = api.post("/api/v1/settlements/", payload, format="json", HTTP_IDEMPOTENCY_KEY="redis-down")
    finally:
        app.conf.broker_url, app.conf.task_always_eager = old
    # then it is settled and the sharer's in-app message is stored (PostgreSQL only)
    assert response.status_code == 201, response.json()
    assert Message.objects.filter(person=son).count() == 1


def test_a_settlement_is_one_statement_and_a_retry_one(
    family, hospital_staff, django_assert_num_queries, monkeypatch
):
    # given a counter outside any transaction of its own (as the API and the pages call it), and the
    # SMS copy left to the worker that delivers it after commit (tests run Celery inline)
    monkeypatch.setattr("accounts.outbox._dispatch", lambda ids, urgent: None)
    son, father, _ = family
    kwargs = settle_kwargs(hospital_staff, son, father, 100, "count")
    # then one call of the settlement function settles, and one answers the retry
    with django_assert_num_queries(1):
        services.settlement_create(**kwargs)
    with django_assert_num_queries(1):
        assert services.settlement_create(**kwargs).replayed


def test_a_refusal_is_one_statement_too(family, hospital_staff, django_assert_num_queries):
    son, father, _ = family
    with django_assert_num_queries(1), pytest.raises(ApplicationError) as refused:
        services.settlement_create(**settle_kwargs(hospital_staff, son, father, 10_000_000, "too much"))
    assert refused.value.codes() == ["insufficient_balance"]


def test_the_function_returns_only_the_codes_of_the_services_rules():
    # the rules are written twice, readably in services.RULES and executably in the SQL function
    from family_sharing.settlement import sql

    codes = set(re.findall(r"'([a-z_]+)'::text;", sql.CREATE_SETTLE_FUNCTION))
    assert codes == {rule.value for rule in services.RULES}


def test_the_call_casts_each_argument_to_the_functions_own_type():
    # the call is prepared once per connection: each cast must name the function's parameter type,
    # or PostgreSQL would look for another function
    from family_sharing.settlement import sql

    casts = re.findall(r"%s::(\w+)", sql.SETTLE_CALL)
    declared = sql.SETTLE_SIGNATURE.removeprefix("family_settlement(").removesuffix(")").split(", ")
    assert casts == declared


def test_a_settlement_runs_as_a_statement_prepared_once_per_connection(family, hospital_staff):
    son, father, _ = family
    for key in ("first", "second"):
        services.settlement_create(**settle_kwargs(hospital_staff, son, father, 100, key))
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s", ["%family_settlement(%"]
        )
        assert cursor.fetchone() == (1,)

"""The two database helpers of the hot paths (decision record 0014): statements prepared once per
connection, and a pool check that makes a round trip only when a connection may be dead."""

import psycopg
import pytest
from django.db import IntegrityError, connection

from portal.core.db import prepared_cursor
from portal.core.pool import check_quietly

pytestmark = pytest.mark.django_db


def _prepared_texts() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [row[0] for row in cursor.fetchall()]


def test_a_statement_is_prepared_on_first_use_and_prepared_once_per_connection():
    text = "SELECT %s::bigint + 1"
    for value in (1, 2, 3):
        with prepared_cursor() as cursor:
            cursor.execute(text, [value])
            assert cursor.fetchone() == (value + 1,)
    prepared = [t for t in _prepared_texts() if "$1::bigint + 1" in t]
    assert prepared == ["SELECT $1::bigint + 1"]


def test_a_prepared_statement_raises_django_errors_so_the_services_catch_them():
    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMPORARY TABLE once (key text UNIQUE)")
    with prepared_cursor() as cursor:
        cursor.execute("INSERT INTO once VALUES (%s::text)", ["k"])
        with pytest.raises(IntegrityError):
            cursor.execute("INSERT INTO once VALUES (%s::text)", ["k"])


def _connect() -> psycopg.Connection:
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    return psycopg.connect(**params, autocommit=True)


@pytest.mark.django_db(transaction=True)
def test_a_healthy_pooled_connection_passes_and_stays_usable():
    with _connect() as conn:
        check_quietly(conn)
        assert conn.execute("SELECT 1").fetchone() == (1,)


@pytest.mark.django_db(transaction=True)
def test_a_connection_whose_backend_was_terminated_fails_the_check():
    with _connect() as victim, _connect() as admin:
        pid = victim.info.backend_pid
        admin.execute("SELECT pg_terminate_backend(%s)", [pid])
        for _ in range(100):  # the server closes the socket when the backend has exited
            if not admin.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", [pid]).fetchone():
                break
        with pytest.raises(psycopg.OperationalError):
            check_quietly(victim)


def test_a_closed_connection_fails_the_check():
    conn = _connect()
    conn.close()
    with pytest.raises(psycopg.OperationalError):
        check_quietly(conn)

"""The health check of a pooled database connection (settings: DATABASES OPTIONS pool "check";
decision record 0014). Imported by the settings, so it imports nothing of Django.

Django's default with CONN_HEALTH_CHECKS is psycopg_pool's `check_connection`: an empty query, one
round trip to PostgreSQL every time a request takes a connection from the pool — on the settlement
API a third of its round trips. `check_quietly` asks the socket instead: a pooled connection is idle,
so the server has nothing to say on it unless it is closing it (a restart, a terminated backend,
an idle timeout) or sent a notice. Only then does it make the round trip, and a dead connection
fails it, so that the pool discards it and hands out another."""

import select

import psycopg
from psycopg import pq
from psycopg_pool import ConnectionPool


def check_quietly(conn: psycopg.Connection) -> None:
    """Raises if `conn` is no longer usable; costs one poll of its socket when nothing happened."""
    if conn.closed or conn.pgconn.status != pq.ConnStatus.OK:
        raise psycopg.OperationalError("the pooled connection is closed")
    readable, _, _ = select.select([conn.pgconn.socket], [], [], 0)
    if readable:
        ConnectionPool.check_connection(conn)

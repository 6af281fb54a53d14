"""Prepared statements for the few statements that run on every request of a hot path (decision
record 0014): the bearer-token look-up and the settlement function.

Django sends queries with client-side binding (the parameters are quoted into the text), so
PostgreSQL parses and plans every statement again; for a short statement that is most of its cost.
`prepared_cursor()` gives a cursor of the same Django connection whose statements are sent with
server-side binding and prepared on first use: PostgreSQL plans each text once per connection (the
pooled connections live for the life of the worker) and then only binds and executes it. It is
Django's own cursor wrapper around it, so execute wrappers, query logging and error translation
behave as for `connection.cursor()`. Its texts must cast every parameter (`%s::bigint`), so that
one prepared statement serves every value."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Self

import psycopg
from django.db import connection
from django.db.backends.utils import CursorWrapper
from psycopg.abc import Params


class _PreparingCursor(psycopg.Cursor[Any]):
    """psycopg's server-side binding cursor that prepares every statement on first use. psycopg
    prepares only on a connection with a `prepare_threshold` (Django's default is None); the
    settings give one so high that nothing but this cursor's explicit `prepare=True` reaches it."""

    def execute(
        self,
        query: Any,
        params: Params | None = None,
        *,
        prepare: bool | None = None,
        binary: bool | None = None,
    ) -> Self:
        return super().execute(query, params, prepare=True, binary=binary)


@contextmanager
def prepared_cursor() -> Iterator[CursorWrapper]:
    """`connection.cursor()`, whose statements are prepared once per database connection."""
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    with connection.wrap_database_errors:
        raw = _PreparingCursor(connection.connection)
    wrapped: CursorWrapper = connection._prepare_cursor(raw)  # type: ignore[attr-defined]  # as cursor() does
    with wrapped as cursor:
        yield cursor

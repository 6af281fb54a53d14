"""Monthly partitions of family_sharing_contribution (decision record 0008).

A row can only be stored when its month's partition exists; the import (and the benchmark, and the
test helpers) call `contribution_partitions_ensure` with the months they are about to write. A
partition is created once per month of data: the first file of a new month takes a short lock on
the parent table; every later file finds the partition there."""

import datetime as dt
from collections.abc import Iterable

from django.db import connection

TABLE = "family_sharing_contribution"


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def next_month(day: dt.date) -> dt.date:
    return dt.date(day.year + day.month // 12, day.month % 12 + 1, 1)


def partition_name(period: dt.date) -> str:
    return f"{TABLE}_p{period:%Y%m}"


def contribution_partitions_ensure(periods: Iterable[dt.date]) -> list[str]:
    """Creates the monthly partitions of these periods that do not exist yet; returns their names."""
    wanted = sorted({month_start(p) for p in periods})
    if not wanted:
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = %s::regclass",
            [TABLE],
        )
        existing = {row[0] for row in cursor.fetchall()}
        created = []
        for period in wanted:
            name = partition_name(period)
            if name in existing:
                continue
            # Names and bounds come from dates formatted here, never from input text.
            cursor.execute(
                f"CREATE TABLE IF NOT EXISTS {name} PARTITION OF {TABLE} "
                f"FOR VALUES FROM ('{period:%Y-%m-%d}') TO ('{next_month(period):%Y-%m-%d}')"
            )
            created.append(name)
    return created

"""Helpers for contribution tests: valid USCCs, employers and declared periods."""

import datetime as dt
import itertools

from stdnum.cn import uscc

from accounts.models import Employer, Person
from family_sharing.contributions.models import Contribution
from family_sharing.contributions.partitions import contribution_partitions_ensure

_serial = itertools.count(1)


def make_uscc(n: int | None = None) -> str:
    body = f"9111000060{(next(_serial) if n is None else n):07d}"
    return body + uscc.calc_check_digit(body)


def employer(name: str = "北京示例科技有限公司", code: str | None = None) -> Employer:
    return Employer.objects.create(uscc=code or make_uscc(), name=name)


def period_of(text: str) -> dt.date:
    year, month = text.split("-")
    return dt.date(int(year), int(month), 1)


def declare(
    person: Person,
    period: str,
    *,
    by: Employer,
    due_fen: int = 60_000,
    paid_fen: int | None = None,
    due_date: dt.date | None = None,
) -> Contribution:
    """One declared period; paid in full unless told otherwise; due on the 15th of the next month."""
    start = period_of(period)
    if due_date is None:
        nxt = dt.date(start.year + start.month // 12, start.month % 12 + 1, 15)
        due_date = nxt
    contribution_partitions_ensure([start])
    return Contribution.objects.create(
        employer=by,
        person=person,
        period=start,
        due_fen=due_fen,
        paid_fen=due_fen if paid_fen is None else paid_fen,
        due_date=due_date,
    )

"""Dates are judged in the bureau's time zone (Asia/Shanghai), never the server's."""

import datetime as dt
import re

from django.utils import timezone

# A calendar month as the pages (<input type=month>), the API (`?month=`) and the commands take it.
# Years 1000-9999 only: a year such as 0000 is no date at all (Python's dates start at year 1).
MONTH_PATTERN = r"^([1-9][0-9]{3})-(0[1-9]|1[0-2])$"
_MONTH = re.compile(MONTH_PATTERN)


def now() -> dt.datetime:
    return timezone.now()


def today() -> dt.date:
    return timezone.localdate()


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day `months` later, clamped to the month's last day (2024-02-29 + 12 -> 2025-02-28)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    for candidate in (day.day, 30, 29, 28):
        try:
            return dt.date(year, month, min(day.day, candidate))
        except ValueError:
            continue
    raise ValueError(day)


def month_parse(text: str) -> dt.date | None:
    """'YYYY-MM' -> the first day of that month; None for anything else (callers answer
    `month_format`)."""
    match = _MONTH.match(text.strip())
    return None if match is None else dt.date(int(match[1]), int(match[2]), 1)

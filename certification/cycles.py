"""A pensioner's certification cycle, computed from the last certification (API.md section 7): it
runs from the last certification to the same day 12 months later; `due` in its last 30 days (the
end day included), `overdue` after it. Reminders go 30 and 7 days before the end."""

import datetime as dt
from dataclasses import dataclass

from accounts.models import Person
from portal.core.time import add_months

CYCLE_MONTHS = 12
DUE_DAYS = 30
THRESHOLDS = (30, 7)


class CycleStatus:
    CERTIFIED = "certified"
    DUE = "due"
    OVERDUE = "overdue"
    NOT_APPLICABLE = "not_applicable"


@dataclass(frozen=True)
class Cycle:
    pensioner: bool
    start: dt.date | None
    end: dt.date | None
    status: str

    def days_left(self, on: dt.date) -> int | None:
        return (self.end - on).days if self.end else None


def cycle_of(*, is_pensioner: bool, last_certified_on: dt.date | None, on: dt.date) -> Cycle:
    """A pensioner never certified has no cycle yet and is `due` (certify now)."""
    if not is_pensioner:
        return Cycle(False, None, None, CycleStatus.NOT_APPLICABLE)
    if last_certified_on is None:
        return Cycle(True, None, None, CycleStatus.DUE)
    end = add_months(last_certified_on, CYCLE_MONTHS)
    if on > end:
        status = CycleStatus.OVERDUE
    elif on >= end - dt.timedelta(days=DUE_DAYS):
        status = CycleStatus.DUE
    else:
        status = CycleStatus.CERTIFIED
    return Cycle(True, last_certified_on, end, status)


def person_cycle(person: Person, *, on: dt.date) -> Cycle:
    return cycle_of(is_pensioner=person.is_pensioner, last_certified_on=person.last_certified_on, on=on)


def reminder_threshold(days_left: int) -> int | None:
    """Which reminder is due with this many days left: 30 from 30 to 8 days, 7 from 7 to 0."""
    if 7 < days_left <= 30:
        return 30
    if 0 <= days_left <= 7:
        return 7
    return None


def back_pay_months(*, suspended_on: dt.date, certified_on: dt.date) -> int:
    """The months withheld: from the month of suspension up to the month before the certification
    (payment resumes with the certification's own month). Same month: 0."""
    months = (certified_on.year * 12 + certified_on.month) - (suspended_on.year * 12 + suspended_on.month)
    return max(months, 0)

"""Reads of the contributions capability: what /me/ says about a resident's status, and the
amounts and late fee of an employer arrears case."""

import datetime as dt
from dataclasses import dataclass

from django.db.models import F

from accounts.models import Person
from family_sharing.contributions.latefee import late_days, late_fee_fen
from family_sharing.contributions.models import ArrearsCase, Contribution, StatusChange
from family_sharing.contributions.services import HOTLINE
from family_sharing.contributions.sweep import sweep_window
from portal.core.masking import mask_name
from portal.core.time import today


@dataclass(frozen=True)
class UnpaidPeriod:
    period: dt.date
    employer_name: str
    unpaid_fen: int
    due_date: dt.date


@dataclass(frozen=True)
class StatusExplanation:
    """Plain facts for the resident's own page; the template says them in words."""

    status: str
    unpaid: list[UnpaidPeriod]
    employers: list[str]  # whom to contact about arrears
    undeclared: list[str]  # YYYY-MM, for an interruption
    changed_on: dt.date | None
    hotline: str = HOTLINE


def status_explanation_get(*, person: Person, as_of: dt.date | None = None) -> StatusExplanation:
    """For the person themself (the caller passes the signed-in resident's own Person)."""
    as_of = as_of or today()
    last = StatusChange.objects.filter(person=person).order_by("-created_at", "-id").first()
    changed_on = last.as_of if last is not None and last.to_status == person.status else None
    unpaid: list[UnpaidPeriod] = []
    undeclared: list[str] = []
    if person.status == "arrears":
        rows = (
            Contribution.objects.filter(person=person, paid_fen__lt=F("due_fen"), due_date__lt=as_of)
            .select_related("employer")
            .order_by("period", "employer__name")
        )
        unpaid = [UnpaidPeriod(c.period, c.employer.name, c.unpaid_fen, c.due_date) for c in rows]
    elif person.status == "interrupted":
        if last is not None and last.to_status == "interrupted":
            undeclared = list(last.cause_periods)
        else:
            undeclared = sweep_window(as_of)[2]
    employers = sorted({u.employer_name for u in unpaid})
    return StatusExplanation(person.status, unpaid, employers, undeclared, changed_on)


@dataclass(frozen=True)
class CaseLine:
    person_name_masked: str
    period: dt.date
    due_date: dt.date
    unpaid_fen: int
    settled_on: dt.date | None
    days_late: int
    late_fee_fen: int


@dataclass(frozen=True)
class CaseFees:
    as_of: dt.date
    lines: list[CaseLine]
    unpaid_fen: int  # still unpaid now
    late_fee_fen: int


def arrears_case_fees(*, case: ArrearsCase, as_of: dt.date | None = None) -> CaseFees:
    """Per period: the amount unpaid when the case opened and its 第86条 late fee up to the day it
    was paid in full, or up to `as_of` (a closed case: its closing day) while it is unpaid."""
    as_of = case.closed_on or as_of or today()
    lines = []
    for item in case.items.select_related("person").order_by("period", "person_id"):
        until = item.settled_on or as_of
        lines.append(
            CaseLine(
                mask_name(item.person.name),
                item.period,
                item.due_date,
                item.unpaid_fen,
                item.settled_on,
                late_days(due_date=item.due_date, until=until),
                late_fee_fen(unpaid_fen=item.unpaid_fen, due_date=item.due_date, until=until),
            )
        )
    return CaseFees(
        as_of=as_of,
        lines=lines,
        unpaid_fen=sum(line.unpaid_fen for line in lines if line.settled_on is None),
        late_fee_fen=sum(line.late_fee_fen for line in lines),
    )

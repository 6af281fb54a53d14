"""Reads of certification: where a person stands, their history, open home visits and sessions."""

import datetime as dt
import uuid
from dataclasses import dataclass

from django.db.models import QuerySet

from accounts.models import Person
from certification.cycles import Cycle, person_cycle
from certification.models import (
    OPEN_VISIT,
    Certification,
    CertificationSession,
    HomeVisit,
    PaymentStatus,
    PensionPayment,
    SessionStatus,
)
from portal.core.time import today


@dataclass(frozen=True)
class Standing:
    """GET /api/v1/certification/ (API.md section 2), plus what the page shows beside it."""

    cycle: Cycle
    last_certified_at: dt.datetime | None
    pension_status: str | None  # paying | suspended; None when not a pensioner
    payment: PensionPayment | None
    on: dt.date

    @property
    def days_left(self) -> int | None:
        return self.cycle.days_left(self.on)


def standing_get(*, person: Person, on: dt.date | None = None) -> Standing:
    day = on or today()
    cycle = person_cycle(person, on=day)
    last = (
        Certification.objects.filter(person=person, result="pass")
        .order_by("-certified_at")
        .values_list("certified_at", flat=True)
        .first()
    )
    payment = PensionPayment.objects.filter(person=person).first()
    status = None
    if person.is_pensioner:
        status = payment.status if payment is not None else PaymentStatus.PAYING
    return Standing(cycle=cycle, last_certified_at=last, pension_status=status, payment=payment, on=day)


def certification_history(*, person: Person) -> QuerySet[Certification]:
    return (
        Certification.objects.filter(person=person).select_related("agent__person").order_by("-certified_at")
    )


def home_visit_open(*, person: Person) -> HomeVisit | None:
    return (
        HomeVisit.objects.filter(person=person, status__in=OPEN_VISIT)
        .select_related("visit_staff", "requested_by__person")
        .first()
    )


def home_visit_get(*, person: Person, visit_id: uuid.UUID | str) -> HomeVisit | None:
    """One of this person's own home visits (None for anyone else's)."""
    return HomeVisit.objects.filter(pk=visit_id, person=person).first()


def home_visit_list(*, person: Person) -> QuerySet[HomeVisit]:
    return (
        HomeVisit.objects.filter(person=person).select_related("requested_by__person").order_by("-created_at")
    )


def session_pending(*, person: Person) -> CertificationSession | None:
    return (
        CertificationSession.objects.filter(person=person, status=SessionStatus.PENDING)
        .select_related("started_by__person")
        .first()
    )

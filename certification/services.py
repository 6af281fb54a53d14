"""Writes of certification: recording a result from any channel (with the pension resumed and the
months paid back when it was suspended), certification sessions started by an agent, offline
records by staff. Every write is atomic; messages go out after commit. Home visits: home_visits.py;
channel callbacks: callbacks.py; the periodic run: cycle_run.py."""

import datetime as dt
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.delegations.models import Delegation, Scope
from accounts.delegations.services import agent_name, delegation_act
from accounts.models import Person, User
from accounts.notifications import message_send
from accounts.selectors import staff_serves
from certification.channels import channel_get
from certification.cycles import CYCLE_MONTHS, back_pay_months
from certification.errors import CertificationError as E
from certification.models import (
    Certification,
    CertificationSession,
    Method,
    PaymentEvent,
    PaymentEventKind,
    PaymentStatus,
    PensionPayment,
    Result,
    SessionStatus,
)
from portal.core.errors import CONFLICT, FORBIDDEN, INVALID, REFUSED, ApplicationError
from portal.core.time import add_months


@dataclass(frozen=True)
class Recorded:
    certification: Certification
    created: bool  # False: the same channel reference was recorded before (nothing changed)


def _local_day(moment: dt.datetime) -> dt.date:
    return timezone.localtime(moment).date()


def _same(existing: Certification, person: Person, result: str, method: str) -> bool:
    return existing.person_id == person.pk and existing.result == result and existing.method == method


def _resume(person: Person, certification: Certification, day: dt.date) -> int | None:
    """A suspended pension resumes from the certification's day; the withheld months are paid back."""
    payment = PensionPayment.objects.select_for_update().filter(person=person).first()
    if payment is None or payment.status != PaymentStatus.SUSPENDED or payment.suspended_on is None:
        return None
    months = back_pay_months(suspended_on=payment.suspended_on, certified_on=day)
    payment.status, payment.resumed_on, payment.back_pay_months = PaymentStatus.PAYING, day, months
    payment.save(update_fields=["status", "resumed_on", "back_pay_months", "updated_at"])
    PaymentEvent.objects.create(
        person=person,
        kind=PaymentEventKind.RESUMED,
        on=day,
        back_pay_months=months,
        certification=certification,
    )
    return months


def _tell(person: Person, certification: Certification, day: dt.date, months: int | None) -> None:
    if certification.result == Result.PASS:
        end = add_months(day, CYCLE_MONTHS)
        body = f"您已于{day:%Y-%m-%d}通过养老金领取资格认证，下次请在{end:%Y-%m-%d}前认证。"
        if months is not None:
            body += f"养老金已恢复发放，暂停期间的{months}个月将予补发。"
        message_send(person=person, subject="养老金资格认证通过", body=body)
    else:
        message_send(
            person=person,
            subject="养老金资格认证未通过",
            body="本次养老金资格认证未通过。请重新刷脸认证，或带身份证到社保经办窗口、社区服务中心办理。",
        )


def _finish_sessions(person: Person, certification: Certification) -> CertificationSession | None:
    session = (
        CertificationSession.objects.select_for_update(of=("self",))
        .select_related("started_by__person")
        .filter(person=person, status=SessionStatus.PENDING)
        .first()
    )
    if session is None:
        return None
    passed = certification.result == Result.PASS
    session.status = SessionStatus.CERTIFIED if passed else SessionStatus.FAILED
    session.certification, session.ended_at = certification, timezone.now()
    session.save(update_fields=["status", "certification", "ended_at"])
    agent = session.started_by.person
    if agent is not None:
        text = "已通过" if passed else "未通过"
        message_send(
            person=agent,
            subject="代为发起的资格认证有结果了",
            body=f"您为{person.name_masked}发起的养老金资格认证{text}。",
        )
    return session


def certification_record(
    *,
    person: Person,
    channel: str,
    method: str,
    result: str,
    certified_at: dt.datetime,
    reference: str = "",
    recorded_by: User | None = None,
    documents_seen: str = "",
) -> Recorded:
    """Records one result. Runs inside the caller's transaction (callers are atomic). A pass moves
    the cycle (last_certified_on, never backwards) and resumes a suspended pension with back pay."""
    if not person.is_pensioner:
        raise ApplicationError.of(REFUSED, E.NOT_PENSIONER)
    if result not in (Result.PASS, Result.FAIL):
        raise ApplicationError.of(INVALID, E.RESULT_INVALID, field="result")
    person = Person.objects.select_for_update().get(pk=person.pk)  # one result at a time per person
    if reference:
        existing = Certification.objects.filter(channel=channel, reference=reference).first()
        if existing is not None:
            if not _same(existing, person, result, method):
                raise ApplicationError.of(CONFLICT, E.REFERENCE_REUSED, field="reference")
            return Recorded(existing, created=False)
    certification = Certification(
        person=person,
        channel=channel,
        method=method,
        result=result,
        reference=reference,
        certified_at=certified_at,
        recorded_by=recorded_by,
        documents_seen=documents_seen,
    )
    try:
        with transaction.atomic():
            certification.save()
    except IntegrityError as exc:  # the same reference, concurrently, for another person
        raise ApplicationError.of(CONFLICT, E.REFERENCE_REUSED, field="reference") from exc
    day = _local_day(certified_at)
    months = None
    if result == Result.PASS:
        if person.last_certified_on is None or person.last_certified_on < day:
            Person.objects.filter(pk=person.pk).update(last_certified_on=day)
        months = _resume(person, certification, day)
    session = _finish_sessions(person, certification)
    if session is not None or months is not None:
        certification.agent = session.started_by if session else None
        certification.delegation = session.delegation if session else None
        certification.back_pay_months = months
        certification.save(update_fields=["agent", "delegation", "back_pay_months"])
    _tell(person, certification, day, months)
    return Recorded(certification, created=True)


@transaction.atomic
def certification_record_offline(
    *,
    actor: User,
    person: Person,
    channel: str,
    result: str,
    documents_seen: str,
    certified_at: dt.datetime | None = None,
) -> Certification:
    """A bureau window or community centre records an in-person certification, with the documents seen."""
    config = channel_get(channel)
    if config is None or config.online or channel == "home_visit":
        raise ApplicationError.of(INVALID, E.CHANNEL_NOT_OFFLINE, field="channel")
    if not staff_serves(staff=actor, person=person):
        raise ApplicationError.of(FORBIDDEN, E.NOT_ALLOWED)
    if not documents_seen.strip():
        raise ApplicationError.of(INVALID, E.DOCUMENTS_REQUIRED, field="documents_seen")
    return certification_record(
        person=person,
        channel=channel,
        method=Method.IN_PERSON,
        result=result,
        certified_at=certified_at or timezone.now(),
        recorded_by=actor,
        documents_seen=documents_seen.strip(),
    ).certification


@transaction.atomic
def certification_session_start(*, actor: User, delegation: Delegation) -> CertificationSession:
    """An agent with `certify` starts the principal's certification. The principal is told to do the
    face check on an online channel; the session completes when that channel's callback arrives.
    Starting again while one is pending returns the pending one."""
    delegation_act(actor=actor, delegation=delegation, scope=Scope.CERTIFY, action="certification_start")
    principal = Person.objects.select_for_update().get(pk=delegation.principal_id)
    if not principal.is_pensioner:
        raise ApplicationError.of(REFUSED, E.NOT_PENSIONER)
    pending = CertificationSession.objects.filter(person=principal, status=SessionStatus.PENDING).first()
    if pending is not None:
        return pending
    session = CertificationSession.objects.create(person=principal, started_by=actor, delegation=delegation)
    message_send(
        person=principal,
        subject="亲属为您发起了养老金资格认证",
        body=f"{agent_name(actor)}为您发起了养老金资格认证。请您本人用支付宝、微信或掌上12333完成刷脸认证。",
    )
    return session

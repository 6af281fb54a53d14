"""Home-visit certification (上门认证): a resident asks (mobility, long hospital stay, living
elsewhere) with documents, or a relative asks for them under a `certify` delegation; bureau staff
schedule a date and a visitor; the visit's outcome certifies or not. requested → scheduled →
certified | failed, and requested/scheduled → cancelled. Any other move is 409 `invalid_transition`.
Each move writes a HomeVisitEvent in the same transaction."""

import datetime as dt
from collections.abc import Sequence

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.delegations.models import Delegation, Scope
from accounts.delegations.services import agent_name, delegation_act
from accounts.models import Person, Role, User
from accounts.notifications import message_send
from accounts.selectors import staff_serves
from certification.errors import CertificationError as E
from certification.models import (
    HomeVisit,
    HomeVisitDocument,
    HomeVisitEvent,
    HomeVisitReason,
    HomeVisitStatus,
    Method,
    Result,
)
from certification.services import certification_record
from portal.core.errors import CONFLICT, FORBIDDEN, INVALID, REFUSED, ApplicationError, Reason
from portal.core.time import today
from portal.core.uploads import UploadProblem, refused_when_storage_full, upload_check

V = HomeVisitStatus
ALLOWED: dict[str, set[str]] = {
    V.REQUESTED: {V.SCHEDULED, V.CANCELLED},
    V.SCHEDULED: {V.CERTIFIED, V.FAILED, V.CANCELLED},
}
MAX_DOCUMENTS = 5


def _move(visit: HomeVisit, to: str, *, actor: User | None) -> None:
    if to not in ALLOWED.get(visit.status, set()):
        raise ApplicationError.of(CONFLICT, E.INVALID_TRANSITION)
    HomeVisitEvent.objects.create(visit=visit, from_status=visit.status, to_status=to, actor=actor)
    visit.status = to


def _lock(visit: HomeVisit) -> HomeVisit:
    return HomeVisit.objects.select_for_update().select_related("person").get(pk=visit.pk)


def _request(
    *,
    person: Person,
    actor: User,
    delegation: Delegation | None,
    reason: str,
    address: str,
    note: str,
    documents: Sequence[UploadedFile],
) -> HomeVisit:
    if not person.is_pensioner:
        raise ApplicationError.of(REFUSED, E.NOT_PENSIONER)
    problems: list[Reason] = []
    if reason not in HomeVisitReason.values:
        problems.append(E.VISIT_REASON_UNKNOWN.reason("reason"))
    if not documents:
        problems.append(E.VISIT_DOCUMENT_REQUIRED.reason("documents"))
    checked = []
    for file in list(documents)[:MAX_DOCUMENTS]:
        content_type, problem = upload_check(file)
        if problem is not None:
            code = E.UPLOAD_TOO_LARGE if problem is UploadProblem.SIZE else E.UPLOAD_TYPE
            problems.append(code.reason("documents"))
            break
        checked.append((file, content_type))
    if problems:
        raise ApplicationError(INVALID, problems)
    try:
        with transaction.atomic():
            visit = HomeVisit.objects.create(
                person=person,
                requested_by=actor,
                delegation=delegation,
                reason=reason,
                address=address.strip(),
                note=note.strip(),
            )
    except IntegrityError as exc:
        raise ApplicationError.of(CONFLICT, E.VISIT_OPEN) from exc
    HomeVisitEvent.objects.create(visit=visit, to_status=V.REQUESTED, actor=actor)
    with refused_when_storage_full():  # 507 storage_full: no file kept, the request rolled back
        for file, content_type in checked:
            HomeVisitDocument.objects.create(
                visit=visit, file=file, content_type=content_type, size=file.size or 0
            )
    return visit


@transaction.atomic
def home_visit_request(
    *, actor: User, reason: str, address: str, note: str, documents: Sequence[UploadedFile]
) -> HomeVisit:
    """The pensioner asks for a home visit for themself, with at least one document."""
    if actor.person is None:
        raise ApplicationError(FORBIDDEN)
    return _request(
        person=actor.person,
        actor=actor,
        delegation=None,
        reason=reason,
        address=address,
        note=note,
        documents=documents,
    )


@transaction.atomic
def home_visit_request_for(
    *,
    actor: User,
    delegation: Delegation,
    reason: str,
    address: str,
    note: str,
    documents: Sequence[UploadedFile],
) -> HomeVisit:
    """An agent holding `certify` asks for a home visit for the principal: recorded as an act under
    the delegation (403 `permission_denied` beyond it) and told to the principal, who sees and may
    cancel it on /certification/. A refused request records no act."""
    delegation_act(
        actor=actor,
        delegation=delegation,
        scope=Scope.CERTIFY,
        action="home_visit_request",
        detail=str(HomeVisitReason(reason).label) if reason in HomeVisitReason.values else "",
    )
    principal = Person.objects.get(pk=delegation.principal_id)
    visit = _request(
        person=principal,
        actor=actor,
        delegation=delegation,
        reason=reason,
        address=address,
        note=note,
        documents=documents,
    )
    message_send(
        person=principal,
        subject="亲属为您申请了上门认证",
        body=f"{agent_name(actor)}为您申请了养老金资格上门认证。工作人员安排好上门日期后会通知您；"
        "如不需要，可以在门户“养老金资格认证”里取消。",
    )
    return visit


@transaction.atomic
def home_visit_schedule(*, actor: User, visit: HomeVisit, on: dt.date, visitor: User | None) -> HomeVisit:
    visit = _lock(visit)
    if not staff_serves(staff=actor, person=visit.person):
        raise ApplicationError.of(FORBIDDEN, E.NOT_ALLOWED)
    if visitor is None or visitor.role != Role.BUREAU:
        raise ApplicationError.of(INVALID, E.VISIT_STAFF_REQUIRED, field="visit_staff")
    if on < today():
        raise ApplicationError.of(INVALID, E.VISIT_DATE_INVALID, field="scheduled_on")
    _move(visit, V.SCHEDULED, actor=actor)
    visit.scheduled_on, visit.visit_staff = on, visitor
    visit.save(update_fields=["status", "scheduled_on", "visit_staff", "updated_at"])
    message_send(
        person=visit.person,
        subject="上门认证已安排",
        body=f"工作人员将于{on:%Y-%m-%d}上门为您办理养老金资格认证，请带好身份证。",
    )
    return visit


@transaction.atomic
def home_visit_outcome(
    *, actor: User, visit: HomeVisit, certified: bool, documents_seen: str, note: str = ""
) -> HomeVisit:
    """The visit happened: certified (a home_visit certification is recorded) or not (failed)."""
    visit = _lock(visit)
    if not staff_serves(staff=actor, person=visit.person):
        raise ApplicationError.of(FORBIDDEN, E.NOT_ALLOWED)
    if certified and not documents_seen.strip():
        raise ApplicationError.of(INVALID, E.DOCUMENTS_REQUIRED, field="documents_seen")
    _move(visit, V.CERTIFIED if certified else V.FAILED, actor=actor)
    visit.outcome_note = note.strip()
    if certified:
        visit.certification = certification_record(
            person=visit.person,
            channel="home_visit",
            method=Method.IN_PERSON,
            result=Result.PASS,
            certified_at=timezone.now(),
            recorded_by=actor,
            documents_seen=documents_seen.strip(),
        ).certification
    else:
        message_send(
            person=visit.person,
            subject="上门认证未能完成",
            body="本次上门未能完成养老金资格认证。如有需要，可以重新申请上门认证或到社保经办窗口办理。",
        )
    visit.save(update_fields=["status", "outcome_note", "certification", "updated_at"])
    return visit


@transaction.atomic
def home_visit_cancel(*, actor: User, visit: HomeVisit) -> HomeVisit:
    """The requester (or bureau staff of the region) withdraws an open request."""
    visit = _lock(visit)
    if actor.person_id != visit.person_id and not staff_serves(staff=actor, person=visit.person):
        raise ApplicationError.of(FORBIDDEN, E.NOT_ALLOWED)
    _move(visit, V.CANCELLED, actor=actor)
    visit.save(update_fields=["status", "updated_at"])
    return visit

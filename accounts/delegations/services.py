"""Writes of family service: adding, confirming and revoking delegations, and recording each act an
agent does under one. Every refusal is an ApplicationError; a refused request changes nothing."""

import datetime as dt
from collections.abc import Iterable

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.delegations.errors import DelegationError as E
from accounts.delegations.models import (
    LIVE_DELEGATION,
    Delegation,
    DelegationAct,
    DelegationDocument,
    DelegationStatus,
    DocumentKind,
    Scope,
)
from accounts.delegations.selectors import RightsSummary
from accounts.models import Person, PersonalAccount, RelationCode, User
from accounts.notifications import message_send
from accounts.selectors import staff_serves
from portal.core.errors import CONFLICT, FORBIDDEN, INVALID, REFUSED, ApplicationError, Reason
from portal.core.time import today
from portal.core.uploads import IMAGE_TYPES, UploadProblem, upload_check

S = DelegationStatus
MINOR_AGE = 16


def scopes_parse(scopes: Iterable[str]) -> list[str]:
    """Known scopes in their canonical order; an unknown one is 400 `scope_unknown`."""
    given = [str(s).strip() for s in scopes]
    known = {s.value for s in Scope}
    unknown = [s for s in given if s not in known]
    if unknown:
        raise ApplicationError.of(INVALID, E.SCOPE_UNKNOWN, field="scopes")
    if not given:
        raise ApplicationError.of(INVALID, E.SCOPE_REQUIRED, field="scopes")
    return [s.value for s in Scope if s.value in given]


def is_under_16(person: Person, *, on: dt.date | None = None) -> bool:
    day = on or today()
    born = person.birth_date
    age = day.year - born.year - ((day.month, day.day) < (born.month, born.day))
    return age < MINOR_AGE


def _document(delegation: Delegation, kind: str, file: UploadedFile, allowed: set[str]) -> None:
    content_type, problem = upload_check(file, allowed=allowed)
    field = "id_document" if kind == DocumentKind.ID_DOCUMENT else "face_photo"
    if problem is UploadProblem.SIZE:
        raise ApplicationError.of(INVALID, E.UPLOAD_TOO_LARGE, field=field)
    if problem is not None:
        raise ApplicationError.of(INVALID, E.UPLOAD_TYPE, field=field)
    DelegationDocument.objects.create(
        delegation=delegation, kind=kind, file=file, content_type=content_type, size=file.size or 0
    )


@transaction.atomic
def delegation_create(
    *,
    actor: User,
    principal_name: str,
    principal_card_number: str,
    relation_code: str,
    scopes: Iterable[str],
    id_document: UploadedFile | None,
    face_photo: UploadedFile | None = None,
) -> Delegation:
    """The agent (`actor`) asks to act for a relative. An adult principal confirms on their own page;
    a principal under 16 needs a face photo and no confirmation."""
    wanted = scopes_parse(scopes)
    problems: list[Reason] = []
    if id_document is None:
        problems.append(E.ID_DOCUMENT_REQUIRED.reason("id_document"))
    relation = RelationCode.objects.filter(pk=(relation_code or "").strip()).first()
    if relation is None:
        problems.append(E.RELATION_UNKNOWN.reason("relation_code"))
    card = (principal_card_number or "").strip().upper()
    principal = Person.objects.filter(card_number=card, name=(principal_name or "").strip()).first()
    minor = principal is not None and is_under_16(principal)
    if minor and face_photo is None:
        problems.append(E.FACE_PHOTO_REQUIRED.reason("face_photo"))
    if problems:
        raise ApplicationError(INVALID, problems)
    if principal is None:  # a name that does not match the card is the same answer as no card
        raise ApplicationError.of(REFUSED, E.PRINCIPAL_NOT_FOUND)
    if principal.pk == actor.person_id:
        raise ApplicationError.of(REFUSED, E.DELEGATION_SELF)
    assert relation is not None and id_document is not None
    delegation = Delegation(
        agent=actor,
        principal=principal,
        relation=relation,
        scopes=wanted,
        status=S.ACTIVE if minor else S.PENDING,
        principal_minor=minor,
        confirmed_at=timezone.now() if minor else None,
    )
    try:
        with transaction.atomic():
            delegation.save()
    except IntegrityError as exc:
        raise ApplicationError.of(CONFLICT, E.DUPLICATE_DELEGATION) from exc
    _document(delegation, DocumentKind.ID_DOCUMENT, id_document, {"application/pdf", *IMAGE_TYPES})
    if face_photo is not None:
        _document(delegation, DocumentKind.FACE_PHOTO, face_photo, IMAGE_TYPES)
    if not minor:
        message_send(
            person=principal,
            subject="亲情服务授权申请",
            body=f"{agent_name(actor)}申请为您代办医保业务（亲情服务），请登录门户“亲情服务”确认是否同意。",
        )
    return delegation


def agent_name(agent: User) -> str:
    """How an agent is named to others: their masked name."""
    return agent.person.name_masked if agent.person is not None else agent.username


def _lock(delegation: Delegation) -> Delegation:
    return (
        Delegation.objects.select_for_update(of=("self",))
        .select_related("agent__person", "principal")
        .get(pk=delegation.pk)
    )


@transaction.atomic
def delegation_confirm(*, actor: User, delegation: Delegation, accept: bool) -> Delegation:
    """The principal's own confirmation (stands for the face check of DESIGN.md 10)."""
    delegation = _lock(delegation)
    if actor.person_id != delegation.principal_id:
        raise ApplicationError.of(FORBIDDEN, E.CONFIRM_NOT_ALLOWED)
    if delegation.status != S.PENDING:
        raise ApplicationError.of(CONFLICT, E.INVALID_TRANSITION)
    now = timezone.now()
    if accept:
        delegation.status, delegation.confirmed_at = S.ACTIVE, now
        text = f"{delegation.principal.name_masked}已同意您为其代办医保业务（亲情服务）。"
    else:
        delegation.status, delegation.ended_at = S.DECLINED, now
        text = f"{delegation.principal.name_masked}没有同意您的亲情服务授权申请。"
    delegation.save(update_fields=["status", "confirmed_at", "ended_at"])
    if delegation.agent.person is not None:
        message_send(person=delegation.agent.person, subject="亲情服务授权结果", body=text)
    return delegation


def delegation_revocable_by(*, actor: User, delegation: Delegation) -> bool:
    """Who may end a delegation on their own pages: the principal, once 16 or older, and for a
    principal added under 16 the guardian who added it (the agent). Bureau staff revoke in the admin
    (`delegation_revoke_by_staff`)."""
    if delegation.principal_minor and actor.pk == delegation.agent_id:
        return True
    return actor.person_id == delegation.principal_id and not is_under_16(delegation.principal)


def _end(delegation: Delegation, *, by: User, reason: str = "") -> None:
    """A locked, live delegation becomes revoked: from this moment `delegation_act` refuses the agent."""
    if delegation.status not in LIVE_DELEGATION:
        raise ApplicationError.of(CONFLICT, E.INVALID_TRANSITION)
    delegation.status, delegation.ended_at = S.REVOKED, timezone.now()
    delegation.revoked_by, delegation.revoke_reason = by, reason
    delegation.save(update_fields=["status", "ended_at", "revoked_by", "revoke_reason"])


@transaction.atomic
def delegation_revoke(*, actor: User, delegation: Delegation) -> Delegation:
    """The adult principal, or the guardian of a principal under 16, ends the delegation; the agent
    can no longer act from this moment. 403 `revoke_not_allowed` for anyone else."""
    delegation = _lock(delegation)
    if not delegation_revocable_by(actor=actor, delegation=delegation):
        raise ApplicationError.of(FORBIDDEN, E.REVOKE_NOT_ALLOWED)
    _end(delegation, by=actor)
    if actor.pk != delegation.agent_id and delegation.agent.person is not None:
        message_send(
            person=delegation.agent.person,
            subject="亲情服务授权已撤销",
            body=f"{delegation.principal.name_masked}已撤销对您的亲情服务授权。",
        )
    return delegation


@transaction.atomic
def delegation_revoke_by_staff(*, actor: User, delegation: Delegation, reason: str) -> Delegation:
    """Bureau staff of the principal's region end a delegation (a forged document, a guardian who is
    no longer one...), with the reason recorded on it and told to the agent and an adult principal."""
    delegation = _lock(delegation)
    if not staff_serves(staff=actor, person=delegation.principal):
        raise ApplicationError.of(FORBIDDEN, E.STAFF_NOT_ALLOWED)
    reason = (reason or "").strip()
    if not reason:
        raise ApplicationError.of(INVALID, E.REVOKE_REASON_REQUIRED, field="reason")
    _end(delegation, by=actor, reason=reason)
    principal = delegation.principal
    told = [p for p in (delegation.agent.person,) if p is not None]
    if not is_under_16(principal):
        told.append(principal)
    agent = agent_name(delegation.agent)
    for person in told:
        message_send(
            person=person,
            subject="亲情服务授权已由经办机构撤销",
            body=f"医保经办机构已撤销{agent}为{principal.name_masked}代办医保业务的亲情服务授权。原因：{reason}",
        )
    return delegation


def _beyond(reason: E) -> ApplicationError:
    return ApplicationError(FORBIDDEN, [reason.reason()], code="permission_denied")


@transaction.atomic
def delegation_act(
    *, actor: User, delegation: Delegation, scope: str, action: str, detail: str = ""
) -> DelegationAct:
    """Checks that `actor` is the agent of this active delegation and that it grants `scope`, and
    records the act (in the caller's transaction). 400 for a scope that does not exist; 403
    `permission_denied` with `no_delegation` or `scope_not_granted` otherwise."""
    if scope not in {s.value for s in Scope}:
        raise ApplicationError.of(INVALID, E.SCOPE_UNKNOWN, field="scope")
    # Locked: a revocation committed before this act is seen; one committed after it waits for it.
    current = (
        Delegation.objects.select_for_update()
        .filter(pk=delegation.pk)
        .values_list("status", "scopes", "agent_id")
        .first()
    )
    if current is None or current[2] != actor.pk or current[0] != S.ACTIVE:
        raise _beyond(E.NO_DELEGATION)
    if scope not in current[1]:
        raise _beyond(E.SCOPE_NOT_GRANTED)
    return DelegationAct.objects.create(
        delegation=delegation,
        agent=actor,
        principal_id=delegation.principal_id,
        scope=scope,
        action=action,
        detail=detail,
    )


@transaction.atomic
def delegation_rights_view(*, actor: User, delegation: Delegation) -> RightsSummary:
    """权益单 of the principal for an agent with `view_rights`; the look is recorded as an act."""
    from accounts.delegations.registry import rights_sections

    delegation_act(actor=actor, delegation=delegation, scope=Scope.VIEW_RIGHTS, action="rights_view")
    person = Person.objects.select_related("region").get(pk=delegation.principal_id)
    account = PersonalAccount.objects.filter(person=person).only("balance_fen").first()
    return RightsSummary(
        person=person,
        insurance_type=person.get_insurance_type_display(),
        status=person.get_status_display(),
        balance_fen=account.balance_fen if account else None,
        sections=rights_sections(person),
    )

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
from accounts.delegations.registry import guardian_ids
from accounts.delegations.selectors import RightsSummary, under_16_born_after
from accounts.models import Person, PersonalAccount, RelationCode, Role, User
from accounts.notifications import message_send
from accounts.selectors import staff_serves
from portal.core.errors import CONFLICT, FORBIDDEN, INVALID, REFUSED, ApplicationError, Reason
from portal.core.uploads import IMAGE_TYPES, UploadProblem, refused_when_storage_full, upload_check

S = DelegationStatus


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
    return person.birth_date > under_16_born_after(on)


def is_guardian(*, actor: User, child: Person) -> bool:
    """A registry parent (birth, adoptive, supported step-parent) of a child under 16."""
    return actor.person_id is not None and is_under_16(child) and actor.person_id in guardian_ids(child)


def _document(delegation: Delegation, kind: str, file: UploadedFile, allowed: set[str]) -> None:
    content_type, problem = upload_check(file, allowed=allowed)
    field = "id_document" if kind == DocumentKind.ID_DOCUMENT else "face_photo"
    if problem is UploadProblem.SIZE:
        raise ApplicationError.of(INVALID, E.UPLOAD_TOO_LARGE, field=field)
    if problem is not None:
        raise ApplicationError.of(INVALID, E.UPLOAD_TYPE, field=field)
    with refused_when_storage_full():  # 507 storage_full: no file kept, no row written
        DelegationDocument.objects.create(
            delegation=delegation, kind=kind, file=file, content_type=content_type, size=file.size or 0
        )


def _principal_for(*, actor: User, name: str, card_number: str) -> Person | None:
    """The person the agent may ask to act for: the holder of this card under this name, and for a
    child under 16 only when the agent is the child's registry guardian. Everything else is the same
    None, so that the answer tells a stranger neither that the card exists nor that its holder is a
    minor (the guardian rule of DESIGN.md section 10)."""
    card = (card_number or "").strip().upper()
    person = Person.objects.filter(card_number=card, name=(name or "").strip()).first()
    if person is None or (is_under_16(person) and not is_guardian(actor=actor, child=person)):
        return None
    return person


def _tell_guardians(delegation: Delegation, *, by: str) -> None:
    """Every registry guardian of the child but the agent learns of a delegation opened for them."""
    child = delegation.principal
    scopes = "、".join(Scope(s).label for s in delegation.scopes)
    guardians = Person.objects.filter(pk__in=guardian_ids(child) - {delegation.agent.person_id})
    for guardian in guardians:
        message_send(
            person=guardian,
            subject="孩子的亲情服务授权已开通",
            body=f"{by}为{child.name_masked}开通了亲情服务授权，代办人{agent_name(delegation.agent)}，"
            f"可以代办：{scopes}。您是孩子的监护人，可以在门户“亲情服务”里查看或撤销。",
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
    """The agent (`actor`) asks to act for a relative. An adult principal confirms on their own page.
    For a child under 16 only a registry guardian may ask, with the child's face photo, and the
    delegation is active at once; every other guardian is told and may revoke it. For anyone else a
    child is 422 `principal_not_found`, exactly as an unknown card (the edges rate-limit the look-up)."""
    wanted = scopes_parse(scopes)
    problems: list[Reason] = []
    if id_document is None:
        problems.append(E.ID_DOCUMENT_REQUIRED.reason("id_document"))
    relation = RelationCode.objects.filter(pk=(relation_code or "").strip()).first()
    if relation is None:
        problems.append(E.RELATION_UNKNOWN.reason("relation_code"))
    principal = _principal_for(actor=actor, name=principal_name, card_number=principal_card_number)
    minor = principal is not None and is_under_16(principal)
    if minor and face_photo is None:  # only the guardian gets this far with a child
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
    if minor:
        _tell_guardians(delegation, by=f"{agent_name(actor)}（监护人）")
    else:
        message_send(
            person=principal,
            subject="亲情服务授权申请",
            body=f"{agent_name(actor)}申请为您代办医保业务（亲情服务），请登录门户“亲情服务”确认是否同意。",
        )
    return delegation


@transaction.atomic
def delegation_open_by_staff(
    *,
    actor: User,
    principal: Person,
    agent: User,
    relation_code: str,
    scopes: Iterable[str],
    documents_checked: str,
) -> Delegation:
    """A bureau officer of the child's region, having checked the documents at the window (household
    register, birth certificate, the guardian's identity card, a court's appointment...), opens a
    delegation for a child under 16 for `agent` (who need not be a registry parent: a grandparent
    appointed guardian, say). Active at once; who opened it and what they checked are recorded; the
    agent and every registry guardian are told."""
    if not staff_serves(staff=actor, person=principal):
        raise ApplicationError.of(FORBIDDEN, E.STAFF_NOT_ALLOWED)
    wanted = scopes_parse(scopes)
    problems: list[Reason] = []
    relation = RelationCode.objects.filter(pk=(relation_code or "").strip()).first()
    if relation is None:
        problems.append(E.RELATION_UNKNOWN.reason("relation_code"))
    checked = (documents_checked or "").strip()
    if not checked:
        problems.append(E.DOCUMENTS_CHECKED_REQUIRED.reason("documents_checked"))
    if problems:
        raise ApplicationError(INVALID, problems)
    if not is_under_16(principal):
        raise ApplicationError.of(REFUSED, E.PRINCIPAL_NOT_MINOR)
    if agent.person_id is None or agent.role != Role.RESIDENT:
        raise ApplicationError.of(REFUSED, E.AGENT_NOT_FOUND)
    if agent.person_id == principal.pk:
        raise ApplicationError.of(REFUSED, E.DELEGATION_SELF)
    assert relation is not None
    delegation = Delegation(
        agent=agent,
        principal=principal,
        relation=relation,
        scopes=wanted,
        status=S.ACTIVE,
        principal_minor=True,
        confirmed_at=timezone.now(),
        opened_by=actor,
        documents_checked=checked,
    )
    try:
        with transaction.atomic():
            delegation.save()
    except IntegrityError as exc:
        raise ApplicationError.of(CONFLICT, E.DUPLICATE_DELEGATION) from exc
    if agent.person is not None:
        message_send(
            person=agent.person,
            subject="亲情服务授权已开通",
            body=f"医保经办机构已核验证件，为您开通了为{principal.name_masked}代办医保业务的亲情服务授权。",
        )
    _tell_guardians(delegation, by="医保经办机构")
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
    """Who may end a delegation on their own pages: the principal, once 16 or older; for a principal
    added under 16 the guardian who added it (the agent); and every registry guardian of a principal
    under 16, whoever opened it. Bureau staff revoke in the admin (`delegation_revoke_by_staff`)."""
    if delegation.principal_minor and actor.pk == delegation.agent_id:
        return True
    if actor.person_id is None:
        return False
    if actor.person_id == delegation.principal_id:
        return not is_under_16(delegation.principal)
    return is_guardian(actor=actor, child=delegation.principal)


def _guardian_only(*, actor: User, delegation: Delegation) -> bool:
    """A guardian ending a delegation they are neither agent nor principal of (it needs a reason)."""
    return actor.pk != delegation.agent_id and actor.person_id != delegation.principal_id


def _end(delegation: Delegation, *, by: User, reason: str = "") -> None:
    """A locked, live delegation becomes revoked: from this moment `delegation_act` refuses the agent."""
    if delegation.status not in LIVE_DELEGATION:
        raise ApplicationError.of(CONFLICT, E.INVALID_TRANSITION)
    delegation.status, delegation.ended_at = S.REVOKED, timezone.now()
    delegation.revoked_by, delegation.revoke_reason = by, reason
    delegation.save(update_fields=["status", "ended_at", "revoked_by", "revoke_reason"])


@transaction.atomic
def delegation_revoke(*, actor: User, delegation: Delegation, reason: str = "") -> Delegation:
    """The adult principal, or a guardian of a principal under 16, ends the delegation; the agent
    can no longer act from this moment. A guardian ending someone else's delegation for their child
    says why (400 `revoke_reason_required`); who and why are recorded and told to the agent. 403
    `revoke_not_allowed` for anyone else."""
    delegation = _lock(delegation)
    if not delegation_revocable_by(actor=actor, delegation=delegation):
        raise ApplicationError.of(FORBIDDEN, E.REVOKE_NOT_ALLOWED)
    reason = (reason or "").strip()[:200]
    by_guardian = _guardian_only(actor=actor, delegation=delegation)
    if by_guardian and not reason:
        raise ApplicationError.of(INVALID, E.REVOKE_REASON_REQUIRED, field="reason")
    _end(delegation, by=actor, reason=reason)
    if actor.pk == delegation.agent_id or delegation.agent.person is None:
        return delegation
    principal = delegation.principal.name_masked
    if by_guardian:
        body = f"{agent_name(actor)}（{principal}的监护人）已撤销您为{principal}代办的亲情服务授权。原因：{reason}"
    else:
        body = f"{principal}已撤销对您的亲情服务授权。"
    message_send(person=delegation.agent.person, subject="亲情服务授权已撤销", body=body)
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

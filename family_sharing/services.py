"""Writes of family sharing: every binding transition happens here, atomically, with its event row
(who, when, channel, why) in the same transaction and notifications sent after commit."""

import datetime as dt
import logging
from collections.abc import Iterable

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import Person, Role, User
from accounts.notifications import message_send
from family_sharing.eligibility import Eligibility, binding_eligibility, relation_facts
from family_sharing.errors import SharingError
from family_sharing.models import (
    LIVE_STATUSES,
    Binding,
    BindingEvent,
    BindingStatus,
    Channel,
    Evidence,
    EvidenceReview,
)
from family_sharing.relations import Kin
from family_sharing.selectors import beneficiary_lookup, binding_guardian_may_consent, is_minor
from family_sharing.throttling import lookup_failure_release, lookup_failure_reserve
from portal.core.errors import CONFLICT, FORBIDDEN, INVALID, REFUSED, ApplicationError
from portal.core.time import today
from portal.core.uploads import UploadProblem, refused_when_storage_full, upload_check

log = logging.getLogger(__name__)

S = BindingStatus
ALLOWED: dict[str, set[str]] = {
    S.PENDING_CONSENT: {S.PENDING_VERIFICATION, S.REJECTED, S.REVOKED, S.ENDED},
    S.PENDING_VERIFICATION: {S.ACTIVE, S.REJECTED, S.NEEDS_EVIDENCE, S.REVOKED, S.ENDED},
    S.NEEDS_EVIDENCE: {S.ACTIVE, S.REJECTED, S.REVOKED, S.ENDED},
    S.ACTIVE: {S.REVOKED, S.SUSPENDED, S.ENDED},
    S.SUSPENDED: {S.ACTIVE, S.REVOKED, S.ENDED},
}


def _enqueue_verification() -> None:
    """After commit: ask a worker to verify now. If the broker is down the binding simply waits for
    the periodic pass (beat), so nothing is lost."""
    from family_sharing.tasks import verify_pending_bindings

    try:
        verify_pending_bindings.delay()
    except Exception:  # broker unreachable: the scheduled pass will pick the binding up
        log.warning("could not enqueue binding verification; the periodic pass will run it", exc_info=True)


def transition(
    binding: Binding, to: str, *, actor: User | None, channel: str, reasons: Iterable[str] = ()
) -> BindingEvent:
    """Moves a locked binding to `to` and records the event. Callers hold the row lock."""
    if to not in ALLOWED.get(binding.status, set()):
        raise ApplicationError.of(CONFLICT, SharingError.INVALID_TRANSITION)
    now = timezone.now()
    event = BindingEvent.objects.create(
        binding=binding,
        from_status=binding.status,
        to_status=to,
        actor=actor,
        channel=channel,
        reasons=list(reasons),
    )
    binding.status = to
    binding.reasons = list(reasons)
    fields = ["status", "reasons", "updated_at"]
    if to == S.ACTIVE and binding.activated_at is None:
        binding.activated_at = now
        fields.append("activated_at")
    if to in (S.REVOKED, S.ENDED, S.REJECTED):
        binding.ended_at = now
        fields.append("ended_at")
    binding.save(update_fields=fields)
    if to == S.PENDING_VERIFICATION:
        transaction.on_commit(_enqueue_verification)
    return event


def _lock(binding: Binding) -> Binding:
    return (
        Binding.objects.select_for_update()
        .select_related("sharer", "beneficiary", "relation_code")
        .get(pk=binding.pk)
    )


def binding_check(
    *,
    actor: User,
    beneficiary_id_number: str,
    beneficiary_name: str,
    relation_code: str,
    as_of: dt.date | None,
) -> Eligibility:
    """Read-only eligibility for the caller as sharer. Failed look-ups count against a per-user limit."""
    lookup_failure_reserve(actor)
    relation = relation_facts(relation_code)
    beneficiary = beneficiary_lookup(id_number=beneficiary_id_number, name=beneficiary_name)
    if beneficiary is not None:
        lookup_failure_release(actor)
    return binding_eligibility(
        sharer=actor.person, beneficiary=beneficiary, relation=relation, as_of=as_of or today()
    )


def _refuse(result: Eligibility) -> ApplicationError:
    """409 when the only thing in the way is a live binding of the same pair (also when the registry
    is silent about them: relation_unverified does not block), else 422 with every blocking reason."""
    blocking = [r for r in result.reasons if r.code != SharingError.RELATION_UNVERIFIED]
    if [r.code for r in blocking] == [SharingError.DUPLICATE_BINDING]:
        return ApplicationError.of(CONFLICT, SharingError.DUPLICATE_BINDING)
    return ApplicationError(REFUSED, blocking)


def _create(
    *,
    actor: User,
    sharer: Person,
    beneficiary: Person,
    relation_code: str,
    result: Eligibility,
    channel: str,
    status: str,
    guardian_consent: bool = False,
) -> Binding:
    binding = Binding(
        sharer=sharer,
        beneficiary=beneficiary,
        relation_code_id=relation_code,
        status=status,
        channel=channel,
        derived_relation_code=result.derived_relation_code or "",
        created_by=actor,
        guardian_consent=guardian_consent,
        reasons=result.codes(),
    )
    try:
        with transaction.atomic():
            binding.save()
    except IntegrityError as exc:  # a simultaneous request for the same pair won the race
        raise ApplicationError.of(CONFLICT, SharingError.DUPLICATE_BINDING) from exc
    BindingEvent.objects.create(
        binding=binding, to_status=status, actor=actor, channel=channel, reasons=result.codes()
    )
    if status == S.PENDING_VERIFICATION:
        transaction.on_commit(_enqueue_verification)
    return binding


@transaction.atomic
def binding_request(
    *,
    actor: User,
    beneficiary_id_number: str,
    beneficiary_name: str,
    relation_code: str,
    as_of: dt.date | None = None,
    channel: str = Channel.WEB,
) -> Binding:
    """A resident (the sharer) asks to pay for a relative. It waits for the relative's consent,
    except that a registry parent binding a child under 16 consents as guardian."""
    result = binding_check(
        actor=actor,
        beneficiary_id_number=beneficiary_id_number,
        beneficiary_name=beneficiary_name,
        relation_code=relation_code,
        as_of=as_of,
    )
    if not result.eligible:
        raise _refuse(result)
    beneficiary = beneficiary_lookup(id_number=beneficiary_id_number, name=beneficiary_name)
    assert beneficiary is not None
    return binding_request_eligible(
        actor=actor,
        beneficiary=beneficiary,
        relation_code=relation_code.strip(),
        result=result,
        channel=channel,
    )


def binding_request_eligible(
    *, actor: User, beneficiary: Person, relation_code: str, result: Eligibility, channel: str
) -> Binding:
    """The resident's request once `result` (the eligibility of the caller paying for `beneficiary`
    as `relation_code`) is known: refused as `_refuse` says, or created waiting for the relative's
    consent, or for verification when a registry parent binds a child under 16 (the guardian's
    consent). Runs inside the caller's transaction: binding_request, or a suggested relative's."""
    if not result.eligible:
        raise _refuse(result)
    sharer = actor.person
    assert sharer is not None
    guardian = result.derived is not None and result.derived.kin is Kin.CHILD and is_minor(beneficiary)
    binding = _create(
        actor=actor,
        sharer=sharer,
        beneficiary=beneficiary,
        relation_code=relation_code,
        result=result,
        channel=channel,
        status=S.PENDING_VERIFICATION if guardian else S.PENDING_CONSENT,
        guardian_consent=guardian,
    )
    if not guardian:
        message_send(
            person=beneficiary,
            subject="家庭共济绑定申请",
            body=f"{sharer.name_masked}申请用其职工医保个人账户为您支付医疗费用，请登录门户确认是否同意。",
        )
    return binding


@transaction.atomic
def binding_counter_create(
    *,
    actor: User,
    sharer_card_number: str,
    beneficiary_card_number: str,
    relation_code: str,
) -> Binding:
    """Swipe-bind at a hospital or bureau counter: the sharer is present with the card, the
    beneficiary's card is presented, so consent is given there and verification starts at once."""
    from accounts.selectors import person_get_by_card

    if actor.role not in (Role.HOSPITAL, Role.BUREAU):  # DESIGN.md 6: bureau and hospital windows bind
        raise ApplicationError.of(FORBIDDEN, SharingError.COUNTER_BINDING_NOT_ALLOWED)
    relation = relation_facts(relation_code)
    sharer = person_get_by_card(card_number=(sharer_card_number or "").strip().upper())
    beneficiary = person_get_by_card(card_number=(beneficiary_card_number or "").strip().upper())
    result = binding_eligibility(sharer=sharer, beneficiary=beneficiary, relation=relation, as_of=today())
    if not result.eligible:
        raise _refuse(result)
    assert sharer is not None and beneficiary is not None
    channel = Channel.BUREAU if actor.role == "bureau" else Channel.HOSPITAL
    binding = _create(
        actor=actor,
        sharer=sharer,
        beneficiary=beneficiary,
        relation_code=relation.code,
        result=result,
        channel=channel,
        status=S.PENDING_VERIFICATION,
        # a child under 16 does not consent alone: the adult present does, as for a guardian on the
        # web, so the child is asked again at 16 (family_sharing/reconsent/)
        guardian_consent=is_minor(beneficiary),
    )
    message_send(
        person=sharer,
        subject="家庭共济绑定已受理",
        body=f"您在{actor.institution.name if actor.institution else '医保经办窗口'}为{beneficiary.name_masked}办理的家庭共济绑定已受理，核验通过后生效。",
    )
    return binding


@transaction.atomic
def binding_consent(*, actor: User, binding: Binding, accept: bool) -> Binding:
    binding = _lock(binding)
    is_beneficiary = actor.person_id == binding.beneficiary_id
    # Consent comes from the other side: the sharer never confirms their own request, not even when
    # the registry (later) shows them as the minor beneficiary's parent.
    is_sharer = actor.person_id == binding.sharer_id
    if is_sharer or not (is_beneficiary or binding_guardian_may_consent(viewer=actor, binding=binding)):
        raise ApplicationError.of(FORBIDDEN, SharingError.CONSENT_NOT_ALLOWED)
    if binding.status != S.PENDING_CONSENT:
        raise ApplicationError.of(CONFLICT, SharingError.INVALID_TRANSITION)
    if accept:
        binding.guardian_consent = not is_beneficiary
        binding.save(update_fields=["guardian_consent"])
        transition(binding, S.PENDING_VERIFICATION, actor=actor, channel=Channel.WEB)
    else:
        transition(
            binding, S.REJECTED, actor=actor, channel=Channel.WEB, reasons=[SharingError.BENEFICIARY_DECLINED]
        )
        message_send(
            person=binding.sharer,
            subject="家庭共济绑定未获同意",
            body=f"{binding.beneficiary.name_masked}没有同意您的家庭共济绑定申请。",
        )
    return binding


def _end_by_party(*, actor: User, binding: Binding, party: str, reason: str, text: str) -> Binding:
    """One party (`sharer` or `beneficiary`) ends the binding; the other party is told."""
    binding = _lock(binding)
    if actor.person_id != getattr(binding, f"{party}_id"):
        raise ApplicationError(FORBIDDEN)
    transition(binding, S.REVOKED, actor=actor, channel=Channel.WEB, reasons=[reason])
    other = binding.beneficiary if party == "sharer" else binding.sharer
    message_send(person=other, subject="家庭共济绑定已解除", body=text.format(binding=binding))
    return binding


@transaction.atomic
def binding_revoke(*, actor: User, binding: Binding) -> Binding:
    """The sharer ends the binding; it stops paying at once."""
    return _end_by_party(
        actor=actor,
        binding=binding,
        party="sharer",
        reason=SharingError.REVOKED_BY_SHARER,
        text="{binding.sharer.name_masked}已解除与您的家庭共济绑定，今后不能再用其个人账户支付。",
    )


@transaction.atomic
def binding_leave(*, actor: User, binding: Binding) -> Binding:
    """The beneficiary leaves the binding."""
    return _end_by_party(
        actor=actor,
        binding=binding,
        party="beneficiary",
        reason=SharingError.BENEFICIARY_LEFT,
        text="{binding.beneficiary.name_masked}已退出与您的家庭共济绑定。",
    )


@transaction.atomic
def binding_set_limit(*, actor: User, binding: Binding, monthly_limit_fen: int | None) -> Binding:
    """The sharer caps what this relative may spend from the account each month (None: no cap)."""
    binding = _lock(binding)
    if actor.person_id != binding.sharer_id:
        raise ApplicationError(FORBIDDEN)
    if monthly_limit_fen is not None and (isinstance(monthly_limit_fen, bool) or monthly_limit_fen < 0):
        raise ApplicationError.of(INVALID, SharingError.LIMIT_INVALID, field="monthly_limit_fen")
    if binding.status not in LIVE_STATUSES:
        raise ApplicationError.of(CONFLICT, SharingError.INVALID_TRANSITION)
    binding.monthly_limit_fen = monthly_limit_fen
    binding.save(update_fields=["monthly_limit_fen", "updated_at"])
    return binding


# Evidence files one binding may hold (issue 15): enough for a household register, certificates and
# a re-upload or two, not a store of unlimited files.
MAX_EVIDENCE_FILES = 10


@transaction.atomic
def binding_evidence_upload(*, actor: User, binding: Binding, file: UploadedFile) -> Evidence:
    """Stores one evidence file. The count is taken under the binding's row lock, so parallel uploads
    queue there and cannot pass MAX_EVIDENCE_FILES together."""
    binding = _lock(binding)
    if actor.person_id not in (binding.sharer_id, binding.beneficiary_id):
        raise ApplicationError(FORBIDDEN)
    if binding.status != S.NEEDS_EVIDENCE:
        raise ApplicationError.of(CONFLICT, SharingError.EVIDENCE_NOT_NEEDED)
    if Evidence.objects.filter(binding=binding).count() >= MAX_EVIDENCE_FILES:
        raise ApplicationError.of(CONFLICT, SharingError.EVIDENCE_TOO_MANY, field="file")
    content_type, problem = upload_check(file)
    if problem is UploadProblem.SIZE:
        raise ApplicationError.of(INVALID, SharingError.EVIDENCE_TOO_LARGE, field="file")
    if problem is not None:
        raise ApplicationError.of(INVALID, SharingError.EVIDENCE_TYPE, field="file")
    with refused_when_storage_full():  # 507 storage_full: no file kept, no row written
        return Evidence.objects.create(
            binding=binding, file=file, content_type=content_type, size=file.size or 0, uploaded_by=actor
        )


@transaction.atomic
def binding_evidence_review(*, actor: User, evidence: Evidence, approve: bool, note: str = "") -> Evidence:
    """Bureau staff decide on uploaded evidence; the binding becomes active or is rejected."""
    evidence = Evidence.objects.select_for_update().get(pk=evidence.pk)
    if evidence.review != EvidenceReview.PENDING:
        raise ApplicationError.of(CONFLICT, SharingError.INVALID_TRANSITION)
    binding = _lock(evidence.binding)
    evidence.review = EvidenceReview.APPROVED if approve else EvidenceReview.REJECTED
    evidence.reviewed_by, evidence.reviewed_at, evidence.review_note = actor, timezone.now(), note
    evidence.save()
    if approve:
        transition(
            binding, S.ACTIVE, actor=actor, channel=Channel.BUREAU, reasons=[SharingError.EVIDENCE_APPROVED]
        )
        text = f"您与{binding.beneficiary.name_masked}的家庭共济绑定经审核已生效。"
    else:
        transition(
            binding, S.REJECTED, actor=actor, channel=Channel.BUREAU, reasons=[SharingError.EVIDENCE_REJECTED]
        )
        text = f"您与{binding.beneficiary.name_masked}的家庭共济绑定证明材料未通过审核。{note}"
    message_send(person=binding.sharer, subject="家庭共济证明材料审核结果", body=text)
    return evidence

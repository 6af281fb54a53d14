"""Writes of the contributions capability: notifications of status changes, and employer arrears
cases (社会保险法 第63条) — opening, the dated steps as a state machine, settling paid periods and
closing. Every function is atomic; a refusal is one ApplicationError and changes nothing."""

import datetime as dt
import logging
from collections.abc import Sequence
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from accounts.models import Employer, Person, User
from accounts.notifications import messages_send_many
from family_sharing.contributions.errors import ContributionError
from family_sharing.contributions.models import (
    ArrearsCase,
    ArrearsCaseItem,
    ArrearsCaseStep,
    CaseStatus,
    Contribution,
    StatusChange,
)
from family_sharing.contributions.sweep import NOTIFY_CHUNK
from portal.core.errors import CONFLICT, FORBIDDEN, INVALID, REFUSED, ApplicationError
from portal.core.time import today

C = CaseStatus
log = logging.getLogger(__name__)
HOTLINE = "12393"
DOCUMENT_TYPES = {"application/pdf", "image/jpeg", "image/png"}
DOCUMENT_MAX_BYTES = 5 * 1024 * 1024

# 社会保险法 第63条, in order: order to pay → bank inquiry → transfer order (划拨); when the balance
# is short, a guarantee with a deferred-payment agreement; without one, an application to a court.
# Closing is possible from every open step, but only when the amounts are paid (arrears_case_close).
NEXT_STEPS: dict[str, tuple[str, ...]] = {
    C.OPENED: (C.ORDERED,),
    C.ORDERED: (C.BANK_INQUIRY,),
    C.BANK_INQUIRY: (C.TRANSFER_ORDERED, C.GUARANTEE, C.COURT_APPLICATION),
    C.TRANSFER_ORDERED: (C.GUARANTEE, C.COURT_APPLICATION),
    C.GUARANTEE: (C.COURT_APPLICATION,),
    C.COURT_APPLICATION: (),
    C.CLOSED: (),
}


# --- notifications of the sweep's status changes -------------------------------------------------


def _status_text(change: StatusChange) -> tuple[str, str]:
    periods = "、".join(change.cause_periods)
    if change.to_status == "arrears":
        return (
            "医保欠费提醒",
            f"您的职工医保{periods}的费用单位尚未缴足，现为欠费状态。参保关系继续，但缴足前医保卡暂不能结算；"
            f"单位缴清后自动恢复。请联系您的单位，或拨打医保服务热线{HOTLINE}。",
        )
    if change.to_status == "interrupted":
        return (
            "医保中断提醒",
            f"您的职工医保{periods}连续3个月没有缴费申报，参保已中断，医保卡暂不能结算。"
            f"恢复就业由单位申报缴费，或以灵活就业人员身份到医保经办机构续保后即可恢复。咨询电话{HOTLINE}。",
        )
    return "医保状态恢复正常", "您的职工医保参保状态已恢复正常，可以正常就医结算。"


def status_changes_notify_later(*, change_ids: Sequence[int]) -> None:
    """After commit, the task sends the messages (in chunks: a big first sweep stays light)."""
    if not change_ids:
        return
    from family_sharing.contributions.tasks import notify_status_changes

    chunks = [list(change_ids[i : i + NOTIFY_CHUNK]) for i in range(0, len(change_ids), NOTIFY_CHUNK)]

    def enqueue() -> None:
        try:
            for chunk in chunks:
                notify_status_changes.delay(chunk)
        except Exception:  # broker unreachable: the nightly task sends what is still unnotified
            log.warning(
                "could not enqueue status-change notifications; the nightly pass sends them", exc_info=True
            )

    transaction.on_commit(enqueue)


@transaction.atomic
def status_changes_notify(*, change_ids: Sequence[int] | None = None, limit: int = NOTIFY_CHUNK) -> int:
    """In-app message and SMS for status changes not yet notified (these ids, or the oldest
    `limit`). Claimed with SKIP LOCKED and marked, so each change is notified exactly once."""
    pending = StatusChange.objects.select_for_update(skip_locked=True, of=("self",)).filter(
        notified_at__isnull=True
    )
    if change_ids is not None:
        pending = pending.filter(pk__in=change_ids)
    changes = list(pending.select_related("person").order_by("pk")[:limit])
    if not changes:
        return 0
    items: list[tuple[Person, str, str]] = [(c.person, *_status_text(c)) for c in changes]
    messages_send_many(items=items)
    StatusChange.objects.filter(pk__in=[c.pk for c in changes]).update(notified_at=timezone.now())
    return len(changes)


# --- employer arrears cases ---------------------------------------------------------------------


def _staff_region(actor: User) -> int:
    if actor.region_id is None:
        raise ApplicationError.of(FORBIDDEN, ContributionError.REGION_NOT_ALLOWED)
    return actor.region_id


@transaction.atomic
def arrears_case_open(
    *, actor: User, employer: Employer, as_of: dt.date | None = None, note: str = ""
) -> ArrearsCase:
    """立案: the employer's periods in the staff member's region whose due date is before `as_of`
    and that are not paid in full become the case's items, with the amounts unpaid now."""
    region_id = _staff_region(actor)
    as_of = as_of or today()
    Employer.objects.select_for_update().get(pk=employer.pk)  # one opening per employer at a time
    if ArrearsCase.objects.filter(employer=employer, region_id=region_id).exclude(status=C.CLOSED).exists():
        raise ApplicationError.of(CONFLICT, ContributionError.CASE_ALREADY_OPEN, field="employer")
    unpaid = list(
        Contribution.objects.filter(
            employer=employer, person__region_id=region_id, due_date__lt=as_of, paid_fen__lt=F("due_fen")
        ).values_list("person_id", "period", "due_date", "due_fen", "paid_fen")
    )
    if not unpaid:
        raise ApplicationError.of(REFUSED, ContributionError.NO_UNPAID_CONTRIBUTIONS, field="employer")
    case = ArrearsCase.objects.create(
        employer=employer, region_id=region_id, opened_on=as_of, opened_by=actor
    )
    ArrearsCaseItem.objects.bulk_create(
        ArrearsCaseItem(case=case, person_id=p, period=period, due_date=due_date, unpaid_fen=due - paid)
        for p, period, due_date, due, paid in unpaid
    )
    ArrearsCaseStep.objects.create(case=case, kind=C.OPENED, done_on=as_of, staff=actor, note=note)
    return case


def document_content_type(file: UploadedFile) -> str | None:
    """What the file's bytes say it is (not its name): PDF, JPEG or PNG, else None."""
    import filetype

    head = file.read(2048)
    file.seek(0)
    kind = filetype.guess(head)
    return kind.mime if kind is not None and kind.mime in DOCUMENT_TYPES else None


def _lock_case(case: ArrearsCase) -> ArrearsCase:
    return ArrearsCase.objects.select_for_update().select_related("employer").get(pk=case.pk)


@transaction.atomic
def arrears_case_step_add(
    *,
    actor: User,
    case: ArrearsCase,
    kind: str,
    done_on: dt.date,
    deadline: dt.date | None = None,
    note: str = "",
    document: UploadedFile | None = None,
) -> ArrearsCaseStep:
    """One dated step of 第63条 by a staff member, with its document; refused (and nothing stored)
    when the step does not follow the case's current one, or its dates or document are wrong."""
    case = _lock_case(case)
    if actor.region_id != case.region_id and not actor.is_superuser:
        raise ApplicationError.of(FORBIDDEN, ContributionError.REGION_NOT_ALLOWED)
    if kind == C.CLOSED:
        return arrears_case_close(actor=actor, case=case, done_on=done_on, note=note)
    if kind not in NEXT_STEPS.get(case.status, ()):
        raise ApplicationError.of(CONFLICT, ContributionError.INVALID_TRANSITION, field="kind")
    reasons = []
    if done_on > today():
        reasons.append(ContributionError.STEP_DATE_IN_FUTURE.reason("done_on"))
    last = case.steps.order_by("-done_on").values_list("done_on", flat=True).first()
    if last is not None and done_on < last:
        reasons.append(ContributionError.STEP_DATE_BEFORE_PREVIOUS.reason("done_on"))
    if kind == C.ORDERED and deadline is None:
        reasons.append(ContributionError.DEADLINE_REQUIRED.reason("deadline"))
    if deadline is not None and deadline < done_on:
        reasons.append(ContributionError.DEADLINE_BEFORE_STEP.reason("deadline"))
    content_type = ""
    if document is not None:
        if document.size is None or document.size > DOCUMENT_MAX_BYTES:
            reasons.append(ContributionError.DOCUMENT_TOO_LARGE.reason("document"))
        else:
            content_type = document_content_type(document) or ""
            if not content_type:
                reasons.append(ContributionError.DOCUMENT_TYPE.reason("document"))
    if reasons:
        raise ApplicationError(INVALID, reasons)
    step = ArrearsCaseStep.objects.create(
        case=case,
        kind=kind,
        done_on=done_on,
        deadline=deadline,
        note=note,
        staff=actor,
        document=document or "",
        document_type=content_type,
    )
    case.status = kind
    if deadline is not None:
        case.deadline = deadline
    case.save(update_fields=["status", "deadline"])
    return step


def _settle_items(*, as_of: dt.date, case_ids: Sequence[object] | None = None) -> None:
    """Marks the open cases' items whose period is now paid in full as settled on `as_of`."""
    only = "AND k.id = ANY(%s::uuid[])" if case_ids is not None else ""
    params: list[Any] = [as_of] + ([[str(c) for c in case_ids]] if case_ids is not None else [])
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            UPDATE family_sharing_arrearscaseitem AS i SET settled_on = %s
              FROM family_sharing_arrearscase AS k, family_sharing_contribution AS c
             WHERE i.case_id = k.id AND k.status <> 'closed' AND i.settled_on IS NULL {only}
               AND c.employer_id = k.employer_id AND c.person_id = i.person_id AND c.period = i.period
               AND c.paid_fen >= c.due_fen
            """,  # noqa: S608 (the only interpolation is the constant filter above)
            params,
        )


@transaction.atomic
def arrears_case_close(
    *, actor: User | None, case: ArrearsCase, done_on: dt.date, note: str = ""
) -> ArrearsCaseStep:
    """结案 when every period of the case is paid in full; refused with case_not_paid otherwise."""
    case = _lock_case(case)
    if case.status == C.CLOSED:
        raise ApplicationError.of(CONFLICT, ContributionError.INVALID_TRANSITION, field="kind")
    _settle_items(as_of=done_on, case_ids=[case.pk])
    if case.items.filter(settled_on__isnull=True).exists():
        raise ApplicationError.of(REFUSED, ContributionError.CASE_NOT_PAID, field="kind")
    step = ArrearsCaseStep.objects.create(
        case=case, kind=C.CLOSED, done_on=done_on, staff=actor, note=note or "欠缴的社会保险费已缴清"
    )
    case.status, case.closed_on = C.CLOSED, done_on
    case.save(update_fields=["status", "closed_on"])
    return step


@transaction.atomic
def arrears_cases_settle(*, as_of: dt.date) -> int:
    """Set-based, for the import and the sweep: items now paid in full are settled, and every open
    case with nothing left unpaid is closed with a system step. Returns the number closed."""
    _settle_items(as_of=as_of)
    paid = list(
        ArrearsCase.objects.select_for_update(skip_locked=True)
        .exclude(status=C.CLOSED)
        .exclude(items__settled_on__isnull=True)
        .order_by("pk")
    )
    for case in paid:
        arrears_case_close(actor=None, case=case, done_on=as_of)
    return len(paid)

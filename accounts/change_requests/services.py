"""Filing, approving and rejecting change requests (maker-checker, DESIGN.md section 6). Nothing of
the target changes until a second bureau officer of the same region approves; the approval applies
the change through its kind in the same transaction. Each act writes a `ChangeRequestEvent`."""

from django.db import IntegrityError, transaction
from django.db.models import Model
from django.utils import timezone

from accounts.change_requests.errors import ChangeRequestError as E
from accounts.change_requests.models import ChangeRequest, ChangeRequestEvent, ChangeStatus, ChangeVerb
from accounts.change_requests.registry import Values, change_kind
from accounts.models import Role, User
from portal.core.errors import CONFLICT, FORBIDDEN, INVALID, ApplicationError


def _officer_region(actor: User) -> int | None:
    """None for a superuser (every region); the bureau officer's region; else refused."""
    if actor.is_superuser:
        return None
    if actor.role != Role.BUREAU or actor.region_id is None:
        raise ApplicationError.of(FORBIDDEN, E.NOT_AN_OFFICER)
    return actor.region_id


def request_create(
    *, kind: str, maker: User, target: Model | None, after: Values, reason: str
) -> ChangeRequest:
    """The maker files a change of `target` (None: a record to add) to the values `after`; the
    request belongs to the maker's region, which must be one of the target's."""
    change = change_kind(kind)
    region = _officer_region(maker)
    reason = (reason or "").strip()
    if not reason:
        raise ApplicationError.of(INVALID, E.REASON_REQUIRED, field="reason")
    subject = change.subject(target, after)
    if region is not None and region not in subject.regions:
        raise ApplicationError.of(FORBIDDEN, E.OTHER_REGION)
    if subject.before == subject.after:
        raise ApplicationError.of(INVALID, E.NOTHING_CHANGED)
    request = ChangeRequest(
        kind=kind,
        region_id=region if region is not None else min(subject.regions),
        target_key=subject.key,
        target_label=subject.label[:200],
        reason=reason[:200],
        maker=maker,
    )
    request.before, request.after = subject.before, subject.after
    try:
        with transaction.atomic():
            request.save(force_insert=True)
            ChangeRequestEvent.objects.create(
                request=request, verb=ChangeVerb.SUBMITTED, actor=maker, note=request.reason
            )
    except IntegrityError as error:  # change_one_pending: the same change of the same record waits
        raise ApplicationError.of(CONFLICT, E.ALREADY_PENDING) from error
    return request


def _locked_for_decision(*, checker: User, request: ChangeRequest) -> ChangeRequest:
    region = _officer_region(checker)
    locked = ChangeRequest.objects.select_for_update().get(pk=request.pk)
    if region is not None and locked.region_id != region:
        raise ApplicationError.of(FORBIDDEN, E.OTHER_REGION)
    if locked.status != ChangeStatus.PENDING:
        raise ApplicationError.of(CONFLICT, E.ALREADY_DECIDED)
    if locked.maker_id == checker.pk:
        raise ApplicationError.of(FORBIDDEN, E.OWN_REQUEST)
    return locked


def _decide(
    *, request: ChangeRequest, checker: User, status: ChangeStatus, verb: ChangeVerb, note: str
) -> None:
    request.status, request.checker, request.decided_at = status, checker, timezone.now()
    request.decision_note = (note or "").strip()[:200]
    request.save(update_fields=["status", "checker", "decided_at", "decision_note"])
    ChangeRequestEvent.objects.create(request=request, verb=verb, actor=checker, note=request.decision_note)


@transaction.atomic
def request_approve(*, checker: User, request: ChangeRequest, note: str = "") -> ChangeRequest:
    """A second officer of the request's region approves: the change is applied now, in this
    transaction, unless the target changed since it was filed (`target_changed`)."""
    request = _locked_for_decision(checker=checker, request=request)
    change = change_kind(request.kind)
    target = change.load(request.target_key)
    if change.subject(target, request.after).before != request.before:
        raise ApplicationError.of(CONFLICT, E.TARGET_CHANGED)
    change.apply(target, request, checker)
    _decide(
        request=request, checker=checker, status=ChangeStatus.APPROVED, verb=ChangeVerb.APPROVED, note=note
    )
    return request


@transaction.atomic
def request_reject(*, checker: User, request: ChangeRequest, note: str = "") -> ChangeRequest:
    """A second officer of the request's region rejects it: nothing changes but the request."""
    request = _locked_for_decision(checker=checker, request=request)
    _decide(
        request=request, checker=checker, status=ChangeStatus.REJECTED, verb=ChangeVerb.REJECTED, note=note
    )
    return request

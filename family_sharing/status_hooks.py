"""Bindings follow the insurance status of the people in them (DESIGN.md sections 6 and 7). The
arrears sweep calls these set-based hooks with the persons whose status changed:

- a sharer who is no longer `normal`: their active bindings are suspended;
- a sharer who is `normal` again: bindings suspended for that cause resume;
- a person who is `terminated`: every live binding they are in ends, both sides notified."""

from collections.abc import Collection

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.notifications import messages_send_many
from family_sharing.errors import SharingError
from family_sharing.models import LIVE_STATUSES, Binding, BindingEvent, BindingStatus, Channel

S = BindingStatus


def bindings_move(
    bindings: list[Binding], to: str, reason: str, subject: str, text: str, *, both: bool
) -> int:
    """Moves locked bindings to `to` in one UPDATE with one event each and notifies the people in them."""
    if not bindings:
        return 0
    now = timezone.now()
    events = [
        BindingEvent(binding=b, from_status=b.status, to_status=to, channel=Channel.SYSTEM, reasons=[reason])
        for b in bindings
    ]
    fields: dict[str, object] = {"status": to, "reasons": [reason], "updated_at": now}
    if to == S.ENDED:
        fields["ended_at"] = now
    Binding.objects.filter(pk__in=[b.pk for b in bindings]).update(**fields)
    BindingEvent.objects.bulk_create(events)
    people = [p for b in bindings for p in ((b.sharer, b.beneficiary) if both else (b.sharer,))]
    messages_send_many(items=[(p, subject, text) for p in people])
    return len(bindings)


def _locked(q: Q) -> list[Binding]:
    return list(
        Binding.objects.select_for_update(of=("self",))
        .filter(q)
        .select_related("sharer", "beneficiary")
        .order_by("pk")
    )


@transaction.atomic
def bindings_suspend_for_sharers(*, sharer_ids: Collection[int]) -> int:
    bindings = _locked(Q(sharer_id__in=sharer_ids, status=S.ACTIVE))
    return bindings_move(
        bindings,
        S.SUSPENDED,
        SharingError.SHARER_STATUS_CHANGED,
        "家庭共济绑定已暂停",
        "您的职工医保参保状态不正常（欠费或中断），家庭共济暂停支付；状态恢复后自动恢复。",
        both=True,
    )


@transaction.atomic
def bindings_resume_for_sharers(*, sharer_ids: Collection[int]) -> int:
    bindings = _locked(
        Q(
            sharer_id__in=sharer_ids,
            status=S.SUSPENDED,
            reasons__contains=[SharingError.SHARER_STATUS_CHANGED.value],
        )
    )
    return bindings_move(
        bindings,
        S.ACTIVE,
        SharingError.SHARER_STATUS_RESTORED,
        "家庭共济绑定已恢复",
        "您的职工医保参保状态已恢复正常，家庭共济恢复支付。",
        both=True,
    )


@transaction.atomic
def bindings_end_for_persons(*, person_ids: Collection[int]) -> int:
    bindings = _locked(
        (Q(sharer_id__in=person_ids) | Q(beneficiary_id__in=person_ids)) & Q(status__in=LIVE_STATUSES)
    )
    return bindings_move(
        bindings,
        S.ENDED,
        SharingError.PERSON_TERMINATED,
        "家庭共济绑定已终止",
        "因一方参保关系终止，家庭共济绑定已结束。",
        both=True,
    )

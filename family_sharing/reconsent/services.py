"""The young person's answer to a re-consent request: confirm (the binding stays, or returns to,
active) or decline (revoked). Only the beneficiary answers; the sharer, a guardian or anyone else is
refused with `reconsent_not_allowed` and nothing changes."""

from django.db import transaction
from django.utils import timezone

from accounts.models import InsuranceStatus, User
from accounts.notifications import message_send
from family_sharing.errors import SharingError
from family_sharing.models import Binding, BindingEvent, BindingStatus, Channel
from family_sharing.reconsent.models import ReconsentAnswer, ReconsentRequest
from family_sharing.services import transition
from portal.core.errors import CONFLICT, FORBIDDEN, ApplicationError

S = BindingStatus
ANSWERABLE = (S.ACTIVE, S.SUSPENDED)


def _confirm(*, actor: User, binding: Binding) -> None:
    """Suspended for want of this answer: active again, or, when the sharer is not `normal` now,
    still suspended for that cause (so the arrears sweep resumes it). Otherwise it stays as it is
    and the confirmation is recorded."""
    confirmed = SharingError.RECONSENT_CONFIRMED.value
    held = binding.status == S.SUSPENDED and binding.reasons == [SharingError.RECONSENT_REQUIRED.value]
    if held and binding.sharer.status == InsuranceStatus.NORMAL:
        transition(binding, S.ACTIVE, actor=actor, channel=Channel.WEB, reasons=[confirmed])
    else:
        reasons = [confirmed]
        if held:
            binding.reasons = [SharingError.SHARER_STATUS_CHANGED.value]
            binding.save(update_fields=["reasons", "updated_at"])
            reasons.append(SharingError.SHARER_STATUS_CHANGED.value)
        BindingEvent.objects.create(
            binding=binding,
            from_status=binding.status,
            to_status=binding.status,
            actor=actor,
            channel=Channel.WEB,
            reasons=reasons,
        )
    name = binding.beneficiary.name_masked
    back = "，家庭共济恢复支付" if held and binding.status == S.ACTIVE else ""
    message_send(
        person=binding.sharer,
        subject="家庭共济绑定已由本人确认",
        body=f"{name}已年满16周岁，本人确认继续接受您的家庭共济{back}。",
        sms=held,
    )


@transaction.atomic
def binding_reconsent(*, actor: User, binding: Binding, accept: bool) -> Binding:
    """The beneficiary, asked at 16, confirms (`accept`) or declines the binding."""
    binding = (
        Binding.objects.select_for_update(of=("self",))
        .select_related("sharer", "beneficiary", "relation_code")
        .get(pk=binding.pk)
    )
    if actor.person_id is None or actor.person_id != binding.beneficiary_id:
        raise ApplicationError.of(FORBIDDEN, SharingError.RECONSENT_NOT_ALLOWED)
    request = ReconsentRequest.objects.select_for_update().filter(binding=binding, answer="").first()
    if request is None or binding.status not in ANSWERABLE:
        raise ApplicationError.of(CONFLICT, SharingError.RECONSENT_NOT_PENDING)
    request.answer = ReconsentAnswer.CONFIRMED if accept else ReconsentAnswer.DECLINED
    request.answered_at, request.answered_by = timezone.now(), actor
    request.save(update_fields=["answer", "answered_at", "answered_by"])
    if accept:
        _confirm(actor=actor, binding=binding)
    else:
        transition(
            binding, S.REVOKED, actor=actor, channel=Channel.WEB, reasons=[SharingError.RECONSENT_DECLINED]
        )
        message_send(
            person=binding.sharer,
            subject="家庭共济绑定已解除",
            body=f"{binding.beneficiary.name_masked}已年满16周岁，本人不同意继续接受您的家庭共济，"
            "绑定已解除，今后不能再用您的个人账户为其支付。",
        )
    return binding

"""What the bureau's binding admin shows of re-consent at 16, read-only: a list column and filter
(`BindingAdmin`), and the request on the binding's page. Nobody changes a request here: only the
young person answers it."""

from typing import Any

from django.contrib import admin
from django.db.models import Q, QuerySet
from django.http import HttpRequest

from family_sharing.errors import SharingError
from family_sharing.models import Binding, BindingStatus
from family_sharing.reconsent.models import ReconsentAnswer, ReconsentRequest

_HELD = Q(status=BindingStatus.SUSPENDED, reasons__contains=[SharingError.RECONSENT_REQUIRED.value])
_OPEN = Q(reconsent__answer="")
STATES: dict[str, tuple[str, Q]] = {
    "waiting": ("待本人确认", _OPEN & Q(status=BindingStatus.ACTIVE)),
    "held": ("逾期未确认，已暂停", _OPEN & _HELD),
    "confirmed": ("本人已确认", Q(reconsent__answer=ReconsentAnswer.CONFIRMED)),
    "declined": ("本人不同意，已解除", Q(reconsent__answer=ReconsentAnswer.DECLINED)),
    "guardian": ("监护人同意，尚未询问", Q(guardian_consent=True, reconsent__isnull=True)),
}


@admin.display(description="年满16周岁本人确认")
def reconsent_state(binding: Binding) -> str:
    """The re-consent state in words for the list (the binding has `reconsent` selected)."""
    try:
        request = binding.reconsent
    except ReconsentRequest.DoesNotExist:
        return "监护人同意，尚未询问" if binding.guardian_consent else "—"
    if request.answer == ReconsentAnswer.CONFIRMED:
        return f"本人已确认（{request.answered_at:%Y-%m-%d}）" if request.answered_at else "本人已确认"
    if request.answer == ReconsentAnswer.DECLINED:
        return "本人不同意，已解除"
    if binding.status == BindingStatus.ACTIVE:
        return f"待本人确认（最晚 {request.due_on:%Y-%m-%d}）"
    if binding.status == BindingStatus.SUSPENDED and SharingError.RECONSENT_REQUIRED in binding.reasons:
        return "逾期未确认，已暂停"
    return "未答复"


class ReconsentStateFilter(admin.SimpleListFilter):
    title = "年满16周岁本人确认"
    parameter_name = "reconsent"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [(key, label) for key, (label, _) in STATES.items()]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Binding]) -> QuerySet[Binding]:
        state = STATES.get(self.value() or "")
        return queryset.filter(state[1]) if state else queryset


class ReconsentInline(admin.StackedInline):
    model = ReconsentRequest
    extra = 0
    can_delete = False
    fields = readonly_fields = ("requested_on", "due_on", "answer", "answered_at", "answered_by")
    verbose_name = verbose_name_plural = "年满16周岁本人确认"

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

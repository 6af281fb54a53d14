"""Bureau staff's admin for settlements and reversals: read-only (the counter and the API write them),
searched by a full card number (shown masked), scoped to the staff member's pooling region."""

from typing import Any

from django.contrib import admin
from django.db.models import Q, QuerySet
from django.http import HttpRequest

from accounts.identity import normalize_card_number
from family_sharing.settlement.models import Reversal, Settlement
from portal.admin_helpers import ReadOnlyAdmin, staff_region_id
from portal.core.masking import mask_card, mask_name


def _card(term: str) -> str | None:
    card = normalize_card_number(term)
    return card if len(card) == 9 and card[0].isalpha() and card[1:].isdigit() else None


class ReversalInline(admin.StackedInline):
    model = Reversal
    extra = 0
    can_delete = False
    fields = readonly_fields = ("created_at", "reason", "staff", "entry")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Settlement)
class SettlementAdmin(ReadOnlyAdmin):
    list_display = [
        "created_at",
        "institution",
        "category",
        "amount_fen",
        "sharer_masked",
        "sharer_card_masked",
        "beneficiary_masked",
        "beneficiary_card_masked",
        "reversed",
    ]
    list_filter = ["category"]
    list_select_related = ["binding__sharer", "binding__beneficiary", "institution", "reversal"]
    search_fields = ["binding__sharer__card_number"]
    search_help_text = "输入完整的社会保障卡号（共济人或被共济人）"
    show_full_result_count = False
    date_hierarchy = "created_at"
    fields = readonly_fields = (
        "id",
        "created_at",
        "institution",
        "scope",
        "staff",
        "category",
        "amount_fen",
        "description",
        "sharer_masked",
        "sharer_card_masked",
        "beneficiary_masked",
        "beneficiary_card_masked",
        "binding",
        "entry",
        "idempotency_key",
    )
    inlines = [ReversalInline]

    @admin.display(description="共济人")
    def sharer_masked(self, obj: Settlement) -> str:
        return mask_name(obj.binding.sharer.name)

    @admin.display(description="共济人卡号")
    def sharer_card_masked(self, obj: Settlement) -> str:
        return mask_card(obj.binding.sharer.card_number)

    @admin.display(description="被共济人")
    def beneficiary_masked(self, obj: Settlement) -> str:
        return mask_name(obj.binding.beneficiary.name)

    @admin.display(description="被共济人卡号")
    def beneficiary_card_masked(self, obj: Settlement) -> str:
        return mask_card(obj.binding.beneficiary.card_number)

    @admin.display(description="已冲正", boolean=True)
    def reversed(self, obj: Settlement) -> bool:
        return hasattr(obj, "reversal")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Settlement]:
        qs = super().get_queryset(request)
        region = staff_region_id(request)
        if region is None:
            return qs
        return qs.filter(Q(binding__sharer__region_id=region) | Q(binding__beneficiary__region_id=region))

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Settlement], search_term: str
    ) -> tuple[QuerySet[Settlement], bool]:
        """Only a whole card number finds anything (no partial matching on personal numbers)."""
        if not search_term.strip():
            return queryset, False
        card = _card(search_term.strip())
        if card is None:
            return queryset.none(), False
        return queryset.filter(
            Q(binding__sharer__card_number=card) | Q(binding__beneficiary__card_number=card)
        ), False


@admin.register(Reversal)
class ReversalAdmin(ReadOnlyAdmin):
    """冲正记录: who reversed which settlement, when and why."""

    list_display = ["created_at", "settlement", "amount", "reason", "staff"]
    list_select_related = ["settlement", "staff"]
    date_hierarchy = "created_at"
    show_full_result_count = False
    fields = readonly_fields = ("created_at", "settlement", "amount", "reason", "staff", "entry")

    @admin.display(description="金额（分）")
    def amount(self, obj: Reversal) -> int:
        return obj.settlement.amount_fen

    def get_queryset(self, request: HttpRequest) -> QuerySet[Reversal]:
        qs = super().get_queryset(request)
        region = staff_region_id(request)
        if region is None:
            return qs
        return qs.filter(
            Q(settlement__binding__sharer__region_id=region)
            | Q(settlement__binding__beneficiary__region_id=region)
        )

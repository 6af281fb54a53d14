"""Bureau staff's admin for settlements and reversals: read-only (the counter and the API write them),
searched by a full card number (shown masked), scoped to the staff member's pooling region."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from accounts.admin_lookup import PersonFilteredAdmin
from family_sharing.settlement.models import Reversal, Settlement
from portal.admin_helpers import ReadOnlyAdmin, RegionScopedAdmin
from portal.core.masking import mask_card, mask_name


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
class SettlementAdmin(PersonFilteredAdmin, ReadOnlyAdmin, RegionScopedAdmin):
    region_paths = ("binding__sharer__region", "binding__beneficiary__region")
    person_paths = ("binding__sharer", "binding__beneficiary")
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


@admin.register(Reversal)
class ReversalAdmin(ReadOnlyAdmin, RegionScopedAdmin):
    """冲正记录: who reversed which settlement, when and why."""

    region_paths = ("settlement__binding__sharer__region", "settlement__binding__beneficiary__region")

    list_display = ["created_at", "settlement", "amount", "reason", "staff"]
    list_select_related = ["settlement", "staff"]
    date_hierarchy = "created_at"
    show_full_result_count = False
    fields = readonly_fields = ("created_at", "settlement", "amount", "reason", "staff", "entry")

    @admin.display(description="金额（分）")
    def amount(self, obj: Reversal) -> int:
        return obj.settlement.amount_fen

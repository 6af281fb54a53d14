"""Bureau staff's view of family-service delegations (region of the principal), their documents and
acts. Read-only: delegations are added by the agent and confirmed or revoked by the principal."""

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html

from accounts.delegations.models import Delegation, DelegationAct, DelegationDocument
from accounts.models import User


def _region_id(request: HttpRequest) -> int | None:
    user: User = request.user  # type: ignore[assignment]
    return None if user.is_superuser else (user.region_id or -1)


class DocumentInline(admin.TabularInline):
    model = DelegationDocument
    extra = 0
    can_delete = False
    fields = readonly_fields = ("kind", "content_type", "size", "uploaded_at", "open_file")

    @admin.display(description="文件")
    def open_file(self, obj: DelegationDocument) -> str:
        return (
            format_html('<a href="{}" target="_blank" rel="noopener">打开</a>', obj.file.url)
            if obj.file
            else ""
        )

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ActInline(admin.TabularInline):
    model = DelegationAct
    extra = 0
    can_delete = False
    fields = readonly_fields = ("at", "scope", "action", "detail")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Delegation)
class DelegationAdmin(admin.ModelAdmin):
    list_display = ["created_at", "agent", "principal", "relation", "scopes", "status"]
    list_filter = ["status"]
    list_select_related = ["agent", "principal", "relation"]
    search_fields = ["principal__card_number"]
    search_help_text = "输入委托人完整的社会保障卡号"
    show_full_result_count = False
    fields = readonly_fields = (
        "agent",
        "principal",
        "relation",
        "scopes",
        "status",
        "principal_minor",
        "created_at",
        "confirmed_at",
        "ended_at",
    )
    inlines = [DocumentInline, ActInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Delegation]:
        qs = super().get_queryset(request)
        region = _region_id(request)
        return qs if region is None else qs.filter(principal__region_id=region)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(DelegationAct)
class DelegationActAdmin(admin.ModelAdmin):
    list_display = ["at", "agent", "principal", "scope", "action"]
    list_filter = ["scope"]
    list_select_related = ["agent", "principal"]
    fields = readonly_fields = ("delegation", "agent", "principal", "scope", "action", "detail", "at")

    def get_queryset(self, request: HttpRequest) -> QuerySet[DelegationAct]:
        qs = super().get_queryset(request)
        region = _region_id(request)
        return qs if region is None else qs.filter(principal__region_id=region)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

"""Bureau staff's view of family-service delegations (region of the principal), their documents and
acts. Read-only but for one write: staff may revoke a live delegation with a reason (through
`delegation_revoke_by_staff`, which records who and why). Delegations are added by the agent and
confirmed or revoked by the principal (or a minor's guardian) on /family-service/."""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html

from accounts.delegations.models import LIVE_DELEGATION, Delegation, DelegationAct, DelegationDocument
from accounts.delegations.services import delegation_revoke_by_staff
from portal.admin_helpers import (
    DocumentFilesAdmin,
    ReadOnlyAdmin,
    ReadOnlyInline,
    UploadedDocumentInline,
    form_page,
    staff_region_id,
)
from portal.core.errors import ApplicationError, Reason


class DocumentInline(UploadedDocumentInline):
    model = DelegationDocument
    fields = readonly_fields = ("kind", "content_type", "size", "uploaded_at", "open_file")


class ActInline(ReadOnlyInline):
    model = DelegationAct
    fields = readonly_fields = ("at", "scope", "action", "detail")


class RevokeForm(forms.Form):
    reason = forms.CharField(
        label="撤销原因",
        max_length=200,
        required=False,  # the service refuses an empty reason with its own code
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="会告知代办人和成年委托人，例如：身份证件系伪造",
    )


@admin.register(Delegation)
class DelegationAdmin(DocumentFilesAdmin, ReadOnlyAdmin):
    list_display = ["created_at", "agent", "principal", "relation", "scopes", "status", "revoke_link"]
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
        "revoked_by",
        "revoke_reason",
    )
    inlines = [DocumentInline, ActInline]
    document_model = DelegationDocument
    document_parent = "delegation"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Delegation]:
        qs = super().get_queryset(request)
        region = staff_region_id(request)
        return qs if region is None else qs.filter(principal__region_id=region)

    def _may_revoke(self, request: HttpRequest) -> bool:
        return request.user.has_perm("accounts.change_delegation")

    @admin.display(description="办理")
    def revoke_link(self, obj: Delegation) -> str:
        if obj.status not in LIVE_DELEGATION:
            return ""
        url = reverse("admin:accounts_delegation_revoke", args=[obj.pk])
        return format_html('<a href="{}">撤销授权</a>', url)

    def get_urls(self) -> list[URLPattern]:
        view = self.admin_site.admin_view(self.revoke_view)
        return [
            path("<uuid:delegation_id>/revoke/", view, name="accounts_delegation_revoke"),
            *super().get_urls(),
        ]

    def revoke_view(self, request: HttpRequest, delegation_id: Any) -> HttpResponse:
        """撤销授权: the reason is recorded on the delegation and sent to the people concerned."""
        if not self._may_revoke(request):
            raise Http404
        delegation = self.get_queryset(request).filter(pk=delegation_id).first()
        if delegation is None:
            raise Http404
        form = RevokeForm(request.POST or None)
        errors: list[Reason] = []
        if request.method == "POST" and form.is_valid():
            try:
                delegation_revoke_by_staff(
                    actor=request.user,  # type: ignore[arg-type]
                    delegation=delegation,
                    reason=form.cleaned_data["reason"],
                )
            except ApplicationError as error:
                errors = error.details or [Reason(error.code, error.message)]
            else:
                messages.success(request, "已撤销授权，并已通知代办人。")
                return HttpResponseRedirect(reverse("admin:accounts_delegation_changelist"))
        return form_page(
            request,
            self.admin_site,
            title=f"撤销亲情服务授权：{delegation}",
            intro="撤销后代办人立即不能再为委托人办理任何业务。",
            form=form,
            errors=errors,
            submit_label="撤销授权",
        )


@admin.register(DelegationAct)
class DelegationActAdmin(ReadOnlyAdmin):
    list_display = ["at", "agent", "principal", "scope", "action"]
    list_filter = ["scope"]
    list_select_related = ["agent", "principal"]
    fields = readonly_fields = ("delegation", "agent", "principal", "scope", "action", "detail", "at")

    def get_queryset(self, request: HttpRequest) -> QuerySet[DelegationAct]:
        qs = super().get_queryset(request)
        region = staff_region_id(request)
        return qs if region is None else qs.filter(principal__region_id=region)

"""The bureau's queue of change requests: its own region's only (`RegionScopedAdmin`), each with a
before/after table (masked) and, for a second officer who may decide it, Approve and Reject as POST
forms. Nobody adds, edits or deletes a request here: they are filed by the pages that change records
(`change_request_filed`) and decided through the two buttons, which call the services."""

from typing import Any

from django.contrib import admin, messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext as _t
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from accounts.change_requests.models import ChangeRequest, ChangeRequestEvent
from accounts.change_requests.selectors import request_may_decide, request_rows
from accounts.change_requests.services import request_approve, request_reject
from accounts.models import User
from portal.admin_helpers import ReadOnlyAdmin, ReadOnlyInline, RegionScopedAdmin
from portal.core.errors import ApplicationError

FILED = _("已提交，待另一位经办人复核")


def change_request_filed(request: HttpRequest, change: ChangeRequest) -> HttpResponseRedirect:
    """What a page that filed a change answers: the message, then the request's own page."""
    messages.success(request, f"{FILED}（{change.kind_label}：{change.target_label}）")
    return HttpResponseRedirect(reverse("admin:accounts_changerequest_change", args=[change.pk]))


class ChangeRequestEventInline(ReadOnlyInline):
    model = ChangeRequestEvent
    fields = readonly_fields = ("at", "verb", "actor", "note")
    verbose_name = verbose_name_plural = _("经办记录")


@admin.register(ChangeRequest)
class ChangeRequestAdmin(ReadOnlyAdmin, RegionScopedAdmin):
    region_paths = ("region",)
    list_display = ["created_at", "kind_shown", "target_label", "maker", "status", "checker", "decided_at"]
    list_filter = ["status", "kind"]
    list_select_related = ["maker", "checker"]
    show_full_result_count = False
    fields = readonly_fields = (
        "kind_shown",
        "target_label",
        "region",
        "reason",
        "maker",
        "created_at",
        "status",
        "checker",
        "decided_at",
        "decision_note",
    )
    inlines = [ChangeRequestEventInline]

    @admin.display(description=_("变更类型"))
    def kind_shown(self, obj: ChangeRequest) -> str:
        return obj.kind_label

    def get_urls(self) -> list[URLPattern]:
        decide = self.admin_site.admin_view(require_POST(self.decide_view))
        return [
            path("<path:object_id>/decide/", decide, name="accounts_changerequest_decide"),
            *super().get_urls(),
        ]

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        change = self.get_object(request, object_id)
        if change is None:  # another region's, or none: the same answer
            raise Http404
        viewer: User = request.user  # type: ignore[assignment]
        context = {
            **(extra_context or {}),
            "change_rows": request_rows(change),
            "may_decide": self._may_decide(request) and request_may_decide(viewer=viewer, request=change),
            "decide_url": reverse("admin:accounts_changerequest_decide", args=[change.pk]),
        }
        return super().change_view(request, object_id, form_url, context)

    def _may_decide(self, request: HttpRequest) -> bool:
        return request.user.has_perm("accounts.change_changerequest")

    def decide_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """POST `decision` = approve | reject, with an optional `note`."""
        change = self.get_object(request, object_id)
        if change is None or not self._may_decide(request):
            raise Http404
        decision, note = request.POST.get("decision"), request.POST.get("note", "")
        checker: User = request.user  # type: ignore[assignment]
        try:
            if decision == "approve":
                request_approve(checker=checker, request=change, note=note)
                messages.success(request, _t("已复核通过，变更已生效"))
            elif decision == "reject":
                request_reject(checker=checker, request=change, note=note)
                messages.success(request, _t("已驳回，记录未作变更"))
            else:
                messages.error(request, _t("请选择通过或驳回"))
        except ApplicationError as error:
            messages.error(request, f"{_t(error.message)}（{error.code}）")
        return HttpResponseRedirect(reverse("admin:accounts_changerequest_change", args=[change.pk]))

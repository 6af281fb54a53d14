"""The family-sharing admin's side of maker-checker (DESIGN.md section 6): saving a registry edge
(added, changed, or ended by giving it an end date) and approving binding evidence file change
requests for a second officer instead of writing (accounts/change_requests/)."""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils.translation import gettext as _t
from django.utils.translation import gettext_lazy as _

from accounts.change_requests.admin import change_request_filed
from accounts.change_requests.models import ChangeRequest
from accounts.change_requests.services import request_create
from accounts.models import User
from family_sharing.change_kinds import (
    EDGE_ADD,
    EDGE_CHANGE,
    EDGE_END,
    EDGE_FIELDS,
    EVIDENCE_APPROVE,
    edge_values,
)
from family_sharing.models import Evidence, EvidenceReview, KinshipEdge
from portal.core.errors import ApplicationError

_FILED = "_portal_change_request"


class KinshipEdgeForm(forms.ModelForm):
    change_reason = forms.CharField(
        label=_("变更原因"),
        max_length=200,
        help_text=_("例如：本人持户口本、结婚证到窗口申请；提交后须另一位经办人复核才生效"),
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    class Meta:
        model = KinshipEdge
        fields = list(EDGE_FIELDS)


class KinshipEdgeChangeAdmin(admin.ModelAdmin):
    """Mixed into KinshipEdgeAdmin: the form's save files a request; the edge is not written."""

    form = KinshipEdgeForm

    def save_model(self, request: HttpRequest, obj: KinshipEdge, form: Any, change: bool) -> None:
        target: KinshipEdge | None = None
        if change:
            target = KinshipEdge.objects.get(pk=obj.pk)
            names = [name for name in EDGE_FIELDS if name in form.changed_data]
            ends = names == ["valid_to"] and target.valid_to is None and obj.valid_to is not None
            kind, after = (EDGE_END if ends else EDGE_CHANGE), edge_values(obj, names)
        else:
            kind, after = EDGE_ADD, edge_values(obj)
        maker: User = request.user  # type: ignore[assignment]
        try:
            filed = request_create(
                kind=kind, maker=maker, target=target, after=after, reason=form.cleaned_data["change_reason"]
            )
        except ApplicationError as error:
            messages.error(request, f"{_t(error.message)}（{error.code}）")
        else:
            setattr(request, _FILED, filed)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        """Nothing was written; nothing related either."""

    def log_addition(self, request: HttpRequest, obj: Any, message: Any) -> Any:
        """The change request's own record says who filed what (ChangeRequestEvent)."""
        return None

    def log_change(self, request: HttpRequest, obj: Any, message: Any) -> Any:
        """As `log_addition`."""
        return None

    def _filed_response(self, request: HttpRequest) -> HttpResponse:
        filed: ChangeRequest | None = getattr(request, _FILED, None)
        if filed is not None:
            return change_request_filed(request, filed)
        return HttpResponseRedirect(request.path)  # the form again, with the refusal's message

    def response_add(
        self, request: HttpRequest, obj: Any, post_url_continue: str | None = None
    ) -> HttpResponse:
        return self._filed_response(request)

    def response_change(self, request: HttpRequest, obj: Any) -> HttpResponse:
        return self._filed_response(request)


def evidence_approval_file(request: HttpRequest, queryset: QuerySet[Evidence]) -> None:
    """The evidence admin's approve action: one request per pending document, for a second officer."""
    maker: User = request.user  # type: ignore[assignment]
    filed = 0
    for evidence in queryset.filter(review=EvidenceReview.PENDING).select_related(
        "binding__sharer", "binding__beneficiary"
    ):
        try:
            request_create(
                kind=EVIDENCE_APPROVE,
                maker=maker,
                target=evidence,
                after={"review": EvidenceReview.APPROVED.value},
                reason=_t("证明材料经审核无误"),
            )
            filed += 1
        except ApplicationError as error:
            messages.error(request, f"{evidence}: {_t(error.message)}（{error.code}）")
    if filed:
        messages.success(
            request, _t("已提交 %(count)s 份材料的审核通过，待另一位经办人复核") % {"count": filed}
        )

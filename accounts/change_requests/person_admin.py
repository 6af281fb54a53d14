"""The person admin's side of maker-checker: saving a person's name, identity number or card files
a change request (`person_identity`) instead of writing them; the other fields save as before."""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _t
from django.utils.translation import gettext_lazy as _

from accounts.change_requests.admin import change_request_filed
from accounts.change_requests.kinds import PERSON_IDENTITY
from accounts.change_requests.models import ChangeRequest
from accounts.change_requests.registry import change_kind
from accounts.change_requests.services import request_create
from accounts.models import Person, User
from portal.admin_helpers import _HISTORY_FORM
from portal.core.errors import ApplicationError

EDITED_IDENTITY_FIELDS = ("name", "card_number")
_FILED = "_portal_change_request"


class PersonIdentityForm(forms.ModelForm):
    new_id_number = forms.CharField(
        label=_("新公民身份号码"),
        required=False,
        max_length=18,
        help_text=_("只在更正登记错误时填写；提交后须另一位经办人复核才生效"),
    )
    change_reason = forms.CharField(
        label=_("身份信息变更原因"),
        required=False,
        max_length=200,
        help_text=_("变更姓名、身份证号或社会保障卡号时必填，例如：本人持户口本到窗口申请更正"),
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def identity_after(self) -> dict[str, Any]:
        after = {f: self.cleaned_data[f] for f in EDITED_IDENTITY_FIELDS if f in self.changed_data}
        if self.cleaned_data.get("new_id_number"):
            after["id_number"] = self.cleaned_data["new_id_number"]
        return after

    def clean(self) -> dict[str, Any]:
        """The identity change checked as the request will be (shape, numbers nobody else's)."""
        cleaned = super().clean() or {}
        after = self.identity_after() if self.instance.pk else {}
        if not after:
            return cleaned
        if not (cleaned.get("change_reason") or "").strip():
            self.add_error("change_reason", _t("请填写变更原因"))
        stored = Person.objects.get(pk=self.instance.pk)
        try:
            change_kind(PERSON_IDENTITY).subject(stored, after)
        except ApplicationError as error:
            for reason in error.details:
                field = reason.field if reason.field in self.fields else "new_id_number"
                self.add_error(field, _t(reason.message))
        return cleaned


class PersonIdentityChangeAdmin(admin.ModelAdmin):
    """Mixed into PersonAdmin."""

    form = PersonIdentityForm

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fields = list(super().get_fields(request, obj))
        if obj is None or getattr(request, _HISTORY_FORM, False):  # an add page, or a past version
            return [f for f in fields if f not in ("new_id_number", "change_reason")]
        return fields

    def save_model(self, request: HttpRequest, obj: Person, form: Any, change: bool) -> None:
        after = form.identity_after() if change else {}
        if not after:
            super().save_model(request, obj, form, change)
            return
        stored = Person.objects.get(pk=obj.pk)
        for name in EDITED_IDENTITY_FIELDS:  # the identity fields wait for the checker
            setattr(obj, name, getattr(stored, name))
        super().save_model(request, obj, form, change)
        maker: User = request.user  # type: ignore[assignment]
        try:
            filed = request_create(
                kind=PERSON_IDENTITY,
                maker=maker,
                target=stored,
                after=after,
                reason=form.cleaned_data["change_reason"],
            )
        except ApplicationError as error:
            messages.error(request, f"{_t(error.message)}（{error.code}）")
        else:
            setattr(request, _FILED, filed)

    def response_change(self, request: HttpRequest, obj: Person) -> HttpResponse:
        filed: ChangeRequest | None = getattr(request, _FILED, None)
        if filed is not None:
            return change_request_filed(request, filed)
        return super().response_change(request, obj)

"""Forms of the certification page: shape only; the rules are in the services."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.forms import PortalCharField, PortalForm


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class DocumentsField(forms.FileField):
    """One or more files; the service judges each by its content."""

    widget = MultipleFileInput

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(d, initial) for d in data if d]
        return [single(data, initial)] if data else []


class HomeVisitForm(PortalForm):
    reason = forms.ChoiceField(
        label=_("申请上门的原因"),
        choices=[
            ("", _("请选择")),
            ("mobility", _("行动不便")),
            ("hospital", _("长期住院")),
            ("elsewhere", _("异地居住")),
        ],
    )
    address = PortalCharField(
        label=_("上门地址"), max_length=200, help_text=_("工作人员上门的详细地址，例如医院名称和床号")
    )
    note = forms.CharField(
        label=_("补充说明（选填）"), max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    documents = DocumentsField(
        label=_("证明材料"),
        required=False,
        help_text=_("病历、住院证明或居住证明的照片或扫描件，PDF、JPG 或 PNG，每个不超过5 MB，可选多个"),
        widget=MultipleFileInput(
            attrs={"accept": "application/pdf,image/jpeg,image/png,.pdf,.jpg,.jpeg,.png"}
        ),
    )

"""The 添加亲情服务 form: shape only (delegation_create decides)."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.delegations.models import Scope
from accounts.forms import PortalCharField, PortalForm
from accounts.models import RelationCode

SCOPE_CHOICES = [
    (Scope.VIEW_RIGHTS.value, _("查看权益单（参保险种、状态、余额、认证情况）")),
    (Scope.CERTIFY.value, _("代为发起养老金资格认证")),
    (Scope.TRANSFER_APPLICATION.value, _("代办医保关系转移接续申请")),
    (Scope.USE_BALANCE.value, _("使用个人账户余额")),
]
FILE_TYPES = "application/pdf,image/jpeg,image/png,.pdf,.jpg,.jpeg,.png"


class DelegationForm(PortalForm):
    principal_name = PortalCharField(
        label=_("亲属姓名"), max_length=50, widget=forms.TextInput(attrs={"autocomplete": "off"})
    )
    principal_card_number = PortalCharField(
        label=_("亲属社会保障卡号"),
        max_length=16,
        help_text=_("1个大写字母加8位数字"),
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters"}),
    )
    relation_code = forms.ChoiceField(label=_("TA是您的"), choices=())
    scopes = forms.MultipleChoiceField(
        label=_("授权范围"), choices=SCOPE_CHOICES, required=False, widget=forms.CheckboxSelectMultiple
    )
    id_document = forms.FileField(
        label=_("亲属的身份证件"),
        required=False,
        help_text=_("身份证正反面的照片或扫描件，PDF、JPG 或 PNG，不超过5 MB"),
        widget=forms.FileInput(attrs={"accept": FILE_TYPES}),
    )
    face_photo = forms.FileField(
        label=_("亲属的面部照片（未满16周岁时必传）"),
        required=False,
        help_text=_("JPG 或 PNG，不超过5 MB"),
        widget=forms.FileInput(attrs={"accept": "image/jpeg,image/png,.jpg,.jpeg,.png"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        rows = RelationCode.objects.filter(near_relative=True).order_by("code")
        field = self.fields["relation_code"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", _("请选择")), *[(r.code, r.name_shown) for r in rows]]


class StaffOpenForm(forms.Form):
    """为未满16周岁的孩子开通亲情服务 in the admin, after the officer checked the documents: who the
    child and the agent are (card number and name, as on their documents) and what was seen.
    The admin is Chinese only, as the rest of it."""

    principal_name = forms.CharField(label="孩子姓名", max_length=50)
    principal_card_number = forms.CharField(label="孩子社会保障卡号", max_length=16)
    agent_name = forms.CharField(label="代办人（监护人）姓名", max_length=50)
    agent_card_number = forms.CharField(
        label="代办人社会保障卡号", max_length=16, help_text="代办人须已在门户注册"
    )
    relation_code = forms.ChoiceField(label="孩子是代办人的", choices=())
    scopes = forms.MultipleChoiceField(
        label="授权范围", choices=SCOPE_CHOICES, required=False, widget=forms.CheckboxSelectMultiple
    )
    documents_checked = forms.CharField(
        label="核验的证件",
        max_length=200,
        required=False,  # the service refuses an empty one with its own code
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="例如：户口簿、出生医学证明、监护人身份证、法院指定监护的判决书",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        rows = RelationCode.objects.filter(near_relative=True).order_by("code")
        field = self.fields["relation_code"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", "请选择"), *[(r.code, r.name_shown) for r in rows]]

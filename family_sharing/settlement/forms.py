"""Forms of the counter's settlement pages. Shape only: card numbers, the amount in yuan (turned into
integer fen with Decimal, never float), the reason of a reversal. The rules are the services'."""

import re
import unicodedata
import uuid
from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _

from accounts.errors import AccountsError
from accounts.forms import PortalCharField, reason_error
from accounts.identity import CARD_SHAPE, normalize_card_number
from family_sharing.forms import SharingForm
from family_sharing.models import Binding
from family_sharing.settlement.errors import SettlementError
from family_sharing.settlement.models import AMOUNT_MAX_FEN

# The Chinese texts of the settlement reasons the counter pages show, marked so that makemessages
# collects them for the English catalogue; a test checks that they still equal SettlementError's.
REASON_MSGIDS: dict[SettlementError, str] = {
    SettlementError.AMOUNT_NOT_INTEGER: gettext_noop("金额应为整数，单位是分"),
    SettlementError.AMOUNT_NOT_POSITIVE: gettext_noop("金额必须大于0"),
    SettlementError.AMOUNT_TOO_LARGE: gettext_noop("金额过大，单笔不能超过1000000元"),
    SettlementError.CATEGORY_UNKNOWN: gettext_noop(
        "类别应为 medical_self_pay、pharmacy 或 resident_contribution"
    ),
    SettlementError.IDEMPOTENCY_KEY_MISSING: gettext_noop("请求头缺少 Idempotency-Key"),
    SettlementError.IDEMPOTENCY_KEY_INVALID: gettext_noop("Idempotency-Key 应为1到64个可见ASCII字符"),
    SettlementError.REVERSAL_REASON_REQUIRED: gettext_noop("请填写冲正原因"),
    SettlementError.CARD_NOT_FOUND: gettext_noop("未找到该社会保障卡"),
    SettlementError.BINDING_NOT_ACTIVE: gettext_noop("两人之间没有已生效的共济绑定"),
    SettlementError.SHARER_NOT_NORMAL: gettext_noop("共济人参保状态不正常（欠费、中断或终止）时不能共济"),
    SettlementError.INSUFFICIENT_BALANCE: gettext_noop("共济人个人账户余额不足"),
    SettlementError.BINDING_LIMIT_EXCEEDED: gettext_noop("超过共济人为这位亲属设置的每月限额"),
    SettlementError.CATEGORY_NOT_ALLOWED: gettext_noop("本机构不能办理这一类别的共济支付"),
    SettlementError.IDEMPOTENCY_KEY_REUSED: gettext_noop("这个 Idempotency-Key 已用于内容不同的另一笔结算"),
    SettlementError.ALREADY_REVERSED: gettext_noop("这笔共济支付已经冲正过"),
}

_YUAN = re.compile(r"^(\d{1,9})(?:\.(\d{0,2}))?$")
_KEY = re.compile(r"^[\x21-\x7e]{1,64}$")

CARD_ATTRS = {
    "autocomplete": "off",
    "autocapitalize": "characters",
    "spellcheck": "false",
    "class": "card-number",
}


def _settlement_error(code: SettlementError) -> ValidationError:
    return ValidationError(gettext(code.message), code=code.value)


class CardLookupForm(SharingForm):
    """Step 1: the patient's own card (swiped or typed)."""

    card = PortalCharField(
        label=_("患者社会保障卡号"),
        max_length=16,
        help_text=_("刷患者本人的卡或输入卡号，按 Enter 查询"),
        widget=forms.TextInput(attrs={**CARD_ATTRS, "autofocus": True}),
    )

    def clean_card(self) -> str:
        value = normalize_card_number(self.cleaned_data["card"])
        if not CARD_SHAPE.match(value):
            raise reason_error(AccountsError.CARD_NUMBER_FORMAT)
        return value


def parse_yuan(raw: str) -> int:
    """'123.45', '１２３.4', '1,000 元' -> fen. Positive, at most two decimals, at most AMOUNT_MAX_FEN."""
    text = unicodedata.normalize("NFKC", raw or "").replace(" ", "").replace(",", "").removesuffix("元")
    if text.startswith("-"):
        raise _settlement_error(SettlementError.AMOUNT_NOT_POSITIVE)
    if text.startswith("."):
        text = "0" + text
    match = _YUAN.match(text)
    if match is None:
        raise ValidationError(
            gettext("请填写金额，单位是元，最多两位小数，例如 123.45"), code="amount_not_integer"
        )
    fen = int(Decimal(match.group(1) + "." + (match.group(2) or "0")) * 100)
    if fen <= 0:
        raise _settlement_error(SettlementError.AMOUNT_NOT_POSITIVE)
    if fen > AMOUNT_MAX_FEN:
        raise _settlement_error(SettlementError.AMOUNT_TOO_LARGE)
    return fen


class SettleForm(SharingForm):
    """Step 2: which sharer pays (one of the patient's active bindings), how much, what for. The
    confirmation step posts the same fields again with the idempotency key it was given. The patient
    is the page's (their opaque id in the URL); no card number is posted back."""

    binding = forms.ChoiceField(
        label=_("由哪位共济人支付"), help_text=_("用上下方向键选择，按 Enter 到下一栏")
    )
    amount = PortalCharField(
        label=_("共济支付金额（元）"),
        max_length=20,
        help_text=_("患者自付部分，例如 123.45"),
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off", "spellcheck": "false"}),
    )
    description = forms.CharField(
        label=_("摘要（仅本机构可见）"),
        max_length=200,
        required=False,
        help_text=_("例如 门诊费用、住院押金。不会发给共济人。"),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    key = forms.CharField(required=False, widget=forms.HiddenInput)

    FIELD_OF_REASON = {
        "binding_not_active": "binding",
        "sharer_not_normal": "binding",
        "insufficient_balance": "amount",
        "binding_limit_exceeded": "amount",
        "amount_not_positive": "amount",
        "amount_too_large": "amount",
    }

    def __init__(self, *args: Any, bindings: list[Binding], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.bindings = {str(b.pk): b for b in bindings}
        field = self.fields["binding"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [
            (str(b.pk), f"{b.sharer.name_masked}（{b.relation_code.name_zh}，{b.sharer.card_number_masked}）")
            for b in bindings
        ]
        field.widget.attrs["autofocus"] = True

    def clean_amount(self) -> int:
        return parse_yuan(self.cleaned_data["amount"])

    def clean_key(self) -> str:
        key = self.cleaned_data.get("key") or ""
        if key and not _KEY.match(key):
            raise _settlement_error(SettlementError.IDEMPOTENCY_KEY_INVALID)
        return key or str(uuid.uuid4())

    def chosen(self) -> Binding:
        return self.bindings[self.cleaned_data["binding"]]


class ReverseForm(SharingForm):
    reason = PortalCharField(
        label=_("冲正原因"),
        max_length=200,
        help_text=_("例如 患者退费、金额录入错误。按 Enter 提交。"),
        widget=forms.TextInput(attrs={"autocomplete": "off", "autofocus": True}),
    )

"""Forms of the family-sharing pages (/family/) and of the counter's swipe-bind (/counter/bind/).

They check shape only (STYLE.md habit 4): identity numbers, names, card numbers, the relation code,
the monthly limit in yuan, that a file was chosen. The rules live in family_sharing.services, whose
ApplicationError reasons are put back beside the field they name or above the form, each with its
stable code for the `data-code` attribute (API.md section 6)."""

import re
import unicodedata
from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import get_language, gettext, gettext_noop, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from accounts.errors import AccountsError
from accounts.forms import PortalCharField, PortalForm, reason_error
from accounts.identity import (
    CARD_SHAPE,
    id_number_problem,
    name_problem,
    normalize_card_number,
    normalize_id_number,
)
from accounts.models import RelationCode
from family_sharing.errors import SharingError
from portal.core.errors import ApplicationError, Reason

# The Chinese texts of the family-sharing reasons these pages show, marked so that makemessages
# collects them for the English catalogue. test_pages checks that they still equal SharingError's.
REASON_MSGIDS: dict[SharingError, str] = {
    SharingError.SELF_BINDING: gettext_noop("不能与本人绑定"),
    SharingError.SHARER_NOT_FOUND: gettext_noop("未找到共济人的参保信息"),
    SharingError.BENEFICIARY_NOT_FOUND: gettext_noop("未找到与该身份证号和姓名相符的参保人"),
    SharingError.SHARER_NO_PERSONAL_ACCOUNT: gettext_noop("只有参加职工医保并有个人账户的人才能共济给亲属"),
    SharingError.SHARER_NOT_NORMAL: gettext_noop("共济人参保状态不正常（欠费、中断或终止）时不能共济"),
    SharingError.BENEFICIARY_NOT_INSURED: gettext_noop("被共济的亲属需要参加职工医保或城乡居民医保"),
    SharingError.NOT_NEAR_RELATIVE: gettext_noop(
        "只有近亲属（配偶、父母、子女、兄弟姐妹、祖父母、外祖父母、孙子女、外孙子女）可以共济"
    ),
    SharingError.RELATION_OUT_OF_POLICY_SCOPE: gettext_noop("您所在统筹区目前的政策不允许与这类亲属共济"),
    SharingError.RELATION_MISMATCH: gettext_noop("申报的关系与户籍登记、性别或年龄不符"),
    SharingError.RELATION_UNVERIFIED: gettext_noop(
        "户籍登记中暂未查到这层关系，请上传户口本、结婚证或出生医学证明"
    ),
    SharingError.CROSS_PROVINCE_NOT_ENABLED: gettext_noop("双方所在统筹区尚未全部开通跨省共济"),
    SharingError.DUPLICATE_BINDING: gettext_noop("你们之间已有一个正在办理或已生效的共济绑定"),
    SharingError.RELATION_CODE_UNKNOWN: gettext_noop("关系代码不存在"),
    SharingError.INVALID_TRANSITION: gettext_noop("当前状态下不能进行这项操作"),
    SharingError.BENEFICIARY_DECLINED: gettext_noop("亲属不同意共济"),
    SharingError.BENEFICIARY_LEFT: gettext_noop("被共济人已退出共济"),
    SharingError.REVOKED_BY_SHARER: gettext_noop("共济人已解除绑定"),
    SharingError.SHARER_STATUS_CHANGED: gettext_noop("共济人参保状态不正常，绑定暂停"),
    SharingError.SHARER_STATUS_RESTORED: gettext_noop("共济人参保状态恢复正常"),
    SharingError.PERSON_TERMINATED: gettext_noop("一方参保关系终止，绑定结束"),
    SharingError.REGISTRY_EDGE_ENDED: gettext_noop("户籍登记显示这层关系已结束（如离婚），绑定暂停"),
    SharingError.EVIDENCE_APPROVED: gettext_noop("证明材料审核通过"),
    SharingError.EVIDENCE_REJECTED: gettext_noop("证明材料审核未通过"),
    SharingError.REGISTRY_VERIFIED: gettext_noop("已通过户籍登记核验"),
    SharingError.CONSENT_NOT_ALLOWED: gettext_noop("只有被共济的亲属本人（未满16周岁的由其监护人）可以确认"),
    SharingError.RECONSENT_REQUIRED: gettext_noop(
        "被共济人已年满16周岁，需要本人确认是否继续共济；本人确认前暂停支付"
    ),
    SharingError.RECONSENT_CONFIRMED: gettext_noop("被共济人年满16周岁后，本人确认继续共济"),
    SharingError.RECONSENT_DECLINED: gettext_noop("被共济人年满16周岁后，本人不同意继续共济"),
    SharingError.RECONSENT_NOT_ALLOWED: gettext_noop(
        "只有被共济人本人可以确认是否继续共济，共济人或监护人不能代为确认"
    ),
    SharingError.RECONSENT_NOT_PENDING: gettext_noop("这项共济现在没有等待本人确认的事项"),
    SharingError.EVIDENCE_TYPE: gettext_noop("只能上传 PDF、JPEG 或 PNG 文件（按文件内容判断）"),
    SharingError.EVIDENCE_TOO_LARGE: gettext_noop("文件不能超过 5 MB"),
    SharingError.EVIDENCE_NOT_NEEDED: gettext_noop("这个绑定现在不需要补充材料"),
    SharingError.EVIDENCE_TOO_MANY: gettext_noop("每个绑定最多上传10份证明材料，已达到上限"),
    SharingError.LOOKUP_THROTTLED: gettext_noop("查询亲属信息失败次数过多，请一小时后再试"),
    SharingError.CARD_NOT_FOUND: gettext_noop("未找到该社会保障卡"),
}

# Kins a resident chooses from, in the order of 民法典 第1045条, each an <optgroup>.
KIN_GROUPS: list[tuple[str, Any]] = [
    ("spouse", pgettext_lazy("relation group", "配偶")),
    ("parent", pgettext_lazy("relation group", "父母")),
    ("child", pgettext_lazy("relation group", "子女")),
    ("sibling", pgettext_lazy("relation group", "兄弟姐妹")),
    ("grandparent", pgettext_lazy("relation group", "祖父母外祖父母")),
    ("grandchild", pgettext_lazy("relation group", "孙子女外孙子女")),
]

# 每月限额 in yuan: digits with at most two decimals, after full-width digits, spaces, thousands
# separators and a trailing 元 are forgiven. Up to 9 digits of yuan (less than 10 million a month).
_YUAN = re.compile(r"^(\d{1,9})(?:\.(\d{0,2}))?$")
_NUMBERISH = re.compile(r"^-?[\d.]+$")


def sharing_reason_error(reason: Reason) -> ValidationError:
    """A reason as a form error: the message in the active language, the code kept for data-code."""
    return ValidationError(gettext(reason.message), code=reason.code)


def relation_label(row: RelationCode) -> str:
    """The relation's name in the page's language."""
    return row.name_en if (get_language() or "").startswith("en") and row.name_en else row.name_zh


def near_relative_choices(*, with_code: bool = False) -> list[tuple[str, Any]]:
    """GB/T 4761 codes of near relatives, grouped by kin (an <optgroup> each). At the counter each
    option starts with its code, so that typing the code on the focused <select> picks it."""
    rows = list(RelationCode.objects.filter(near_relative=True).order_by("code"))
    groups: list[tuple[str, Any]] = [
        ("", _("请选择") if not with_code else _("请选择（可直接输入关系代码）"))
    ]
    for kin, group_label in KIN_GROUPS:
        options = [
            (row.code, f"{row.code} {relation_label(row)}" if with_code else relation_label(row))
            for row in rows
            if row.kin == kin
        ]
        if options:
            groups.append((str(group_label), options))
    return groups


class RelationField(forms.ChoiceField):
    """A near-relative code. An in-law, uncle or other non-near code is named as such
    (`not_near_relative`); a code that does not exist at all is `relation_code_unknown`."""

    def validate(self, value: Any) -> None:
        if value in self.empty_values:
            if self.required:
                raise reason_error(AccountsError.FIELD_REQUIRED)
            return
        if self.valid_value(value):
            return
        if RelationCode.objects.filter(pk=value).exists():
            raise sharing_reason_error(SharingError.NOT_NEAR_RELATIVE.reason())
        raise sharing_reason_error(SharingError.RELATION_CODE_UNKNOWN.reason())


def _relation_field(*, with_code: bool) -> RelationField:
    help_text = (
        _("键盘输入关系代码即可选中，例如 51 父亲、52 母亲、10 配偶")
        if with_code
        else _("亲属是您的什么人。女婿、儿媳、公婆、岳父母等姻亲，以及叔伯姑舅姨等亲属不能共济。")
    )
    return RelationField(label=_("关系"), choices=(), help_text=help_text)


class SharingForm(PortalForm):
    # Reasons the service gives without a field, and the field they are about on this form.
    FIELD_OF_REASON: dict[str, str] = {}

    def add_application_error(self, error: ApplicationError) -> None:
        """Each reason goes beside the field it names (or that FIELD_OF_REASON gives it), the rest
        above the form."""
        reasons = error.details or [Reason(error.code, error.message)]
        for reason in reasons:
            field = reason.field or self.FIELD_OF_REASON.get(reason.code)
            self.add_error(field if field in self.fields else None, sharing_reason_error(reason))


class BindingRequestForm(SharingForm):
    """/family/new/: the resident (the sharer) names the relative and the relation."""

    beneficiary_id_number = PortalCharField(
        label=_("亲属身份证号"),
        max_length=32,
        help_text=_("18位，最后一位可能是字母X"),
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}
        ),
    )
    beneficiary_name = PortalCharField(
        label=_("亲属姓名"),
        max_length=50,
        help_text=_("与亲属身份证上的姓名一致"),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    relation_code = _relation_field(with_code=False)

    FIELD_OF_REASON = {"relation_code_unknown": "relation_code"}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        relation = self.fields["relation_code"]
        assert isinstance(relation, RelationField)
        relation.choices = near_relative_choices()

    def clean_beneficiary_id_number(self) -> str:
        value = self.cleaned_data["beneficiary_id_number"]
        problem = id_number_problem(value)
        if problem is not None:
            raise reason_error(problem)
        return normalize_id_number(value)

    def clean_beneficiary_name(self) -> str:
        value = self.cleaned_data["beneficiary_name"]
        problem = name_problem(value)
        if problem is not None:
            raise reason_error(problem)
        return value

    def filled(self) -> bool:
        """All three fields have something in them (the instant check waits until then)."""
        return all((self.data.get(self.add_prefix(name)) or "").strip() for name in self.fields)

    def request_input(self) -> dict[str, str]:
        """Keyword arguments of binding_check and binding_request."""
        data = self.cleaned_data
        return {
            "beneficiary_id_number": data["beneficiary_id_number"],
            "beneficiary_name": data["beneficiary_name"],
            "relation_code": data["relation_code"],
        }


class MonthlyLimitForm(SharingForm):
    """设置每月限额: yuan with at most two decimals, turned into integer fen with Decimal here (never
    float); empty means no limit."""

    monthly_limit_yuan = forms.CharField(
        label=_("每月限额（元）"),
        required=False,
        max_length=20,
        help_text=_("这位亲属每个月最多能用您账户里多少钱，例如 500 或 123.45。留空表示不限额。"),
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off", "spellcheck": "false"}),
    )

    def clean_monthly_limit_yuan(self) -> int | None:
        raw = unicodedata.normalize("NFKC", self.cleaned_data["monthly_limit_yuan"] or "")
        text = raw.replace(" ", "").replace(",", "").removesuffix("元")
        if not text:
            return None
        if text.startswith("."):
            text = "0" + text
        match = _YUAN.match(text)
        if match is None:
            raise ValidationError(self._problem(text), code=SharingError.LIMIT_INVALID.value)
        yuan = Decimal(match.group(1) + "." + (match.group(2) or "0"))
        return int(yuan * 100)  # exact: at most two decimals, so a whole number of fen

    @staticmethod
    def _problem(text: str) -> str:
        if text.startswith("-") and _NUMBERISH.match(text):
            return gettext("每月限额不能小于0。不想限额请留空。")
        if _NUMBERISH.match(text) and re.match(r"^\d+\.\d{3,}$", text):
            return gettext("金额最多精确到分，也就是小数点后最多两位，例如 123.45")
        if _NUMBERISH.match(text) and re.match(r"^\d{10,}", text):
            return gettext("金额过大，请填写不超过 999999999.99 元的金额")
        return gettext("请填写金额数字，单位是元，例如 500 或 123.45；不想限额请留空")


class EvidenceFileField(forms.FileField):
    """A file must be chosen (`field_required`); an empty or odd file is left to the service, which
    judges the type by content (`evidence_type`) and the size (`evidence_too_large`)."""

    def validate(self, value: Any) -> None:
        if self.required and value in self.empty_values:
            raise ValidationError(gettext("请选择要上传的文件"), code=AccountsError.FIELD_REQUIRED.value)
        super().validate(value)


class EvidenceForm(SharingForm):
    """上传证明材料: one file, 户口本 / 结婚证 / 出生医学证明."""

    file = EvidenceFileField(
        label=_("证明材料"),
        allow_empty_file=True,
        help_text=_("户口本、结婚证或出生医学证明的照片或扫描件，PDF、JPG 或 PNG 格式，不超过5 MB"),
        widget=forms.FileInput(attrs={"accept": "application/pdf,image/jpeg,image/png,.pdf,.jpg,.jpeg,.png"}),
    )


class CounterBindForm(SharingForm):
    """/counter/bind/: the sharer's card is swiped, the beneficiary's card number typed, the relation
    chosen by its code."""

    sharer_card_number = PortalCharField(
        label=_("共济人社会保障卡号"),
        max_length=16,
        help_text=_("刷卡或输入：1个大写字母加8位数字"),
        widget=forms.TextInput(
            attrs={
                "autocomplete": "off",
                "autocapitalize": "characters",
                "spellcheck": "false",
                "autofocus": True,
                "class": "card-number",
            }
        ),
    )
    beneficiary_card_number = PortalCharField(
        label=_("被共济人社会保障卡号"),
        max_length=16,
        help_text=_("被共济的亲属出示的社会保障卡"),
        widget=forms.TextInput(
            attrs={
                "autocomplete": "off",
                "autocapitalize": "characters",
                "spellcheck": "false",
                "class": "card-number",
            }
        ),
    )
    relation_code = _relation_field(with_code=True)

    FIELD_OF_REASON = {
        "sharer_not_found": "sharer_card_number",
        "sharer_no_personal_account": "sharer_card_number",
        "sharer_not_normal": "sharer_card_number",
        "beneficiary_not_found": "beneficiary_card_number",
        "beneficiary_not_insured": "beneficiary_card_number",
        "relation_code_unknown": "relation_code",
        "not_near_relative": "relation_code",
        "relation_mismatch": "relation_code",
        "relation_out_of_policy_scope": "relation_code",
    }

    # At the counter people are found by card, so "not found" speaks of the card (same codes).
    CARD_MESSAGES = {
        "sharer_not_found": _("未找到这张社会保障卡的参保信息，请核对共济人的卡号"),
        "beneficiary_not_found": _("未找到这张社会保障卡的参保信息，请核对被共济人的卡号"),
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        relation = self.fields["relation_code"]
        assert isinstance(relation, RelationField)
        relation.choices = near_relative_choices(with_code=True)

    def add_application_error(self, error: ApplicationError) -> None:
        details = [
            Reason(r.code, str(self.CARD_MESSAGES[r.code]), r.field) if r.code in self.CARD_MESSAGES else r
            for r in error.details
        ]
        super().add_application_error(ApplicationError(error.status, details, error.code, error.message))

    def _card(self, name: str) -> str:
        value = normalize_card_number(self.cleaned_data[name])
        if not CARD_SHAPE.match(value):
            raise reason_error(AccountsError.CARD_NUMBER_FORMAT)
        return value

    def clean_sharer_card_number(self) -> str:
        return self._card("sharer_card_number")

    def clean_beneficiary_card_number(self) -> str:
        return self._card("beneficiary_card_number")

    def focus_first_error(self) -> str | None:
        """After a refusal focus goes to the first field in error (autofocus moves there from the
        sharer's card); its id, or None when only the form as a whole is refused."""
        if not self.errors:
            return None
        self.fields["sharer_card_number"].widget.attrs.pop("autofocus", None)
        first = next((bound for bound in self if bound.errors), None)
        if first is None:
            return None
        first.field.widget.attrs["autofocus"] = True
        return first.id_for_label

    def counter_input(self) -> dict[str, str]:
        """Keyword arguments of binding_counter_create."""
        keys = ("sharer_card_number", "beneficiary_card_number", "relation_code")
        return {key: self.cleaned_data[key] for key in keys}

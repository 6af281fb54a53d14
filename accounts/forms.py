"""Forms of the resident and counter pages. They check shape only (STYLE.md habit 4): the rules live
in accounts.services, whose ApplicationError reasons are put back beside the field they name.

Every error carries its stable reason code (`ValidationError.code`), which the templates render in a
`data-code` attribute next to the field (API.md section 6)."""

from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib.auth import authenticate
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _

from accounts.backends import axes_username
from accounts.errors import AccountsError
from accounts.identity import (
    CARD_SHAPE,
    PHONE_SHAPE,
    id_number_problem,
    name_problem,
    normalize_card_number,
    normalize_id_number,
)
from accounts.models import Role, User
from accounts.services import STAFF_ROLES
from portal.core import ratelimit
from portal.core.errors import THROTTLED, ApplicationError, Reason
from portal.core.ratelimit import RateLimited, retry_after_headers

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

# The Chinese texts of the reasons these pages can show, marked so that makemessages collects them
# for the English catalogue. test_pages checks that they still equal AccountsError's messages.
REASON_MSGIDS: dict[AccountsError, str] = {
    AccountsError.ID_NUMBER_FORMAT: gettext_noop("身份证号格式不正确，应为18位，最后一位可以是X"),
    AccountsError.ID_NUMBER_CHECKSUM: gettext_noop("身份证号校验位不正确，请核对后重新输入"),
    AccountsError.ID_NUMBER_BIRTH_DATE: gettext_noop("身份证号中的出生日期不存在"),
    AccountsError.ID_NUMBER_ADDRESS: gettext_noop("身份证号前六位不是有效的行政区划代码"),
    AccountsError.NAME_INVALID: gettext_noop("姓名只能包含汉字、字母、间隔号“·”和空格，最多50个字"),
    AccountsError.CARD_NUMBER_FORMAT: gettext_noop("社会保障卡号应为1个大写字母加8位数字"),
    AccountsError.PHONE_FORMAT: gettext_noop("手机号应为11位数字，以1开头"),
    AccountsError.FIELD_REQUIRED: gettext_noop("此项必须填写"),
    AccountsError.IDENTITY_MISMATCH: gettext_noop(
        "身份信息与参保登记不一致，请核对身份证号、姓名、社会保障卡号和手机号"
    ),
    AccountsError.PHONE_NOT_ON_FILE: gettext_noop(
        "参保登记中没有您的手机号，无法通过短信验证。请携带身份证和社会保障卡到医保经办窗口登记手机号后再注册"
    ),
    AccountsError.SMS_CODE_INVALID: gettext_noop("短信验证码不正确，请核对后重新输入"),
    AccountsError.SMS_CODE_EXPIRED: gettext_noop(
        "短信验证码已失效（超过5分钟或输错5次），请重新注册获取新的验证码"
    ),
    AccountsError.ALREADY_REGISTERED: gettext_noop("该参保人已注册，请直接登录"),
    AccountsError.INVALID_CREDENTIALS: gettext_noop("身份证号、密码或动态验证码不正确"),
    AccountsError.LOCKED_OUT: gettext_noop("连续登录失败次数过多，请15分钟后再试"),
    AccountsError.OTP_INVALID: gettext_noop("动态验证码不正确或已使用过，请等待下一个验证码"),
    AccountsError.PASSWORD_INVALID: gettext_noop("密码不符合要求"),
    AccountsError.PASSWORD_MISMATCH: gettext_noop("两次输入的密码不一致"),
    AccountsError.RESIDENT_ONLY: gettext_noop("此入口仅供参保人使用，工作人员请从柜台或管理后台登录"),
    AccountsError.STAFF_ONLY: gettext_noop(
        "此入口仅供定点医院、定点药店和医保经办人员使用，参保人请从首页登录"
    ),
    AccountsError.LAST_FACTOR: gettext_noop(
        "这是您唯一的登录验证方式，不能删除。请先添加身份验证器或通行密钥，再删除这一个"
    ),
    AccountsError.AUTHENTICATOR_NOT_FOUND: gettext_noop("您还没有开通身份验证器"),
    AccountsError.AUTHENTICATOR_EXISTS: gettext_noop("您已经开通了身份验证器；要换一个，请先删除原来的"),
    AccountsError.PASSKEY_NOT_FOUND: gettext_noop("没有找到这个通行密钥，它可能已经删除了"),
    AccountsError.PASSKEY_TOO_MANY: gettext_noop("最多可以添加10个通行密钥，请先删除不用的再添加"),
    AccountsError.PASSKEY_NOT_YOURS: gettext_noop(
        "这个通行密钥不属于正在登录的账号，没有登录。请用本人的通行密钥"
    ),
    AccountsError.PASSKEY_INVALID: gettext_noop(
        "通行密钥验证没有通过，没有登录。请再试一次，或改用动态验证码"
    ),
    AccountsError.PASSKEY_EXPIRED: gettext_noop("通行密钥操作已超时，请重新开始"),
    AccountsError.PASSKEY_SIGN_IN_EXPIRED: gettext_noop("登录已超时，请重新输入身份证号和密码"),
}

# The rate limits' answer (portal.core.ratelimit.THROTTLED_MESSAGE), marked for the catalogue.
THROTTLED_MSGID = gettext_noop("操作过于频繁，请稍后再试")

# A staff login is a username, so the resident wording (身份证号) would mislead at the counter.
STAFF_INVALID_CREDENTIALS = _("用户名、密码或动态验证码不正确")
# The 使用通行密钥 button reads no code, and a login without a passkey cannot go on (decision record 0019).
PASSKEY_INVALID_CREDENTIALS = _("身份证号或密码不正确，或者这个账号还没有添加通行密钥")


def reason_error(reason: Reason | AccountsError) -> ValidationError:
    """A reason as a form error: the message in the active language, the code kept for data-code."""
    if isinstance(reason, AccountsError):
        reason = reason.reason()
    return ValidationError(gettext(reason.message), code=reason.code)


class PortalCharField(forms.CharField):
    """A CharField whose 'required' error carries our reason code `field_required`."""

    def validate(self, value: Any) -> None:
        if self.required and value in self.empty_values:
            raise reason_error(AccountsError.FIELD_REQUIRED)
        super().validate(value)


class PortalForm(forms.Form):
    label_suffix = ""

    def add_application_error(self, error: ApplicationError) -> None:
        """Each reason goes beside the field it names; reasons without a field go above the form."""
        reasons = error.details or [Reason(error.code, error.message)]
        for reason in reasons:
            field = reason.field if reason.field in self.fields else None
            self.add_error(field, reason_error(reason))

    def fields_with_errors(self) -> list[forms.BoundField]:
        return [bound for bound in self if bound.errors]

    def error_codes(self) -> set[str]:
        return {e.code for errors in self.errors.as_data().values() for e in errors if e.code}


def _otp_field() -> PortalCharField:
    return PortalCharField(
        label=_("动态验证码"),
        max_length=16,
        help_text=_("打开手机上的身份验证器应用，输入它现在显示的6位数字"),
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "pattern": "[0-9]*"}
        ),
    )


def _password_field(
    label: "StrOrPromise", autocomplete: str, help_text: "StrOrPromise" = ""
) -> PortalCharField:
    return PortalCharField(
        label=label,
        max_length=128,
        strip=False,
        help_text=help_text,
        widget=forms.PasswordInput(attrs={"autocomplete": autocomplete}),
    )


class RegisterForm(PortalForm):
    id_number = PortalCharField(
        label=_("身份证号"),
        max_length=32,
        help_text=_("18位，最后一位可能是字母X"),
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}
        ),
    )
    name = PortalCharField(
        label=_("姓名"),
        max_length=50,
        help_text=_("与身份证上的姓名一致"),
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    card_number = PortalCharField(
        label=_("社会保障卡号"),
        max_length=16,
        help_text=_("社会保障卡正面印的卡号：1个大写字母加8位数字，例如 A12345678"),
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}
        ),
    )
    phone = PortalCharField(
        label=_("手机号"),
        max_length=20,
        help_text=_("在医保登记时留的11位手机号码，验证码会发到这个号码"),
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
    )
    password = _password_field(
        _("密码"), "new-password", _("至少10位，不能全是数字，也不要用生日、姓名或常见密码")
    )
    password_confirm = _password_field(_("确认密码"), "new-password", _("请再输入一次上面的密码"))

    def clean_id_number(self) -> str:
        value = self.cleaned_data["id_number"]
        problem = id_number_problem(value)
        if problem is not None:
            raise reason_error(problem)
        return normalize_id_number(value)

    def clean_name(self) -> str:
        value = self.cleaned_data["name"]
        problem = name_problem(value)
        if problem is not None:
            raise reason_error(problem)
        return value

    def clean_card_number(self) -> str:
        value = normalize_card_number(self.cleaned_data["card_number"])
        if not CARD_SHAPE.match(value):
            raise reason_error(AccountsError.CARD_NUMBER_FORMAT)
        return value

    def clean_phone(self) -> str:
        value = self.cleaned_data["phone"].replace(" ", "").replace("-", "")
        if not PHONE_SHAPE.match(value):
            raise reason_error(AccountsError.PHONE_FORMAT)
        return value

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        password, confirm = data.get("password"), data.get("password_confirm")
        if password and confirm and password != confirm:
            self.add_error("password_confirm", reason_error(AccountsError.PASSWORD_MISMATCH))
        return data

    def registration_input(self) -> dict[str, str]:
        """Keyword arguments of accounts.enrolment.registration_start."""
        keys = ("id_number", "name", "card_number", "phone", "password")
        return {key: self.cleaned_data[key] for key in keys}


class SmsCodeForm(PortalForm):
    sms_code = PortalCharField(
        label=_("短信验证码"),
        max_length=16,
        help_text=_("发到您登记手机号的6位数字，5分钟内有效"),
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "pattern": "[0-9]*"}
        ),
    )


class AuthenticatorForm(PortalForm):
    otp = _otp_field()


class SignInForm(PortalForm):
    """Password plus one-time code through django.contrib.auth.authenticate, where django-axes
    counts every failure per login. Which part was wrong is never said. Every attempt first counts
    against the login's and the address's limit (portal.core.ratelimit scope "login"); over it the
    reason is shown and no password is checked."""

    login_field = "login"
    wrong_entrance = AccountsError.INVALID_CREDENTIALS

    def __init__(self, request: HttpRequest, *args: Any, **kwargs: Any) -> None:
        self.request = request
        self.user: User | None = None
        self.throttled: RateLimited | None = None
        super().__init__(*args, **kwargs)

    @property
    def locked_out(self) -> bool:
        return bool(getattr(self.request, "axes_locked_out", False))

    def refused_status(self) -> tuple[int, dict[str, str]]:
        """The page's status and headers after a refused attempt: 429 when limited or locked out."""
        if self.throttled is not None:
            return THROTTLED, retry_after_headers(self.throttled)
        return (THROTTLED if self.locked_out else 200), {}

    def allowed(self, user: User) -> bool:
        raise NotImplementedError

    def invalid_credentials(self) -> ValidationError:
        return reason_error(AccountsError.INVALID_CREDENTIALS)

    def credentials(self, data: dict[str, Any]) -> dict[str, Any]:
        """What django.contrib.auth.authenticate (and django-axes) is given."""
        return {"username": data[self.login_field], "password": data["password"], "otp": data["otp"]}

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        login = axes_username(self.request, {"username": self.data.get(self.login_field)})
        try:
            ratelimit.hit("login", request=self.request, key=login)
        except RateLimited as error:
            self.throttled = error
            raise reason_error(error.details[0]) from error
        if self.errors:
            return data
        user = authenticate(self.request, **self.credentials(data))
        if self.locked_out:
            raise reason_error(AccountsError.LOCKED_OUT)
        if user is None:
            raise self.invalid_credentials()
        if not self.allowed(user):
            raise reason_error(self.wrong_entrance)
        self.user = user
        return data


def _resident_login_field() -> PortalCharField:
    return PortalCharField(
        label=_("身份证号"),
        max_length=32,
        widget=forms.TextInput(
            attrs={"autocomplete": "username", "autocapitalize": "characters", "spellcheck": "false"}
        ),
    )


class ResidentLoginForm(SignInForm):
    login = _resident_login_field()
    password = _password_field(_("密码"), "current-password")
    otp = _otp_field()

    wrong_entrance = AccountsError.RESIDENT_ONLY

    def __init__(self, request: HttpRequest, *args: Any, **kwargs: Any) -> None:
        super().__init__(request, *args, **kwargs)
        # The label stays 动态验证码 (API.md section 6); residents may also type an SMS sign-in code.
        self.fields["otp"].help_text = _(
            "身份验证器现在显示的6位数字，或者点“短信发送验证码”后短信收到的6位数字"
        )

    def allowed(self, user: User) -> bool:
        return user.role == Role.RESIDENT and user.person_id is not None


class PasskeyPasswordForm(SignInForm):
    """The sign-in page's 使用通行密钥 button (decision record 0019): the identity number and the
    password, no code. Right, for a resident who holds a passkey, the passkey confirms on the next
    page; anything else is refused like a wrong code, counted by django-axes, never saying which part
    was wrong."""

    login = _resident_login_field()
    password = _password_field(_("密码"), "current-password")

    wrong_entrance = AccountsError.RESIDENT_ONLY

    def credentials(self, data: dict[str, Any]) -> dict[str, Any]:
        return {"username": data["login"], "password": data["password"], "passkey_step": True}

    def allowed(self, user: User) -> bool:
        return user.role == Role.RESIDENT and user.person_id is not None

    def invalid_credentials(self) -> ValidationError:
        return ValidationError(PASSKEY_INVALID_CREDENTIALS, code=AccountsError.INVALID_CREDENTIALS.value)


class FactorRemoveForm(PortalForm):
    """/me/security/: which factor to remove (the rules are accounts.factors')."""

    factor = forms.ChoiceField(choices=[("authenticator", _("身份验证器")), ("passkey", _("通行密钥"))])
    passkey = forms.CharField(required=False, max_length=20)


class SignInCodeForm(PortalForm):
    """The sign-in page's "send a code by SMS" button: only the identity number is read (its shape
    only; whether it is registered is never said), never the password."""

    login = _resident_login_field()

    def clean_login(self) -> str:
        value = self.cleaned_data["login"]
        problem = id_number_problem(value)
        if problem is not None:
            raise reason_error(problem)
        return normalize_id_number(value)


class StaffLoginForm(SignInForm):
    login_field = "username"

    username = PortalCharField(
        label=_("用户名"),
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "username", "autofocus": True, "spellcheck": "false"}),
    )
    password = _password_field(_("密码"), "current-password")
    otp = _otp_field()

    wrong_entrance = AccountsError.STAFF_ONLY

    def allowed(self, user: User) -> bool:
        return user.role in STAFF_ROLES

    def invalid_credentials(self) -> ValidationError:
        return ValidationError(STAFF_INVALID_CREDENTIALS, code=AccountsError.INVALID_CREDENTIALS.value)

"""Resident pages (API.md section 6): register (identity and phone on file, then the SMS code, then the
authenticator), sign in and out, 我的. Registration, its SMS code and sign-in are rate limited.

Views stay thin: a form checks the shape, one service or selector does the work, a template renders.
`lockout_response` is django-axes' AXES_LOCKOUT_CALLABLE for every login surface."""

import base64
import csv
import datetime as dt
from collections.abc import Callable
from functools import wraps
from typing import Any

import qrcode
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import logout as auth_logout
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.html import escape
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST
from django_otp import login as otp_login
from qrcode.image.svg import SvgPathImage

from accounts.enrolment import registration_confirm, registration_start, resident_sign_in_notify
from accounts.errors import AccountsError
from accounts.forms import (
    AuthenticatorForm,
    PasskeyPasswordForm,
    RegisterForm,
    ResidentLoginForm,
    SignInCodeForm,
    SmsCodeForm,
)
from accounts.ledger import REVERSAL_PREFIX
from accounts.models import Person, Role, User
from accounts.passkeys import passkey_step_start
from accounts.selectors import account_entry_list, account_get_for_person, payments_received_list
from accounts.services import resident_confirm_totp, resident_totp_device
from accounts.sms_sign_in import sign_in_channel, sign_in_code_send
from portal.core import ratelimit
from portal.core.errors import THROTTLED, ApplicationError
from portal.core.money import fen_to_yuan_text
from portal.core.ratelimit import RateLimited, retry_after_headers
from portal.core.time import month_parse

# The registration waiting for its SMS code: {"id": public id, "sent_to": the masked number on file}.
PENDING_SESSION_KEY = "registration_pending"
# The user id of a registration whose authenticator is not yet confirmed (not signed in).
REGISTRATION_SESSION_KEY = "registration_user_id"

SEX_TEXT = {"male": _("男"), "female": _("女")}
INSURANCE_TYPE_TEXT = {
    "employee": _("职工医保（职工基本医疗保险）"),
    "resident": _("城乡居民医保（城乡居民基本医疗保险）"),
    "none": _("未参加基本医疗保险"),
}
STATUS_TEXT = {
    "normal": (_("正常"), _("您的医保可以正常使用，看病买药按规定报销。")),
    "arrears": (
        _("欠费"),
        _("还有应缴的医保费没有缴足。缴清以前，医保卡暂时不能结算；缴清后会自动恢复。"),
    ),
    "interrupted": (
        _("中断"),
        _("最近连续3个月没有缴费记录，医保待遇暂停。恢复缴费后可以继续使用。"),
    ),
    "terminated": (
        _("终止"),
        _("医保关系已经终止，例如已经转出本地或不再参保。有疑问请到医保经办窗口咨询。"),
    ),
}


def safe_next(request: HttpRequest, fallback: str) -> str:
    """The `next` the visitor came from when it stays on this site, else `fallback`."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


def otp_verified(user: object) -> bool:
    """True when django-otp's middleware says this session passed a one-time code."""
    is_verified = getattr(user, "is_verified", None)
    return bool(is_verified and is_verified())


def resident_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A resident whose session passed the one-time code; staff and others get 403."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user = request.user
        if not user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not isinstance(user, User) or user.role != Role.RESIDENT or user.person_id is None:
            raise PermissionDenied
        if not otp_verified(user):
            return redirect_to_login(request.get_full_path())
        return view(request, *args, **kwargs)

    return wrapper


def _own_person(request: HttpRequest) -> Person:
    user = request.user
    if not isinstance(user, User) or user.person is None:
        raise PermissionDenied
    return user.person


def _sms_send_limit(request: HttpRequest) -> Callable[[Person], None]:
    def hit(person: Person) -> None:
        ratelimit.hit("sms_send", request=request, key=f"person:{person.pk}")

    return hit


def _form_page(
    request: HttpRequest, template: str, context: dict[str, Any], throttled: RateLimited | None
) -> HttpResponse:
    """The page; a rate-limited attempt answers 429 with Retry-After, the reason beside the form."""
    if throttled is None:
        return render(request, template, context)
    return _with_headers(render(request, template, context, status=THROTTLED), retry_after_headers(throttled))


def _with_headers(response: HttpResponse, headers: dict[str, str]) -> HttpResponse:
    for name, value in headers.items():
        response[name] = value
    return response


@never_cache
@sensitive_post_parameters("password", "password_confirm")
@require_http_methods(["GET", "POST"])
def register(request: HttpRequest) -> HttpResponse:
    """Step 1: identity, the phone on file and a password; an SMS code goes to the number on file."""
    throttled: RateLimited | None = None
    if request.method == "POST":
        form = RegisterForm(request.POST)
        if form.is_valid():
            try:
                ratelimit.hit("register", request=request, key=form.cleaned_data["id_number"])
                started = registration_start(**form.registration_input(), before_sms=_sms_send_limit(request))
            except RateLimited as error:
                throttled = error
                form.add_application_error(error)
            except ApplicationError as error:
                form.add_application_error(error)
            else:
                request.session.pop(REGISTRATION_SESSION_KEY, None)
                request.session[PENDING_SESSION_KEY] = {
                    "id": str(started.registration_id),
                    "sent_to": started.sms_sent_to,
                }
                return redirect("accounts:register-sms")
    else:
        form = RegisterForm()
    already = AccountsError.ALREADY_REGISTERED.value in form.error_codes()
    context = {"form": form, "already_registered": already}
    return _form_page(request, "accounts/register.html", context, throttled)


@never_cache
@require_http_methods(["GET", "POST"])
def register_sms(request: HttpRequest) -> HttpResponse:
    """Step 2: the code sent to the number on file finishes the registration."""
    pending = request.session.get(PENDING_SESSION_KEY)
    if not isinstance(pending, dict) or not pending.get("id"):
        return redirect("accounts:register")
    throttled: RateLimited | None = None
    if request.method == "POST":
        form = SmsCodeForm(request.POST)
        if form.is_valid():
            try:
                ratelimit.hit("sms_code", request=request, key=f"registration:{pending['id']}")
                registration = registration_confirm(
                    registration_id=pending["id"], sms_code=form.cleaned_data["sms_code"]
                )
            except RateLimited as error:
                throttled = error
                form.add_application_error(error)
            except ApplicationError as error:
                form.add_application_error(error)
            else:
                request.session.pop(PENDING_SESSION_KEY, None)
                request.session[REGISTRATION_SESSION_KEY] = registration.user.pk
                return redirect("accounts:register-authenticator")
    else:
        form = SmsCodeForm()
    codes = form.error_codes()
    context = {
        "form": form,
        "sent_to": pending.get("sent_to", ""),
        "start_again": bool(
            codes & {AccountsError.SMS_CODE_EXPIRED.value, AccountsError.ALREADY_REGISTERED.value}
        ),
    }
    return _form_page(request, "accounts/register_sms.html", context, throttled)


def _qr_svg(uri: str) -> SafeString:
    """The provisioning URI as an inline SVG QR code (generated here, nothing user-typed in it)."""
    svg = qrcode.make(uri, image_factory=SvgPathImage, border=4).to_string(encoding="unicode")
    label = escape(gettext("身份验证器二维码"))
    return mark_safe(svg.replace("<svg ", f'<svg role="img" aria-label="{label}" focusable="false" ', 1))  # noqa: S308


def _grouped(secret: str) -> str:
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


@never_cache
@require_http_methods(["GET", "POST"])
def register_authenticator(request: HttpRequest) -> HttpResponse:
    user_id = request.session.get(REGISTRATION_SESSION_KEY)
    user = User.objects.filter(pk=user_id, role=Role.RESIDENT).first() if user_id else None
    device = resident_totp_device(user=user) if user else None
    if user is None or device is None or device.confirmed:
        request.session.pop(REGISTRATION_SESSION_KEY, None)
        return redirect("accounts:login" if device else "accounts:register")
    if request.method == "POST":
        form = AuthenticatorForm(request.POST)
        if form.is_valid():
            try:
                resident_confirm_totp(user=user, token=form.cleaned_data["otp"])
            except ApplicationError as error:
                form.add_application_error(error)
            else:
                request.session.pop(REGISTRATION_SESSION_KEY, None)
                messages.success(
                    request, gettext("身份验证器已开通，注册完成。请用身份证号、密码和动态验证码登录。")
                )
                return redirect("accounts:login")
    else:
        form = AuthenticatorForm()
    context = {
        "form": form,
        "qr_svg": _qr_svg(device.config_url),
        "secret": _grouped(base64.b32encode(device.bin_key).decode("ascii").rstrip("=")),
    }
    return render(request, "accounts/register_authenticator.html", context)


# The name of the sign-in page's "短信发送验证码" button (decision record 0017).
SEND_SMS_BUTTON = "send_sms"


def _sign_in_code_page(request: HttpRequest) -> HttpResponse:
    """The "短信发送验证码" button: reads the identity number only (never the password), counts the
    send per login and address, and answers every registered or unknown number with the same page:
    the form again, the number kept, and the code field focused (first, in large-text mode)."""
    code_form = SignInCodeForm(request.POST)
    status, headers, requested = 200, {}, False
    if code_form.is_valid():
        login = code_form.cleaned_data["login"]
        try:
            ratelimit.hit("sms_send", request=request, key=f"login:{login}")
        except RateLimited as error:
            code_form.add_application_error(error)
            status, headers = THROTTLED, retry_after_headers(error)
        else:
            sign_in_code_send(login=login)
            requested = True
    form = ResidentLoginForm(request, initial={"login": code_form.data.get("login", "")})
    if requested:
        form.fields["otp"].widget.attrs["autofocus"] = True
    context = {
        "form": form,
        "errors_form": code_form if code_form.errors else form,
        "login_field": code_form["login"] if code_form.errors else form["login"],
        "code_requested": requested,
        "next": safe_next(request, ""),
    }
    return _with_headers(render(request, "accounts/login.html", context, status=status), headers)


# The name of the sign-in page's "使用通行密钥" button (decision record 0019).
PASSKEY_BUTTON = "use_passkey"


def _passkey_password_page(request: HttpRequest) -> HttpResponse:
    """The "使用通行密钥" button: the identity number and password, no code. Right, and the login
    holds a passkey: on to /login/passkey/, where the passkey confirms. Otherwise the same page as a
    refused sign-in (invalid_credentials, counted by django-axes and the sign-in limit)."""
    form = PasskeyPasswordForm(request, request.POST)
    if form.is_valid() and form.user is not None:
        passkey_step_start(request, user=form.user, next_url=safe_next(request, ""))
        return redirect("accounts:login-passkey")
    status, headers = form.refused_status()
    context = {
        "form": ResidentLoginForm(request, initial={"login": form.data.get("login", "")}),
        "errors_form": form,
        "login_field": form["login"],
        "next": safe_next(request, ""),
    }
    return _with_headers(render(request, "accounts/login.html", context, status=status), headers)


@never_cache
@sensitive_post_parameters("password", "otp")
@require_http_methods(["GET", "POST"])
def login(request: HttpRequest) -> HttpResponse:
    if request.method == "POST" and SEND_SMS_BUTTON in request.POST:
        return _sign_in_code_page(request)
    if request.method == "POST" and PASSKEY_BUTTON in request.POST:
        return _passkey_password_page(request)
    status, headers = 200, dict[str, str]()
    if request.method == "POST":
        form = ResidentLoginForm(request, request.POST)
        if form.is_valid() and form.user is not None:
            user = form.user
            auth_login(request, user)
            otp_login(request, user.otp_device)  # type: ignore[attr-defined]
            resident_sign_in_notify(user=user, channel=sign_in_channel("网页", user.otp_device))  # type: ignore[attr-defined]
            return HttpResponseRedirect(safe_next(request, "/me/"))
        status, headers = form.refused_status()
    else:
        form = ResidentLoginForm(request)
    context = {
        "form": form,
        "errors_form": form,
        "login_field": form["login"],
        "next": safe_next(request, ""),
    }
    return _with_headers(render(request, "accounts/login.html", context, status=status), headers)


@require_POST
def logout(request: HttpRequest) -> HttpResponse:
    auth_logout(request)
    return HttpResponseRedirect(safe_next(request, "/"))


@never_cache
@resident_required
def me(request: HttpRequest) -> HttpResponse:
    person = _own_person(request)
    status_label, status_meaning = STATUS_TEXT[person.status]
    context = {
        "person": person,
        "account": account_get_for_person(person=person),
        "sex_text": SEX_TEXT.get(person.sex, ""),
        "insurance_type_text": INSURANCE_TYPE_TEXT.get(person.insurance_type, ""),
        "status_label": status_label,
        "status_meaning": status_meaning,
    }
    return render(request, "accounts/me.html", context)


def lockout_response(
    request: HttpRequest,
    original_response: HttpResponse | None = None,
    credentials: dict | None = None,
    *args: object,
    **kwargs: object,
) -> HttpResponse:
    """django-axes' answer to a locked login: the API's JSON error body, or a page in Chinese.

    A sign-in page that already rendered its own 429 (the form with the `locked_out` reason beside
    it) is kept as it is."""
    error = ApplicationError.of(THROTTLED, AccountsError.LOCKED_OUT)
    headers = {"Retry-After": "900"}
    if request.path.startswith("/api/"):
        return JsonResponse(error.as_dict(), status=THROTTLED, headers=headers)
    if isinstance(original_response, HttpResponse) and original_response.status_code == THROTTLED:
        original_response.headers.setdefault("Retry-After", "900")
        return original_response
    context = {"code": error.code, "message": gettext(AccountsError.LOCKED_OUT.message)}
    response = render(request, "accounts/locked_out.html", context, status=THROTTLED)
    response["Retry-After"] = headers["Retry-After"]
    return response


# --- 个人账户 (/account/) ---------------------------------------------------------------------------

ENTRY_KIND_TEXT = {
    "credit": _("划入"),
    "own_settlement": _("本人结算"),
    "family_settlement": _("共济支付"),
    "reversal": _("冲正退回"),
}
ENTRIES_PER_PAGE = 100


def entry_description_text(description: str) -> str:
    """A ledger line's description in the reader's language. The portal writes these itself, in
    Chinese — 期初余额, the monthly credit, a settlement's category, 冲正：<category> — and each is a
    msgid of the catalogue; any other text is shown as stored."""
    if not description:
        return ""  # gettext("") would be the catalogue's header
    if description.startswith(REVERSAL_PREFIX):
        return gettext("冲正：%(what)s") % {"what": gettext(description.removeprefix(REVERSAL_PREFIX))}
    return gettext(description)


def _month_param(request: HttpRequest) -> tuple[dt.date | None, bool]:
    """`?month=YYYY-MM` (what <input type=month> sends): the month, and whether the value was bad."""
    raw = (request.GET.get("month") or "").strip()
    if not raw:
        return None, False
    month = month_parse(raw)
    return month, month is None


@never_cache
@resident_required
def account(request: HttpRequest) -> HttpResponse:
    """The resident's personal account: balance and every entry, newest first, 100 a page; family
    payments say for whom and where. Below, the payments relatives made for the resident (the
    latest 100 of the month or of all time), also for a resident with no personal account."""
    person = _own_person(request)
    month, bad_month = _month_param(request)
    entries = account_entry_list(person=person, month=month)
    page = Paginator(entries, ENTRIES_PER_PAGE).get_page(request.GET.get("page"))
    for entry in page.object_list:
        entry.kind_text = ENTRY_KIND_TEXT.get(entry.kind, entry.kind)  # type: ignore[attr-defined]
        entry.description_text = entry_description_text(entry.description)  # type: ignore[attr-defined]
    context = {
        "account": account_get_for_person(person=person),
        "person": person,
        "page": page,
        "month": month,
        "month_value": f"{month:%Y-%m}" if month else "",
        "bad_month": bad_month,
        "received": payments_received_list(person=person, month=month)[:ENTRIES_PER_PAGE],
    }
    return render(request, "accounts/account.html", context)


@never_cache
@resident_required
def account_export(request: HttpRequest) -> HttpResponse:
    """The resident's own entries as CSV (UTF-8 with a BOM, so that spreadsheet programs read it),
    all of them or one month's."""
    person = _own_person(request)
    month, bad_month = _month_param(request)
    if bad_month:
        month = None
    name = f"account-{month:%Y-%m}.csv" if month else "account.csv"
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response.write("\ufeff")
    writer = csv.writer(response)
    writer.writerow(["时间", "类型", "金额（元）", "余额（元）", "被共济人", "机构", "摘要"])
    for entry in account_entry_list(person=person, month=month).iterator(chunk_size=1000):
        writer.writerow(
            [
                timezone.localtime(entry.created_at).strftime("%Y-%m-%d %H:%M:%S"),
                str(ENTRY_KIND_TEXT.get(entry.kind, entry.kind)),
                fen_to_yuan_text(entry.amount_fen).replace(",", ""),
                fen_to_yuan_text(entry.balance_after_fen).replace(",", ""),
                entry.beneficiary.name_masked if entry.beneficiary else "",
                entry.institution.name if entry.institution else "",
                entry_description_text(entry.description),
            ]
        )
    return response

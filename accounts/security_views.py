"""/me/security/ (登录安全): the resident's sign-in factors (decision record 0019) — the authenticator,
passkeys, and whether SMS codes reach them — with add and remove. The rules are accounts.factors';
adding a passkey runs in the browser through django-otp-webauthn's script (accounts.passkey_views)."""

import base64

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext, gettext_noop
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.factors import (
    authenticator_confirm,
    authenticator_pending,
    authenticator_remove,
    authenticator_start,
    factors_get,
    passkey_list,
    passkey_remove,
)
from accounts.forms import AuthenticatorForm, FactorRemoveForm
from accounts.models import User
from accounts.views import _grouped, _qr_svg, resident_required
from portal.core.errors import INVALID, ApplicationError

REMOVED = {
    "authenticator": gettext_noop("身份验证器已删除。"),
    "passkey": gettext_noop("通行密钥已删除。记得也在手机或电脑的密码管理里删掉它。"),
}


def _keep_verified(request: HttpRequest, user: User) -> None:
    """The factor this session signed in with may be the one just removed: the session stays
    verified by one the resident still holds (they proved a factor a moment ago)."""
    device = getattr(request.user, "otp_device", None)
    if device is not None and type(device).objects.filter(pk=device.pk).exists():
        return
    remaining = (
        TOTPDevice.objects.filter(user=user, confirmed=True).first() or passkey_list(user=user).first()
    )
    if remaining is not None:
        otp_login(request, remaining)


@never_cache
@resident_required
@require_http_methods(["GET", "POST"])
def security(request: HttpRequest) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)
    status = 200
    form = FactorRemoveForm(request.POST or None)
    if request.method == "POST":
        status = INVALID
        if form.is_valid():
            factor = form.cleaned_data["factor"]
            try:
                if factor == "authenticator":
                    authenticator_remove(user=user)
                else:
                    passkey_remove(user=user, passkey_id=form.cleaned_data["passkey"])
            except ApplicationError as error:
                form.add_application_error(error)
                status = error.status
            else:
                _keep_verified(request, user)
                messages.success(request, gettext(REMOVED[factor]))
                return redirect("accounts:security")
    context = {"factors": factors_get(user=user), "form": form}
    return render(request, "accounts/security.html", context, status=status)


@never_cache
@sensitive_post_parameters("otp")
@resident_required
@require_http_methods(["GET", "POST"])
def authenticator(request: HttpRequest) -> HttpResponse:
    """Adding an authenticator (a resident who holds none, e.g. a passkey only): POST `start` makes
    a new one and shows its QR code; the first code it shows confirms it."""
    user = request.user
    assert isinstance(user, User)
    if request.method == "POST" and "start" in request.POST:
        try:
            authenticator_start(user=user)
        except ApplicationError as error:
            messages.error(request, gettext(error.message))
            return redirect("accounts:security")
        return redirect("accounts:security-authenticator")
    device = authenticator_pending(user=user)
    if device is None:
        return redirect("accounts:security")
    form = AuthenticatorForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            authenticator_confirm(user=user, token=form.cleaned_data["otp"])
        except ApplicationError as error:
            form.add_application_error(error)
        else:
            messages.success(request, gettext("身份验证器已开通。登录时可以输入它显示的6位数字。"))
            return redirect("accounts:security")
    context = {
        "form": form,
        "qr_svg": _qr_svg(device.config_url),
        "secret": _grouped(base64.b32encode(device.bin_key).decode("ascii").rstrip("=")),
    }
    return render(request, "accounts/security_authenticator.html", context)

"""django-otp-webauthn's JSON views, narrowed to this portal (decision record 0019), and the sign-in
page where the passkey confirms.

- Adding a passkey (`registration/…`): a resident whose session passed a second factor
  (`resident_required`), at most `MAX_PASSKEYS`; staff get 403, anyone else the sign-in page.
- Signing in (`authentication/…`): only for the login whose password this session passed just before
  (accounts.passkeys); the assertion must come from one of that login's own passkeys and verify, or
  nobody is signed in. Then the session signs in as after password + code, and the number on file
  is told (通过网页（通行密钥）登录).

Every refusal is the JSON error body with our code (accounts.passkeys.passkey_error_response)."""

from typing import Any

from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from django.views.i18n import JavaScriptCatalog
from django_otp import login as otp_login
from django_otp_webauthn.exceptions import OTPWebAuthnApiError
from django_otp_webauthn.views import (
    BeginCredentialAuthenticationView,
    BeginCredentialRegistrationView,
    CompleteCredentialAuthenticationView,
    CompleteCredentialRegistrationView,
)

from accounts.enrolment import resident_sign_in_notify
from accounts.errors import AccountsError
from accounts.factors import passkey_check_room
from accounts.models import User
from accounts.passkeys import (
    passkey_error,
    passkey_error_response,
    passkey_step_end,
    passkey_step_next,
    passkey_step_user,
)
from accounts.views import resident_required
from portal.core.errors import INVALID, ApplicationError

SIGN_IN_CHANNEL = "网页（通行密钥）"


class PasskeyErrors:
    """The library's refusals, and ours raised inside its views, as our JSON error body."""

    def handle_exception(self, exc: Exception) -> HttpResponse:
        if isinstance(exc, OTPWebAuthnApiError):
            return passkey_error_response(passkey_error(exc))
        if isinstance(exc, ApplicationError):
            return passkey_error_response(exc)
        raise exc


class RegistrationBegin(PasskeyErrors, BeginCredentialRegistrationView):
    def check_can_register(self) -> None:
        passkey_check_room(user=self.request.user)


class RegistrationComplete(PasskeyErrors, CompleteCredentialRegistrationView):
    def post(self, *args: Any, **kwargs: Any) -> HttpResponse:
        response = super().post(*args, **kwargs)
        # shown when the page reloads with the new passkey listed (static/js/passkey-added.js)
        messages.success(self.request, gettext("通行密钥已添加。以后登录，输完密码后可以用它确认。"))
        return response


class _SignInStep:
    """The login of the password step, not `request.user`: this session is not signed in yet."""

    request: HttpRequest

    def get_user(self) -> User | None:
        return passkey_step_user(self.request)

    def check_can_authenticate(self) -> None:
        if self.get_user() is None:
            raise ApplicationError.of(INVALID, AccountsError.PASSKEY_SIGN_IN_EXPIRED)


class SignInBegin(PasskeyErrors, _SignInStep, BeginCredentialAuthenticationView):
    pass


class SignInComplete(PasskeyErrors, _SignInStep, CompleteCredentialAuthenticationView):
    success_url = "/me/"

    def complete_auth(self, device: Any) -> None:
        """The library has checked that the passkey is the step's login's and that its signature
        verifies; the session now signs in as after password + code."""
        user: User = device.user
        self.success_url = passkey_step_next(self.request) or "/me/"
        passkey_step_end(self.request)
        auth_login(self.request, user, backend="accounts.backends.LoginBackend")
        otp_login(self.request, device)
        resident_sign_in_notify(user=user, channel=SIGN_IN_CHANNEL)

    def get_success_url(self) -> str:
        return self.success_url


registration_begin = resident_required(RegistrationBegin.as_view())
registration_complete = resident_required(RegistrationComplete.as_view())
sign_in_begin = SignInBegin.as_view()
sign_in_complete = SignInComplete.as_view()
# The library's script texts; their Chinese is in locale/zh_Hans/LC_MESSAGES/djangojs.po.
js_catalog = JavaScriptCatalog.as_view(packages=["django_otp_webauthn"])


@never_cache
@require_GET
def sign_in_page(request: HttpRequest) -> HttpResponse:
    """/login/passkey/: the button that asks the browser for the passkey of the password step."""
    if passkey_step_user(request) is None:
        passkey_step_end(request)
        messages.error(request, gettext(AccountsError.PASSKEY_SIGN_IN_EXPIRED.message))
        return redirect("accounts:login")
    return render(request, "accounts/login_passkey.html")

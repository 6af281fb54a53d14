"""Passkeys through django-otp-webauthn (decision record 0019): what the library is told about a
resident, the sign-in step between the password and the passkey, and the library's refusals in our
error shape.

- **Second factor only.** `OTP_WEBAUTHN_ALLOW_PASSWORDLESS_LOGIN` is off: a passkey confirms a sign-in
  whose password was already checked (`PasskeyPasswordForm`), never replaces it.
- **The step.** The password step remembers, in the still anonymous session, whose passkey must
  answer, for `STEP_SECONDS`; the library's authentication views (accounts.passkey_views) ask
  `passkey_step_user` instead of `request.user`, so the assertion of another login's passkey is
  refused (`passkey_not_yours`) and nobody is signed in before the signature checks.
- **What the authenticator stores.** Only masked values: the passkey's user name is the masked
  identity number and its display name the masked name, so a shared phone's passkey list does not
  show them in full."""

import time

from django.db import transaction
from django.http import HttpRequest, JsonResponse
from django.utils.translation import gettext
from django_otp_webauthn.exceptions import OTPWebAuthnApiError
from django_otp_webauthn.helpers import WebAuthnHelper
from django_otp_webauthn.models import WebAuthnCredential

from accounts.errors import AccountsError
from accounts.factors import passkey_added, passkey_held
from accounts.models import Role, User
from portal.core.errors import FORBIDDEN, INVALID, NOT_FOUND, ApplicationError

STEP_SESSION_KEY = "passkey_sign_in"
STEP_SECONDS = 300  # as long as the browser's own passkey prompt (OTP_WEBAUTHN_TIMEOUT_SECONDS)

# The library's refusal codes and ours, with the status of API.md section 1; anything else it refuses
# (a bad signature, a wrong origin, RP ID or challenge, malformed data, a disabled passkey) is
# `passkey_invalid`, 400 like any other input that does not check out (the library says 422 or 403).
LIBRARY_CODES: dict[str, tuple[int, AccountsError]] = {
    "credential_user_mismatch": (FORBIDDEN, AccountsError.PASSKEY_NOT_YOURS),
    "credential_not_found": (NOT_FOUND, AccountsError.PASSKEY_NOT_FOUND),
    "invalid_state": (INVALID, AccountsError.PASSKEY_EXPIRED),
}


class PasskeyHelper(WebAuthnHelper):
    """OTP_WEBAUTHN_HELPER_CLASS: masked names, and every new passkey counted and told."""

    def get_credential_name(self, user: User) -> str:
        person = user.person
        return person.id_number_masked if person is not None else user.get_username()

    def get_credential_display_name(self, user: User) -> str:
        person = user.person
        return person.name_masked if person is not None else user.get_username()

    def create_credential(self, user: User, *args: object, **kwargs: object) -> WebAuthnCredential:
        passkey = super().create_credential(user, *args, **kwargs)
        passkey.name = "通行密钥"
        return passkey

    def register_complete(self, user: User, state: dict, data: dict) -> WebAuthnCredential:
        with transaction.atomic():
            passkey = super().register_complete(user=user, state=state, data=data)
            passkey_added(user=user, passkey=passkey)
        return passkey


# --- the sign-in step between the password and the passkey ---------------------------------------


def passkey_step_start(request: HttpRequest, *, user: User, next_url: str) -> None:
    """After the right password of a resident who holds a passkey: whose passkey must answer next."""
    request.session.cycle_key()
    request.session[STEP_SESSION_KEY] = {
        "user": user.pk,
        "until": int(time.time()) + STEP_SECONDS,
        "next": next_url,
    }


def _step(request: HttpRequest) -> dict[str, object] | None:
    state = request.session.get(STEP_SESSION_KEY)
    if not isinstance(state, dict) or not isinstance(state.get("until"), int):
        return None
    if state["until"] < time.time():
        return None
    return state


def passkey_step_user(request: HttpRequest) -> User | None:
    """The resident whose password this session just passed, while the step lasts."""
    user_id = (_step(request) or {}).get("user")
    if not isinstance(user_id, int):
        return None
    user = User.objects.filter(pk=user_id, role=Role.RESIDENT, is_active=True).first()
    if user is None or user.person_id is None or not passkey_held(user):
        return None
    return user


def passkey_step_next(request: HttpRequest) -> str:
    state = _step(request) or {}
    return str(state.get("next") or "")


def passkey_step_end(request: HttpRequest) -> None:
    request.session.pop(STEP_SESSION_KEY, None)


# --- refusals ------------------------------------------------------------------------------------


def passkey_error(exc: OTPWebAuthnApiError) -> ApplicationError:
    """A refusal of django-otp-webauthn as ours: our status, code and Chinese message."""
    status, reason = LIBRARY_CODES.get(str(exc.code), (INVALID, AccountsError.PASSKEY_INVALID))
    return ApplicationError.of(status, reason)


def passkey_error_response(error: ApplicationError) -> JsonResponse:
    """The error body of API.md section 1, plus `detail`, which the library's script shows beside
    its button (in the reader's language)."""
    body = error.as_dict()
    body["detail"] = gettext(error.message)
    return JsonResponse(body, status=error.status, json_dumps_params={"ensure_ascii": False})

"""Sign-in: one backend for residents (identity number) and staff (username), password plus a
one-time code (an authenticator's, or a resident's SMS sign-in code). django-axes sits before it and
counts every failure per login."""

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.db import transaction
from django.http import HttpRequest
from django_otp import match_token
from django_otp.models import Device
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.factors import passkey_held
from accounts.identity import id_number_problem, normalize_id_number
from accounts.models import User
from accounts.selectors import user_get_by_login
from accounts.sms_sign_in import sign_in_code_match
from portal.core import crypto


def axes_username(request: HttpRequest | None, credentials: dict[str, Any]) -> str:
    """The lockout key: an identity number as `id:` + its keyed hash (normalised first, so `x` and `X`
    count as one login), never the number itself, which django-axes would keep in clear in its table,
    its admin and every backup; a staff username as it is. `unlock_login` lifts a lockout by login."""
    login = str((credentials or {}).get("username") or "").strip()
    if id_number_problem(login) is None:
        return "id:" + crypto.lookup_hash(normalize_id_number(login))
    return login


class LoginBackend(ModelBackend):
    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        otp: str | None = None,
        passkey_step: bool = False,
        **kwargs: Any,
    ) -> User | None:
        if not username or not password:
            return None
        user = user_get_by_login(login=username)
        if user is None:
            User().set_password(password)  # same work as a real check: no timing oracle
            return None
        if not user.check_password(password) or not self.user_can_authenticate(user):
            return None
        if passkey_step:
            # The sign-in page's 使用通行密钥 button (decision record 0019): the password of a resident
            # who holds a passkey. The caller signs nobody in; the passkey must confirm next.
            return user if user.is_resident and passkey_held(user) else None
        if otp is None:
            # Only the staff OTP login forms (admin, counter) call without a code and verify the
            # code themselves; a resident never signs in without one.
            return None if user.is_resident and not user.is_superuser else user
        # The authenticator first, then (a resident's) SMS sign-in code: every wrong code with the right
        # password counts against a live SMS code, so no more than five guesses ever reach it.
        device = match_token(user, otp.strip()) or first_use(user, otp.strip())
        device = device or sign_in_code_match(user, otp.strip())
        if device is None:
            return None
        user.otp_device = device  # type: ignore[attr-defined]
        return user


@transaction.atomic
def first_use(user: User, otp: str) -> Device | None:
    """The first code of a resident's new authenticator confirms it (API.md section 2), on the web
    page and through auth/token/ alike. django-otp's match_token only looks at confirmed devices, so
    without this an API client could never finish enrolment. Only while no authenticator is confirmed:
    an enrolled resident's unconfirmed leftovers never count."""
    if not user.is_resident or TOTPDevice.objects.filter(user=user, confirmed=True).exists():
        return None
    for device in TOTPDevice.objects.select_for_update().filter(user=user, confirmed=False).order_by("id"):
        if device.verify_token(otp):
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            return device
    return None

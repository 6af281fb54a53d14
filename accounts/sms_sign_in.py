"""SMS sign-in: a one-time code to the number on file as a resident's second factor, where the region
allows it (DESIGN.md section 3, API.md section 2, decision record 0017).

The password is still required: the code only replaces the authenticator's six digits. Asking for a
code never says whether the login exists: an unknown login, a staff login, a resident without a
number on file or in a region that switched SMS sign-in off all get the same answer, and nothing is
sent. The code lives on the person's `SmsDevice` with `purpose` sign_in (5 minutes, 5 attempts, one
new code a minute) and is checked only here, under the device's row lock, so that parallel attempts
cannot use one code twice or try more than five."""

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from django.contrib.admin.models import CHANGE, LogEntry
from django.db import transaction

from accounts.enrolment import SIGNATURE, _send_after_commit
from accounts.enrolment_models import SmsPurpose
from accounts.errors import AccountsError
from accounts.models import Person, PoolingRegion, SmsDevice, User
from accounts.selectors import user_get_by_login
from portal.core.errors import INVALID, ApplicationError

# What every request for a code is told, whoever it names (never whether a code left).
CODE_REQUESTED_MESSAGE = "如果该账号已注册且所在统筹区开通了短信登录，验证码已发送到登记的手机号，5分钟内有效"


def _sign_in_person(user: User | None) -> Person | None:
    """The person whose number on file may get a sign-in code for this login, else None."""
    if user is None or not user.is_active or not user.is_resident or user.is_staff or user.is_superuser:
        return None
    person = user.person
    if person is None or not person.phone or not person.region.sms_sign_in_allowed:
        return None
    return person


def sign_in_code_send(*, login: str, before_sms: Callable[[Person], None] | None = None) -> None:
    """Sends a sign-in code to the number on file when the login may sign in by SMS; otherwise, and
    within a minute of the last code, does nothing and says nothing. `before_sms` may refuse the send
    (a rate limit) by raising; the caller decides what that answers."""
    user = user_get_by_login(login=login)
    person = _sign_in_person(user)
    if user is None or person is None:
        return
    with transaction.atomic():
        device, _ = SmsDevice.objects.select_for_update().get_or_create(
            person=person,
            purpose=SmsPurpose.SIGN_IN,
            defaults={"name": "短信验证码登录", "user": user, "confirmed": True},
        )
        allowed, _info = device.generate_is_allowed()
        if not allowed:
            return  # one code a minute; the answer stays the same
        if before_sms is not None:
            before_sms(person)
        device.user, device.confirmed = user, True
        code = device.new_code()
        text = (
            f"{SIGNATURE}您正在登录医保家庭共济门户，验证码{code}，5分钟内有效。如非本人操作，请勿告诉他人。"
        )
        _send_after_commit(person.phone, text, "sms_code", {"code": code})


@transaction.atomic
def sign_in_code_match(user: User, code: str) -> SmsDevice | None:
    """The resident's SMS sign-in device when `code` is its live code, else None. The code must have
    been sent to this login's own number on file, and the region must still allow SMS sign-in. A
    wrong code counts (committed with this function, whatever the caller answers); the fifth kills
    the code. A registration's code is on another device and never matches here."""
    if _sign_in_person(user) is None:
        return None
    device = (
        SmsDevice.objects.select_for_update()
        .filter(user=user, person_id=user.person_id, purpose=SmsPurpose.SIGN_IN, confirmed=True)
        .first()
    )
    if device is None or not device.verify_token(code):
        return None
    return device


def sign_in_channel(channel: str, device: object) -> str:
    """The sign-in notice names the factor when it was an SMS code (网页（短信验证码）)."""
    return f"{channel}（短信验证码）" if isinstance(device, SmsDevice) else channel


# --- the region's switch (a bureau decision; `set_sms_sign_in`) --------------------------------


class Outcome(StrEnum):
    UPDATED = "updated"
    UNCHANGED = "unchanged"


@dataclass(frozen=True)
class SmsSignInSwitch:
    region: PoolingRegion
    allowed: bool
    outcome: Outcome


@transaction.atomic
def region_sms_sign_in_set(*, actor: User | None, region_code: str, allowed: bool) -> SmsSignInSwitch:
    """Turns SMS sign-in on or off in a region. Off also kills every live sign-in code there at once
    (none would match anyway, but a code must not come back to life if the switch goes on again).
    Who did it goes into the admin's history of the region, like an edit there."""
    region = PoolingRegion.objects.select_for_update().filter(code=(region_code or "").strip()).first()
    if region is None:
        raise ApplicationError.of(INVALID, AccountsError.REGION_NOT_FOUND, field="region_code")
    if region.sms_sign_in_allowed == allowed:
        return SmsSignInSwitch(region, allowed, Outcome.UNCHANGED)
    region.sms_sign_in_allowed = allowed
    region.save(update_fields=["sms_sign_in_allowed"])
    if not allowed:
        SmsDevice.objects.filter(person__region=region, purpose=SmsPurpose.SIGN_IN).exclude(
            token=None
        ).update(token=None)
    if actor is not None:
        state = "开通" if allowed else "关闭"
        LogEntry.objects.log_actions(actor.pk, [region], CHANGE, change_message=f"短信验证码登录：{state}")
    return SmsSignInSwitch(region, allowed, Outcome.UPDATED)

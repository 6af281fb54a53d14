"""A resident's sign-in factors (DESIGN.md section 3; decision record 0019): the authenticator (TOTP)
and passkeys (WebAuthn, django-otp-webauthn), which the resident adds and removes on /me/security/,
and SMS codes, which the region switches on or off.

A resident may hold an authenticator, any number of passkeys (up to `MAX_PASSKEYS`) and SMS at
once. What the resident holds themselves must never drop to nothing: removing the last
authenticator or passkey is refused with `last_factor` and changes nothing. SMS does not count: the
bureau may switch it off for the whole region at any time (decision record 0017), and a resident
left with SMS alone would then have no way in. Each check and removal holds the user's row lock,
so two removals at once (two tabs) cannot both pass the count.

Every change is written to the user's admin history (LogEntry, in the same transaction) and told to
the number on file after commit, like a sign-in."""

from dataclasses import dataclass

from django.contrib.admin.models import CHANGE, LogEntry
from django.db import transaction
from django.db.models import QuerySet
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.models import WebAuthnCredential

from accounts.enrolment import SIGNATURE, _send_after_commit
from accounts.errors import AccountsError
from accounts.models import User
from portal.core.errors import CONFLICT, INVALID, NOT_FOUND, ApplicationError
from portal.core.masking import mask_phone
from portal.core.notify import sent_at_text

MAX_PASSKEYS = 10


@dataclass(frozen=True)
class Factors:
    """What /me/security/ lists for one resident."""

    authenticator: bool  # a confirmed TOTP device
    passkeys: list[WebAuthnCredential]
    sms_allowed: bool  # SMS sign-in codes reach this resident (region switch on, a number on file)
    sms_phone_masked: str

    @property
    def held(self) -> int:
        """The factors the resident holds themselves (SMS is not among them)."""
        return int(self.authenticator) + len(self.passkeys)


def passkey_list(*, user: User) -> QuerySet[WebAuthnCredential]:
    return WebAuthnCredential.objects.filter(user=user, confirmed=True).order_by("created_at", "pk")


def passkey_held(user: User) -> bool:
    return passkey_list(user=user).exists()


def factors_get(*, user: User) -> Factors:
    person = user.person
    phone = person.phone if person is not None else ""
    return Factors(
        authenticator=TOTPDevice.objects.filter(user=user, confirmed=True).exists(),
        passkeys=list(passkey_list(user=user)),
        sms_allowed=bool(person is not None and phone and person.region.sms_sign_in_allowed),
        sms_phone_masked=mask_phone(phone) if phone else "",
    )


def _held_under_lock(user: User) -> int:
    """Locks the user's row, then counts what they hold: every change of factors queues here."""
    User.objects.select_for_update().filter(pk=user.pk).first()
    authenticators = TOTPDevice.objects.filter(user=user, confirmed=True).count()
    return min(authenticators, 1) + passkey_list(user=user).count()


def _told(user: User, what: str) -> None:
    """The admin's history of the login, and a notice to the number on file after commit."""
    LogEntry.objects.log_actions(user.pk, [user], CHANGE, change_message=what)
    person = user.person
    if person is None or not person.phone:
        return
    text = f"{SIGNATURE}您的账号于{sent_at_text()}{what}。如非本人操作，请立即修改密码并到医保经办窗口处理。"
    _send_after_commit(person.phone, text, "notice")


@transaction.atomic
def passkey_remove(*, user: User, passkey_id: object) -> None:
    """Removes one of the resident's own passkeys; another's, or none, is `passkey_not_found`."""
    held = _held_under_lock(user)
    passkey = passkey_list(user=user).filter(pk=_int_or_none(passkey_id)).first()
    if passkey is None:
        raise ApplicationError.of(NOT_FOUND, AccountsError.PASSKEY_NOT_FOUND)
    if held <= 1:
        raise ApplicationError.of(CONFLICT, AccountsError.LAST_FACTOR)
    passkey.delete()
    _told(user, "删除了一个通行密钥")


@transaction.atomic
def authenticator_remove(*, user: User) -> None:
    held = _held_under_lock(user)
    devices = TOTPDevice.objects.filter(user=user)
    if not devices.filter(confirmed=True).exists():
        raise ApplicationError.of(NOT_FOUND, AccountsError.AUTHENTICATOR_NOT_FOUND)
    if held <= 1:
        raise ApplicationError.of(CONFLICT, AccountsError.LAST_FACTOR)
    devices.delete()
    _told(user, "删除了身份验证器")


@transaction.atomic
def authenticator_start(*, user: User) -> TOTPDevice:
    """A new, unconfirmed authenticator for a resident who holds none (a passkey only); it counts
    once the resident types a code it shows (`authenticator_confirm`). Starting again replaces the
    unconfirmed one, so an old QR code shown on some screen stops working."""
    _held_under_lock(user)
    devices = TOTPDevice.objects.filter(user=user)
    if devices.filter(confirmed=True).exists():
        raise ApplicationError.of(CONFLICT, AccountsError.AUTHENTICATOR_EXISTS)
    devices.delete()
    return TOTPDevice.objects.create(user=user, name="身份验证器", confirmed=False)


def authenticator_pending(*, user: User) -> TOTPDevice | None:
    """The authenticator waiting for its first code, while the resident holds no confirmed one."""
    devices = TOTPDevice.objects.filter(user=user)
    if devices.filter(confirmed=True).exists():
        return None
    return devices.filter(confirmed=False).order_by("-pk").first()


@transaction.atomic
def authenticator_confirm(*, user: User, token: str) -> TOTPDevice:
    _held_under_lock(user)
    device = authenticator_pending(user=user)
    if device is None:
        raise ApplicationError.of(NOT_FOUND, AccountsError.AUTHENTICATOR_NOT_FOUND)
    device = TOTPDevice.objects.select_for_update().get(pk=device.pk)
    if not device.verify_token((token or "").strip()):
        raise ApplicationError.of(INVALID, AccountsError.OTP_INVALID, field="otp")
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    _told(user, "开通了身份验证器")
    return device


def passkey_check_room(*, user: User) -> None:
    """Before a passkey is added: at most `MAX_PASSKEYS` per resident."""
    if passkey_list(user=user).count() >= MAX_PASSKEYS:
        raise ApplicationError.of(CONFLICT, AccountsError.PASSKEY_TOO_MANY)


def passkey_added(*, user: User, passkey: WebAuthnCredential) -> None:
    """Called in the transaction that saved a new passkey (accounts.passkeys.PasskeyHelper)."""
    _held_under_lock(user)
    if passkey_list(user=user).count() > MAX_PASSKEYS:
        raise ApplicationError.of(CONFLICT, AccountsError.PASSKEY_TOO_MANY)
    _told(user, "添加了一个通行密钥")


def _int_or_none(value: object) -> int | None:
    """A primary key as typed into a form: ASCII digits that fit a bigint, else None."""
    text = str(value or "").strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 18 else None

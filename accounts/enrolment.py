"""Registration that proves possession of the phone on file, sign-in notices, and the bureau's change
of that number (DESIGN.md section 3, API.md section 2, decision record 0015).

The identity number, name and card number are printed on the card, so they prove nothing by
themselves: a registration also names the phone on file and finishes only with the code sent there.
Until then nothing about the person or an existing login changes: the password waits, hashed, on the
pending registration. Self-service never writes the number on file; only `person_phone_change` does,
for a bureau officer, with a reason and an audit row."""

import datetime as dt
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from django.contrib.auth.hashers import make_password
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.enrolment_models import SMS_CODE_VALID_SECONDS, SmsPurpose
from accounts.errors import AccountsError
from accounts.identity import CARD_SHAPE, PHONE_SHAPE, normalize_card_number, parse_id_number
from accounts.models import PendingRegistration, Person, PhoneChange, Role, SmsDevice, User
from accounts.outbox import sms_queue
from accounts.selectors import person_get_by_id_number
from accounts.services import Registration, enrolment_unfinished, identity_mismatch, password_problems
from portal.core import crypto
from portal.core.errors import CONFLICT, INVALID, ApplicationError, Reason
from portal.core.masking import mask_phone
from portal.core.notify import SIGNATURE, sent_at_text
from portal.core.ratelimit import throttled


@dataclass(frozen=True)
class RegistrationStarted:
    registration_id: uuid.UUID
    sms_sent_to: str
    expires_in: int


def _send_after_commit(phone: str, text: str, template: str, params: dict[str, str] | None = None) -> None:
    """Queued in the outbox in the caller's transaction, sent after commit (accounts.outbox). A code
    is urgent (sent in this process when the broker is down) and not sent once it has expired."""
    code = template == "sms_code"
    sms_queue(
        phone=phone,
        text=text,
        template=template,
        params=params,
        urgent=code,
        valid_for=dt.timedelta(seconds=SMS_CODE_VALID_SECONDS) if code else None,
    )


def _person_matching(*, id_number: str, name: str, card_number: str, phone: str) -> Person:
    """The imported person the four fields name, or 400. Which field was wrong is never said."""
    identity = parse_id_number(id_number)
    card = normalize_card_number(card_number)
    phone = (phone or "").strip().replace(" ", "").replace("-", "")
    problems: list[Reason] = []
    if not CARD_SHAPE.match(card):
        problems.append(AccountsError.CARD_NUMBER_FORMAT.reason("card_number"))
    if not PHONE_SHAPE.match(phone):
        problems.append(AccountsError.PHONE_FORMAT.reason("phone"))
    if problems:
        raise ApplicationError(INVALID, problems)
    person = person_get_by_id_number(id_number=identity.number)
    if person is None or person.name != (name or "").strip() or person.card_number != card:
        raise identity_mismatch()
    if not person.phone:
        raise ApplicationError.of(INVALID, AccountsError.PHONE_NOT_ON_FILE)
    if not constant_time_compare(person.phone, phone):
        raise identity_mismatch()
    return person


@transaction.atomic
def registration_start(
    *,
    id_number: str,
    name: str,
    card_number: str,
    phone: str,
    password: str,
    before_sms: Callable[[Person], None] | None = None,
) -> RegistrationStarted:
    """Checks the four fields and the password, then sends a code to the number on file. Starting
    again replaces the pending registration (a new id: a code sent for one start finishes no other),
    at most once a minute. `before_sms` may refuse the send (the per-number rate limit)."""
    person = _person_matching(id_number=id_number, name=name, card_number=card_number, phone=phone)
    person = Person.objects.select_for_update().get(pk=person.pk)
    user = User.objects.filter(person=person).first()
    if user is not None and not enrolment_unfinished(user):
        raise ApplicationError.of(CONFLICT, AccountsError.ALREADY_REGISTERED)
    candidate = user or User(
        username=f"r{person.pk}", role=Role.RESIDENT, person=person, first_name=person.name
    )
    problems = password_problems(password, candidate)
    if problems:
        raise ApplicationError(
            INVALID,
            problems,
            code=AccountsError.PASSWORD_INVALID.value,
            message=AccountsError.PASSWORD_INVALID.message,
        )
    device, _ = SmsDevice.objects.select_for_update().get_or_create(
        person=person,
        purpose=SmsPurpose.REGISTRATION,
        defaults={"name": "注册短信验证码", "confirmed": False},
    )
    allowed, info = device.generate_is_allowed()
    if not allowed:
        wait = (info or {}).get("next_generation_at", timezone.now()) - timezone.now()
        raise throttled(int(wait.total_seconds()) + 1)
    if before_sms is not None:
        before_sms(person)
    code = device.new_code()
    pending, _ = PendingRegistration.objects.update_or_create(
        person=person,
        defaults={"public_id": uuid.uuid4(), "password_hash": make_password(password), "device": device},
    )
    text = f"{SIGNATURE}您正在注册医保家庭共济门户，验证码{code}，5分钟内有效。如非本人操作，请勿告诉他人。"
    _send_after_commit(person.phone, text, "sms_code", {"code": code})
    return RegistrationStarted(pending.public_id, mask_phone(person.phone), SMS_CODE_VALID_SECONDS)


def registration_confirm(*, registration_id: str, sms_code: str) -> Registration:
    """The code sent to the number on file finishes the registration: the login is created (or the
    unfinished one re-enrolled) with the waiting password and a new, unconfirmed authenticator, and
    the number on file is told. A wrong code is counted (and the count kept) before the refusal."""
    try:
        public_id = uuid.UUID(str(registration_id))
    except ValueError:
        raise ApplicationError.of(INVALID, AccountsError.SMS_CODE_EXPIRED) from None
    error: ApplicationError | None = None
    with transaction.atomic():
        pending = PendingRegistration.objects.select_for_update().filter(public_id=public_id).first()
        if pending is None:
            raise ApplicationError.of(INVALID, AccountsError.SMS_CODE_EXPIRED)
        device = SmsDevice.objects.select_for_update().get(pk=pending.device_id)
        if not device.code_live:
            error = ApplicationError.of(INVALID, AccountsError.SMS_CODE_EXPIRED)
        elif not device.verify_token(sms_code):
            error = ApplicationError.of(INVALID, AccountsError.SMS_CODE_INVALID, field="sms_code")
        else:
            return _registration_finish(pending)
    raise error


def _registration_finish(pending: PendingRegistration) -> Registration:
    person = Person.objects.select_for_update().get(pk=pending.person_id)
    user = User.objects.select_for_update().filter(person=person).first()
    if user is not None and not enrolment_unfinished(user):
        raise ApplicationError.of(CONFLICT, AccountsError.ALREADY_REGISTERED)
    again = user is not None
    user = user or User(username=f"r{person.pk}", role=Role.RESIDENT, person=person, first_name=person.name)
    user.password = pending.password_hash
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError as exc:
        raise ApplicationError.of(CONFLICT, AccountsError.ALREADY_REGISTERED) from exc
    TOTPDevice.objects.filter(user=user).delete()
    device = TOTPDevice.objects.create(user=user, name="身份验证器", confirmed=False)
    pending.delete()
    what = "重新设置了登录密码和身份验证器" if again else "注册了登录账号"
    text = (
        f"{SIGNATURE}您的医保家庭共济门户于{sent_at_text()}{what}。"
        "如非本人操作，请立即携带身份证到医保经办窗口处理。"
    )
    _send_after_commit(person.phone, text, "login_created")
    return Registration(user=user, device=device)


def resident_sign_in_notify(*, user: User, channel: str) -> None:
    """Every successful sign-in of a resident is told to the number on file (DESIGN.md section 3)."""
    person = user.person if user.is_resident else None
    if person is None or not person.phone:
        return
    text = (
        f"{SIGNATURE}您的账号于{sent_at_text()}通过{channel}登录。"
        "如非本人操作，请立即修改密码并到医保经办窗口处理。"
    )
    _send_after_commit(person.phone, text, "login_notice")


@transaction.atomic
def person_phone_change(*, staff: User, person: Person, new_phone: str, reason: str) -> PhoneChange:
    """A bureau officer records a new number on file (the resident came to the window). The old and
    new numbers are kept only masked in the audit row; both numbers are told."""
    new_phone = (new_phone or "").strip().replace(" ", "").replace("-", "")
    reason = (reason or "").strip()
    problems: list[Reason] = []
    if not PHONE_SHAPE.match(new_phone):
        problems.append(AccountsError.PHONE_FORMAT.reason("new_phone"))
    if not reason:
        problems.append(AccountsError.PHONE_CHANGE_REASON_REQUIRED.reason("reason"))
    if problems:
        raise ApplicationError(INVALID, problems)
    person = Person.objects.select_for_update().get(pk=person.pk)
    old_phone = person.phone
    if old_phone == new_phone:
        raise ApplicationError.of(INVALID, AccountsError.PHONE_UNCHANGED, field="new_phone")
    person.phone, person.phone_hash = new_phone, crypto.lookup_hash(new_phone)
    person._change_reason = f"变更手机号：{reason}"  # type: ignore[attr-defined]  # simple-history
    person.save(update_fields=["phone", "phone_hash", "updated_at"])
    change = PhoneChange.objects.create(
        person=person,
        staff=staff,
        old_phone_masked=mask_phone(old_phone),
        new_phone_masked=mask_phone(new_phone),
        reason=reason[:200],
    )
    # A code sent to the old number must not finish a registration, nor sign in, any more.
    PendingRegistration.objects.filter(person=person).delete()
    SmsDevice.objects.filter(person=person).exclude(token=None).update(token=None)
    text = f"{SIGNATURE}您在医保家庭共济门户登记的手机号已于{sent_at_text()}由医保经办窗口变更为{mask_phone(new_phone)}。"
    for phone in filter(None, {old_phone, new_phone}):
        _send_after_commit(phone, text, "notice")
    return change

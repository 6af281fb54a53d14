"""Writes of the accounts app: registration, TOTP enrolment, staff, audit of staff views.

Every function is atomic and either completes or changes nothing."""

from dataclasses import dataclass

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.errors import AccountsError
from accounts.identity import CARD_SHAPE, PHONE_SHAPE, normalize_card_number, parse_id_number
from accounts.models import Institution, Person, PersonViewLog, PoolingRegion, Role, User
from accounts.selectors import person_get_by_id_number
from portal.core import crypto
from portal.core.errors import CONFLICT, INVALID, ApplicationError, Reason

STAFF_ROLES = {Role.BUREAU, Role.HOSPITAL, Role.PHARMACY}


@dataclass(frozen=True)
class Registration:
    user: User
    device: TOTPDevice

    @property
    def otp_provisioning_uri(self) -> str:
        return str(self.device.config_url)


def _identity_mismatch() -> ApplicationError:
    # Never says which field did not match.
    return ApplicationError.of(INVALID, AccountsError.IDENTITY_MISMATCH)


def _password_problems(password: str, user: User) -> list[Reason]:
    try:
        validate_password(password, user)
    except ValidationError as exc:
        return [Reason(AccountsError.PASSWORD_INVALID.value, str(m), "password") for m in exc.messages]
    return []


@transaction.atomic
def resident_register(
    *, id_number: str, name: str, card_number: str, phone: str, password: str
) -> Registration:
    """Real-name registration: the three identity fields must match one imported person."""
    identity = parse_id_number(id_number)
    card = normalize_card_number(card_number)
    phone = (phone or "").strip()
    problems: list[Reason] = []
    if not CARD_SHAPE.match(card):
        problems.append(AccountsError.CARD_NUMBER_FORMAT.reason("card_number"))
    if not PHONE_SHAPE.match(phone):
        problems.append(AccountsError.PHONE_FORMAT.reason("phone"))
    if problems:
        raise ApplicationError(INVALID, problems)
    person = person_get_by_id_number(id_number=identity.number)
    if person is None or person.name != (name or "").strip() or person.card_number != card:
        raise _identity_mismatch()
    person = Person.objects.select_for_update().get(pk=person.pk)
    user = User.objects.filter(person=person).first()
    if user is not None and not _enrolment_unfinished(user):
        raise ApplicationError.of(CONFLICT, AccountsError.ALREADY_REGISTERED)
    # A registration that never confirmed its authenticator nor signed in may be started again by the
    # same person (the same three identity fields): the old password and secret are replaced.
    user = user or User(username=f"r{person.pk}", role=Role.RESIDENT, person=person, first_name=person.name)
    problems = _password_problems(password, user)
    if problems:
        raise ApplicationError(
            INVALID,
            problems,
            code=AccountsError.PASSWORD_INVALID.value,
            message=AccountsError.PASSWORD_INVALID.message,
        )
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError as exc:
        raise ApplicationError.of(CONFLICT, AccountsError.ALREADY_REGISTERED) from exc
    if person.phone != phone:
        person.phone = phone
        person.phone_hash = crypto.lookup_hash(phone)
        person.save(update_fields=["phone", "phone_hash", "updated_at"])
    TOTPDevice.objects.filter(user=user).delete()
    device = TOTPDevice.objects.create(user=user, name="身份验证器", confirmed=False)
    return Registration(user=user, device=device)


def _enrolment_unfinished(user: User) -> bool:
    return user.last_login is None and not TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def resident_totp_device(*, user: User) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user).order_by("id").first()


@transaction.atomic
def resident_confirm_totp(*, user: User, token: str) -> TOTPDevice:
    """Enrolment finishes when the resident types a code the new authenticator shows."""
    device = TOTPDevice.objects.select_for_update().filter(user=user).order_by("id").first()
    if device is None or not device.verify_token((token or "").strip()):
        raise ApplicationError.of(INVALID, AccountsError.OTP_INVALID, field="otp")
    device.confirmed = True
    device.save()
    return device


@transaction.atomic
def staff_create(
    *,
    username: str,
    role: str,
    password: str,
    region_code: str | None = None,
    institution_code: str | None = None,
) -> User:
    """Creates or updates a staff login (idempotent: running it twice changes nothing more)."""
    if role not in STAFF_ROLES:
        raise ApplicationError.of(INVALID, AccountsError.ROLE_UNKNOWN, field="role")
    if not password:
        raise ApplicationError.of(INVALID, AccountsError.STAFF_PASSWORD_MISSING)
    region: PoolingRegion | None = None
    institution: Institution | None = None
    if role == Role.BUREAU:
        if not region_code:
            raise ApplicationError.of(INVALID, AccountsError.REGION_REQUIRED, field="region")
        region = PoolingRegion.objects.filter(code=region_code).first()
        if region is None:
            raise ApplicationError.of(INVALID, AccountsError.REGION_NOT_FOUND, field="region")
    else:
        if not institution_code:
            raise ApplicationError.of(INVALID, AccountsError.INSTITUTION_REQUIRED, field="institution")
        institution = Institution.objects.select_related("region").filter(code=institution_code).first()
        if institution is None:
            raise ApplicationError.of(INVALID, AccountsError.INSTITUTION_NOT_FOUND, field="institution")
        if institution.kind != role:
            raise ApplicationError.of(INVALID, AccountsError.INSTITUTION_KIND_MISMATCH, field="institution")
        region = institution.region
    user = User.objects.filter(username=username).first() or User(username=username)
    user.role, user.region, user.institution = role, region, institution
    user.is_staff = role == Role.BUREAU  # bureau staff work in the admin; counters have their own pages
    problems = _password_problems(password, user)
    if problems:
        raise ApplicationError(INVALID, problems)
    user.set_password(password)
    user.save()
    if role == Role.BUREAU:
        from accounts.permissions import grant_bureau_permissions

        grant_bureau_permissions(user)
    return user


def person_view_record(*, staff: User, person: Person, surface: str) -> None:
    """The audit row for one staff view of a person's detail."""
    PersonViewLog.objects.create(staff=staff, person=person, surface=surface)


def person_keys_rotate(*, batch: int = 5000) -> int:
    """Re-encrypts identity and phone numbers with the first key of FIELD_ENCRYPTION_KEY, one
    transaction per batch of persons (history rows hold neither number)."""
    from django.db import connection

    done, last = 0, 0
    while True:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                "SELECT id, id_number, phone FROM accounts_person WHERE id > %s ORDER BY id LIMIT %s FOR UPDATE",
                [last, batch],
            )
            rows = cursor.fetchall()
            if not rows:
                return done
            ids = [r[0] for r in rows]
            numbers = [crypto.rotate(r[1]) for r in rows]
            phones = [crypto.rotate(r[2]) if r[2] else r[2] for r in rows]
            cursor.execute(
                "UPDATE accounts_person p SET id_number = v.n, phone = v.ph "
                "FROM unnest(%s::bigint[], %s::text[], %s::text[]) AS v(id, n, ph) WHERE p.id = v.id",
                [ids, numbers, phones],
            )
            done, last = done + len(rows), ids[-1]

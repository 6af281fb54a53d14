"""Writes of the accounts app: TOTP enrolment, staff, audit of staff views (registration itself is in
accounts.enrolment).

Every function is atomic and either completes or changes nothing."""

from dataclasses import dataclass

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.errors import AccountsError
from accounts.models import Institution, Person, PersonViewLog, PoolingRegion, Role, User
from portal.core import crypto
from portal.core.errors import INVALID, ApplicationError, Reason

STAFF_ROLES = {Role.BUREAU, Role.HOSPITAL, Role.PHARMACY}


@dataclass(frozen=True)
class Registration:
    user: User
    device: TOTPDevice

    @property
    def otp_provisioning_uri(self) -> str:
        return str(self.device.config_url)


def identity_mismatch() -> ApplicationError:
    # Never says which field did not match.
    return ApplicationError.of(INVALID, AccountsError.IDENTITY_MISMATCH)


def password_problems(password: str, user: User) -> list[Reason]:
    try:
        validate_password(password, user)
    except ValidationError as exc:
        return [Reason(AccountsError.PASSWORD_INVALID.value, str(m), "password") for m in exc.messages]
    return []


def enrolment_unfinished(user: User) -> bool:
    """Never signed in and no confirmed authenticator: the registration may be started again."""
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
    problems = password_problems(password, user)
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

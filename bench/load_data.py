"""The population of the load test (bench/load.py), written into its dedicated database.

The family blocks of bench/registry_data.py (10 persons and 20 registry edges a block) in a
load-only province and region (930000 / 930100, cards L…), every person with a real identity
number, a phone on file, and, for employees, a personal account whose opening balance is a `credit`
ledger entry (so the balance equals the sum of the ledger from the start). In each block the father
(role 2) and the son (role 5) are residents with a login: one password and the demo authenticator
key for all (`portal.demo.DEMO_TOTP_KEY_HEX`), each login its own TOTP device, so every login
accepts each code once (django-otp's replay guard, `last_t`).

- Counter pairs: the father pays for his father (51) and the son for his paternal grandmother (62)
  through an active hospital-channel binding. Counters settle and reverse only on these.
- Bind targets: each login's near relatives the registry confirms (bench.registry_data.RELATIVES),
  without its counter pair; a resident binds and withdraws only these, so no request in the run is
  a duplicate.
- Staff: a load hospital and a load pharmacy with their counter logins, and bureau officers of the
  load region (admin, OTP), made through `staff_create` (the first of each role; the others share
  its password hash).

`write_population(...)` returns what the locustfile needs (logins, targets, counter pairs, staff);
bench/load.py writes it as JSON for locust."""

import datetime as dt
from dataclasses import asdict, dataclass, field
from typing import Any

from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import AccountEntry, EntryKind, Institution, PersonalAccount, PoolingRegion, Role, User
from accounts.permissions import grant_bureau_permissions
from accounts.services import staff_create
from bench.registry_data import RELATIVES, BenchRegion, generate, realise_numbers, require_reference_data
from family_sharing.models import Binding
from portal.core import crypto
from portal.demo import DEMO_TOTP_KEY_HEX

LOAD = BenchRegion("930000", "930100", "L", "（负载）")
RESIDENT_PASSWORD = "Load-Resident-2026"  # noqa: S105 (load-test data in its own database)
STAFF_PASSWORD = "Load-Staff-Counter-2026"  # noqa: S105
OPENING_BALANCE_FEN = 2_000_000  # ¥20,000 each: no settlement of the run is refused for the balance
HOSPITAL, PHARMACY = "L93010001", "L93010002"
SHARER_ROLES = (2, 5)
# (sharer role, beneficiary role, block offset, relation code): the bindings counters settle on.
COUNTER_PAIRS = ((2, 0, 0, "51"), (5, 1, 0, "62"))
# One block in 97 records the aunt (role 3) as adopted by the grandfather (registry_data): the
# father's "younger sister" there is not a plain sibling, so that pair is left out of those blocks.
ADOPTIVE_BLOCK = 97


@dataclass
class Target:
    id_number: str
    name: str
    relation_code: str


@dataclass
class Resident:
    login: str
    card: str
    targets: list[Target] = field(default_factory=list)


@dataclass
class Population:
    totp_key_hex: str
    resident_password: str
    staff_password: str
    residents: list[Resident]
    counter_pairs: list[tuple[str, str]]  # (sharer card, beneficiary card)
    hospital: list[str]
    pharmacy: list[str]
    bureau: list[str]
    admin_search: list[str]  # names a bureau officer searches for

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def _card(n: int) -> str:
    return f"{LOAD.card_letter}{n:08d}"


def _persons() -> dict[int, tuple[int, str, str]]:
    """Person n (block * 10 + role) -> (primary key, name, insurance type)."""
    region_id = LOAD.region_id()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT card_number, id, name, insurance_type FROM accounts_person WHERE region_id = %s",
            [region_id],
        )
        return {int(card[1:]): (pk, name, kind) for card, pk, name, kind in cursor.fetchall()}


def _phones(persons: dict[int, tuple[int, str, str]]) -> None:
    """A phone on file for everyone (139 and the person's number): notices have somewhere to go."""
    rows = []
    for n, (pk, _name, _kind) in persons.items():
        phone = f"139{n:08d}"
        rows.append((crypto.encrypt(phone), crypto.lookup_hash(phone), pk))
    with connection.cursor() as cursor:
        cursor.executemany("UPDATE accounts_person SET phone = %s, phone_hash = %s WHERE id = %s", rows)


def _accounts(persons: dict[int, tuple[int, str, str]]) -> None:
    employees = [pk for pk, _name, kind in persons.values() if kind == "employee"]
    accounts = PersonalAccount.objects.bulk_create(
        [PersonalAccount(person_id=pk, balance_fen=OPENING_BALANCE_FEN) for pk in employees], batch_size=2000
    )
    AccountEntry.objects.bulk_create(
        [
            AccountEntry(
                account_id=account.pk,
                kind=EntryKind.CREDIT,
                amount_fen=OPENING_BALANCE_FEN,
                balance_after_fen=OPENING_BALANCE_FEN,
                description="期初余额",
            )
            for account in accounts
        ],
        batch_size=2000,
    )


def _resident_logins(persons: dict[int, tuple[int, str, str]], blocks: int) -> list[User]:
    password = make_password(RESIDENT_PASSWORD)  # one hash for all: 1.5M PBKDF2 rounds each is minutes
    users = [
        User(username=f"r{persons[n][0]}", role=Role.RESIDENT, person_id=persons[n][0], password=password)
        for block in range(blocks)
        for n in (block * 10 + role for role in SHARER_ROLES)
    ]
    return User.objects.bulk_create(users, batch_size=2000)


def _devices(users: list[User]) -> None:
    TOTPDevice.objects.bulk_create(
        [
            TOTPDevice(user=user, name="负载测试验证器", key=DEMO_TOTP_KEY_HEX, confirmed=True)
            for user in users
        ],
        batch_size=2000,
    )


def _counter_bindings(persons: dict[int, tuple[int, str, str]], blocks: int) -> list[tuple[str, str]]:
    pairs, bindings = [], []
    activated = dt.datetime.now(dt.UTC)
    for block in range(blocks):
        for s_role, b_role, b_off, code in COUNTER_PAIRS:
            s, b = block * 10 + s_role, ((block + b_off) % blocks) * 10 + b_role
            bindings.append(
                Binding(
                    sharer_id=persons[s][0],
                    beneficiary_id=persons[b][0],
                    relation_code_id=code,
                    derived_relation_code=code,
                    status="active",
                    channel="hospital",
                    reasons=[],
                    activated_at=activated,
                )
            )
            pairs.append((_card(s), _card(b)))
    Binding.objects.bulk_create(bindings, batch_size=2000)
    return pairs


def _targets(block: int, s_role: int, blocks: int, numbers: dict[int, str], persons: dict) -> list[Target]:
    counter = {(b_role, b_off, code) for r, b_role, b_off, code in COUNTER_PAIRS if r == s_role}
    found = []
    for relation in RELATIVES:
        if relation.s_role != s_role or (relation.b_role, relation.b_off, relation.code) in counter:
            continue
        if block % ADOPTIVE_BLOCK == 0 and relation.b_role == 3:
            continue
        n = ((block + relation.b_off) % blocks) * 10 + relation.b_role
        found.append(Target(numbers[n], persons[n][1], relation.code))
    return found


def _staff(region: PoolingRegion, counts: dict[str, int]) -> dict[str, list[str]]:
    """The first login of each role through staff_create; the others copy its password hash."""
    hospital, _ = Institution.objects.get_or_create(
        code=HOSPITAL, defaults={"name": "负载测试医院", "region": region, "kind": "hospital"}
    )
    pharmacy, _ = Institution.objects.get_or_create(
        code=PHARMACY, defaults={"name": "负载测试药房", "region": region, "kind": "pharmacy"}
    )
    places = {
        Role.HOSPITAL: {"institution_code": hospital.code},
        Role.PHARMACY: {"institution_code": pharmacy.code},
        Role.BUREAU: {"region_code": region.code},
    }
    names: dict[str, list[str]] = {}
    for role, where in places.items():
        usernames = [f"load_{role}_{i:03d}" for i in range(counts[role])]
        first = staff_create(username=usernames[0], role=role, password=STAFF_PASSWORD, **where)
        others = User.objects.bulk_create(
            [
                User(
                    username=name,
                    role=role,
                    region=first.region,
                    institution=first.institution,
                    is_staff=first.is_staff,
                    password=first.password,
                )
                for name in usernames[1:]
            ]
        )
        if role == Role.BUREAU:
            for user in others:
                grant_bureau_permissions(user)
        _devices([first, *others])
        names[role] = usernames
    return names


def write_population(*, blocks: int, staff: dict[str, int]) -> Population:
    """Generates everything in the load region of an empty (freshly migrated) database."""
    require_reference_data()
    generate(LOAD, persons=blocks * 10, edges=blocks * 20)
    persons = _persons()
    with transaction.atomic():
        by_pk = realise_numbers(pk for pk, _name, _kind in persons.values())
        numbers = {n: by_pk[pk] for n, (pk, _name, _kind) in persons.items()}
        _phones(persons)
        _accounts(persons)
        _devices(_resident_logins(persons, blocks))
        pairs = _counter_bindings(persons, blocks)
        region = PoolingRegion.objects.get(code=LOAD.region_code)
        staff_names = _staff(region, staff)
    with connection.cursor() as cursor:
        for table in (
            "accounts_person",
            "accounts_personalaccount",
            "accounts_accountentry",
            "accounts_user",
        ):
            cursor.execute(f"ANALYZE {table}")  # noqa: S608 (constant names)
    residents = [
        Resident(
            login=numbers[block * 10 + role],
            card=_card(block * 10 + role),
            targets=_targets(block, role, blocks, numbers, persons),
        )
        for block in range(blocks)
        for role in SHARER_ROLES
    ]
    return Population(
        totp_key_hex=DEMO_TOTP_KEY_HEX,
        resident_password=RESIDENT_PASSWORD,
        staff_password=STAFF_PASSWORD,
        residents=residents,
        counter_pairs=pairs,
        hospital=staff_names[Role.HOSPITAL],
        pharmacy=staff_names[Role.PHARMACY],
        bureau=staff_names[Role.BUREAU],
        admin_search=sorted({persons[n][1] for n in range(0, min(blocks * 10, 400), 7)}),
    )

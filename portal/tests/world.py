"""A small fixture world for the authorization matrix (issue 15): two pooling regions, each with a
resident who owns records of every kind, a hospital with a staff login and its own settlements
(one reversed), and a bureau officer with a window settlement; a pharmacy in the first region.

Every name is unusual and every number unique, so a response body that names someone the caller
may not see is caught by a plain substring search (`Side.secrets`)."""

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from typing import cast

from django.core.files.base import ContentFile
from django.db import connection
from django.db.models import Model

from accounts.change_requests.kinds import PERSON_PHONE
from accounts.change_requests.models import ChangeRequest
from accounts.change_requests.services import request_create
from accounts.delegations.models import Delegation, DelegationAct, DelegationDocument
from accounts.models import AccountEntry, Message, Person, PersonalAccount, User
from accounts.tests.factories import (
    AccountFactory,
    InstitutionFactory,
    PersonFactory,
    ProvinceFactory,
    RegionFactory,
    ResidentFactory,
    StaffFactory,
    make_id_number,
)
from certification.models import Certification, CertificationSession, HomeVisit, PensionPayment
from family_sharing.models import Binding, Evidence, KinshipEdge
from family_sharing.settlement.models import Reversal, Settlement
from family_sharing.settlement.selectors import settlement_get
from family_sharing.settlement.services import settlement_create, settlement_reverse
from family_sharing.tests.factories import BindingFactory, PolicyFactory, parent_edge, spouse_edge
from portal.core.time import now

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00\x90wS\xde"

# The tables a refused request must leave as they were (the records of people and money). Logs that
# a look-up legitimately writes (PersonViewLog, sessions, tokens, axes) are not among them.
GUARDED_MODELS: tuple[type[Model], ...] = (
    Person,
    PersonalAccount,
    AccountEntry,
    Message,
    KinshipEdge,
    Binding,
    Evidence,
    Delegation,
    DelegationDocument,
    DelegationAct,
    Certification,
    CertificationSession,
    HomeVisit,
    PensionPayment,
    Settlement,
    Reversal,
    ChangeRequest,
)


_TABLE_DIGEST = "(SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY t.{key}), '')) FROM {table} t)"


def guarded_digest() -> str:
    """One hash over every row of the guarded tables, computed by PostgreSQL in one statement (rows
    as text, ordered by key): equal before and after means nothing changed."""
    # Table and column names come from the models, never from input.
    parts = [_TABLE_DIGEST.format(table=m._meta.db_table, key=m._meta.pk.column) for m in GUARDED_MODELS]
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + " || ".join(parts))
        row = cursor.fetchone()
    return hashlib.sha256(str(row[0]).encode()).hexdigest()


@dataclass
class Side:
    """One region's corner of the world: what its resident, hospital and officer own."""

    label: str
    resident: User  # the role "resident <label>"
    me: Person  # the resident's person (employee with a personal account)
    mother: Person  # a pensioner the resident pays for and acts for
    spouse: Person  # pays for the resident (the resident is a beneficiary)
    child: Person  # under 16; both parents are registry guardians
    binding_as_sharer: Binding
    binding_as_beneficiary: Binding
    binding_for_child: Binding
    delegations: list[Delegation]  # as agent for the mother, the spouse's for the resident, for the child
    home_visits: list[HomeVisit]
    hospital_staff: User
    officer: User
    settlements: list[Settlement] = field(default_factory=list)  # the hospital's
    window_settlements: list[Settlement] = field(default_factory=list)  # the officer's

    @property
    def bindings(self) -> list[Binding]:
        return [self.binding_as_sharer, self.binding_as_beneficiary, self.binding_for_child]

    @property
    def persons(self) -> list[Person]:
        return [self.me, self.mother, self.spouse, self.child]

    def secrets(self) -> set[str]:
        """What no one outside this side may read in a response: full names, identity numbers,
        card numbers, phones, and what the counters wrote on the settlements."""
        out: set[str] = set()
        for person in self.persons:
            out |= {person.name, person.id_number, person.card_number, person.phone}
        for settlement in [*self.settlements, *self.window_settlements]:
            out.add(settlement.description)
        return {s for s in out if s}


@dataclass
class World:
    a: Side
    b: Side
    pharmacy_staff: User
    pharmacy_settlement: Settlement

    @property
    def sides(self) -> tuple[Side, Side]:
        return (self.a, self.b)


def _user(made: object) -> User:
    """A factory's product as the model it makes (factory_boy's types say the factory)."""
    assert isinstance(made, User)
    return made


def _region(code: str, name: str) -> object:
    province = ProvinceFactory(code=code[:2] + "0000", name=name)
    return RegionFactory(code=code, name=name, province=province)


def _person(region: object, address: str, name: str, birth: dt.date, **kwargs: object) -> Person:
    male = bool(kwargs.pop("male", True))
    return PersonFactory(
        name=name,
        region=region,
        birth=birth,
        male=male,
        id_number=make_id_number(birth=birth, male=male, address=address),
        **kwargs,
    )


def _settle(staff: User, binding: Binding, category: str, description: str, key: str) -> Settlement:
    result = settlement_create(
        actor=staff,
        sharer_card_number=binding.sharer.card_number,
        beneficiary_card_number=binding.beneficiary.card_number,
        category=category,
        amount_fen=1_234,
        description=description,
        idempotency_key=key,
    )
    settlement = settlement_get(viewer=staff, settlement_id=result.id)
    assert settlement is not None
    return settlement


def _side(label: str, code: str, address: str, names: tuple[str, str, str, str]) -> Side:
    region = _region(code, f"{label}市")
    PolicyFactory(region=region, scope="near_relatives")
    my_name, mother_name, spouse_name, child_name = names
    me = _person(region, address, my_name, dt.date(1975, 3, 4))
    AccountFactory(person=me, balance_fen=500_000)
    mother = _person(
        region,
        address,
        mother_name,
        dt.date(1950, 6, 7),
        male=False,
        is_pensioner=True,
        last_certified_on=dt.date(2026, 1, 5),
    )
    spouse = _person(region, address, spouse_name, dt.date(1976, 8, 9), male=False)
    AccountFactory(person=spouse, balance_fen=300_000)
    child = _person(region, address, child_name, dt.date(2016, 2, 3), insurance_type="resident")
    parent_edge(mother, me)
    parent_edge(me, child)
    parent_edge(spouse, child)
    spouse_edge(me, spouse)
    resident = _user(ResidentFactory(person=me))
    ResidentFactory(person=mother)
    spouse_user = _user(ResidentFactory(person=spouse))
    as_sharer: Binding = cast(
        Binding, BindingFactory(sharer=me, beneficiary=mother, relation_code_id="52", status="active")
    )
    as_beneficiary: Binding = cast(
        Binding, BindingFactory(sharer=spouse, beneficiary=me, relation_code_id="11", status="active")
    )
    # The spouse pays for the child: the resident sees it as the child's registry guardian.
    for_child: Binding = cast(
        Binding, BindingFactory(sharer=spouse, beneficiary=child, relation_code_id="20", status="active")
    )
    Evidence.objects.create(
        binding=as_sharer,
        file=ContentFile(PNG, name=f"{label}-hukou.png"),
        content_type="image/png",
        size=len(PNG),
        uploaded_by=resident,
    )
    delegation = Delegation.objects.create(
        agent=resident,
        principal=mother,
        relation_id="52",
        scopes=["view_rights", "certify", "transfer_application", "use_balance"],
        status="active",
        confirmed_at=now(),
    )
    DelegationDocument.objects.create(
        delegation=delegation,
        kind="id_document",
        file=ContentFile(PNG, name=f"{label}-id.png"),
        content_type="image/png",
        size=len(PNG),
    )
    # The resident's spouse acts for them (the resident is a principal as well as an agent) and for
    # their child (the resident sees it as the child's guardian).
    as_principal = Delegation.objects.create(
        agent=spouse_user, principal=me, relation_id="11", scopes=["view_rights"], status="active"
    )
    child_delegation = Delegation.objects.create(
        agent=spouse_user,
        principal=child,
        relation_id="20",
        scopes=["view_rights"],
        status="active",
        principal_minor=True,
    )
    visits = [
        HomeVisit.objects.create(
            person=mother,
            requested_by=resident,
            delegation=delegation,
            reason="mobility",
            address=f"{label}市幸福路{code[-3:]}号",
        ),
        HomeVisit.objects.create(
            person=me, requested_by=resident, reason="hospital", address=f"{label}市医院"
        ),
    ]
    Certification.objects.create(
        person=mother,
        channel="bureau",
        method="in_person",
        result="pass",
        certified_at=now(),
        documents_seen="身份证",
    )
    hospital = InstitutionFactory(name=f"{label}市第一人民医院", region=region, kind="hospital")
    hospital_staff = _user(StaffFactory(role="hospital", institution=hospital, region=None, is_staff=False))
    officer = _user(StaffFactory(role="bureau", region=region))
    # a phone change the officer filed for the mother, waiting for a second officer (maker-checker)
    request_create(
        kind=PERSON_PHONE, maker=officer, target=mother, after={"phone": f"139{code}00"}, reason="原号码停用"
    )
    side = Side(
        label=label,
        resident=resident,
        me=me,
        mother=mother,
        spouse=spouse,
        child=child,
        binding_as_sharer=as_sharer,
        binding_as_beneficiary=as_beneficiary,
        binding_for_child=for_child,
        delegations=[delegation, as_principal, child_delegation],
        home_visits=visits,
        hospital_staff=hospital_staff,
        officer=officer,
    )
    for n, binding in enumerate([as_sharer, as_beneficiary, as_sharer]):
        side.settlements.append(
            _settle(hospital_staff, binding, "medical_self_pay", f"{label}院门诊自付第{n}笔", f"{label}-h{n}")
        )
    settlement_reverse(actor=hospital_staff, settlement=side.settlements[-1], reason="收费错误")
    side.window_settlements.append(
        _settle(officer, as_sharer, "resident_contribution", f"{label}窗口代缴居民医保", f"{label}-w0")
    )
    return side


def world_build() -> World:
    """Both sides and a pharmacy in the first region that settled once for the first side."""
    a = _side("京华", "110100", "110101", ("欧阳明远", "欧阳慧兰", "司徒静雯", "欧阳小满"))
    b = _side("沪江", "310100", "310101", ("上官云飞", "上官秀英", "慕容婉清", "上官朵朵"))
    pharmacy = InstitutionFactory(
        code="P00000077", name="京华惠民大药房", kind="pharmacy", region=a.me.region
    )
    pharmacy_staff = _user(StaffFactory(role="pharmacy", institution=pharmacy, region=None, is_staff=False))
    pharmacy_settlement = _settle(pharmacy_staff, a.binding_as_sharer, "pharmacy", "京华药房购药", "ph-0")
    return World(a=a, b=b, pharmacy_staff=pharmacy_staff, pharmacy_settlement=pharmacy_settlement)

"""The fixture world of the reflow walk (test_reflow.py): portal/tests/world.py's world of two
regions, and what it lacks for every part of every page to show: a pensioner due to certify with no
open home visit (so /certification/ shows the home-visit form) who signs in with a passkey; a
certify delegation for him and one waiting for him to confirm; bindings waiting for his consent,
for evidence, and one ended; a re-consent question; newcomers to register; a family to bind at the
counter."""

import datetime as dt
import os
from dataclasses import dataclass
from typing import cast

from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.models import WebAuthnCredential

from accounts.delegations.models import Delegation
from accounts.models import Person, User
from accounts.tests.factories import PersonFactory, ResidentFactory
from certification.models import Certification, HomeVisit
from family_sharing.reconsent.models import ANSWER_DAYS, ReconsentRequest
from family_sharing.tests.factories import BindingFactory, parent_edge, sharer
from portal.core.time import add_months, now
from portal.tests.world import World, world_build


@dataclass
class ReflowWorld:
    """portal/tests/world.py's world, and what its pages need on top to show every part."""

    world: World
    pensioner: User  # resident A's father: due to certify, no open home visit, a passkey only
    newcomers: list[Person]  # imported, not yet registered: one per registration flow
    counter_family: tuple[Person, Person]  # a son with an account and his father, not yet bound


def reflow_world() -> ReflowWorld:
    world = world_build()
    a = world.a
    region = a.me.region
    today = timezone.localdate()
    father: Person = cast(
        Person,
        PersonFactory(
            name="欧阳正德",
            region=region,
            birth=dt.date(1948, 9, 10),
            is_pensioner=True,
            last_certified_on=add_months(today, -12) + dt.timedelta(days=20),
        ),
    )
    parent_edge(father, a.me)
    pensioner: User = cast(User, ResidentFactory(person=father))
    # he signs in with a fingerprint (a passkey) and holds no authenticator
    TOTPDevice.objects.filter(user=pensioner).delete()
    WebAuthnCredential.objects.create(
        user=pensioner, name="手机", credential_id=os.urandom(32), public_key=b"\x00", confirmed=True
    )
    Certification.objects.create(
        person=father,
        channel="bureau",
        method="in_person",
        result="pass",
        certified_at=now() - dt.timedelta(days=340),
        documents_seen="身份证",
    )
    HomeVisit.objects.create(
        person=father,
        requested_by=pensioner,
        reason="mobility",
        address="京华市幸福路1号",
        status="cancelled",
    )
    # his son asks to pay for him (waiting for his consent) and may certify for him; his
    # daughter-in-law asks to act for him too (waiting for him to confirm)
    BindingFactory(sharer=a.me, beneficiary=father, relation_code_id="51", status="pending_consent")
    Delegation.objects.create(
        agent=a.resident,
        principal=father,
        relation_id="51",
        scopes=["view_rights", "certify"],
        status="active",
        confirmed_at=now(),
    )
    Delegation.objects.create(
        agent=User.objects.get(person=a.spouse),
        principal=father,
        relation_id="51",
        scopes=["view_rights"],
        status="pending_confirmation",
    )
    # the son's binding for his sister waits for evidence
    sister = PersonFactory(name="欧阳明珠", region=region, birth=dt.date(1978, 1, 2), male=False)
    parent_edge(a.mother, sister)
    BindingFactory(sharer=a.me, beneficiary=sister, relation_code_id="30", status="needs_evidence")
    # and an ended one, listed under 已结束 (a <details>, opened before measuring)
    BindingFactory(sharer=a.me, beneficiary=a.child, relation_code_id="20", status="revoked", ended_at=now())
    # the son is asked whether his spouse may go on paying for him (the page a young person gets at
    # 16; the son stands in for them: the page is the same)
    ReconsentRequest.objects.create(
        binding=a.binding_as_beneficiary,
        requested_on=today,
        due_on=today + dt.timedelta(days=ANSWER_DAYS - 1),
    )
    newcomers = [
        PersonFactory(name=name, region=region, birth=dt.date(1952, 4, 5))
        for name in ("欧阳新一", "欧阳新二")
    ]
    son = sharer(name="欧阳建业", region=region, birth=dt.date(1980, 2, 3))
    grandfather = PersonFactory(
        name="欧阳守成", region=region, birth=dt.date(1950, 6, 7), insurance_type="resident"
    )
    parent_edge(grandfather, son)
    return ReflowWorld(
        world=world, pensioner=pensioner, newcomers=newcomers, counter_family=(son, grandfather)
    )

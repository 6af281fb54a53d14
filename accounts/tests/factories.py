"""factory_boy factories for the accounts models. Identity numbers are real-shaped and valid."""

import datetime as dt
import itertools

import factory
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from factory.django import DjangoModelFactory
from stdnum.cn import ric

from accounts.models import (
    AccountEntry,
    Institution,
    Person,
    PersonalAccount,
    PoolingRegion,
    Province,
    Role,
    User,
)
from portal.core import crypto

_serial = itertools.count(1)


def make_id_number(
    *, birth: dt.date = dt.date(1980, 1, 1), male: bool = True, address: str = "110101"
) -> str:
    """A valid 18-character identity number; each call gives a new order code."""
    order_code = f"{(next(_serial) % 499) * 2 + (1 if male else 0):03d}"  # 17th digit odd = male
    body = f"{address}{birth:%Y%m%d}{order_code}"
    return body + ric.calc_check_digit(body + "0")


class ProvinceFactory(DjangoModelFactory):
    class Meta:
        model = Province
        django_get_or_create = ("code",)

    code = "110000"
    name = "北京市"


class RegionFactory(DjangoModelFactory):
    class Meta:
        model = PoolingRegion
        django_get_or_create = ("code",)

    code = "110100"
    name = "北京市"
    level = "prefecture"
    province = factory.SubFactory(ProvinceFactory)


class InstitutionFactory(DjangoModelFactory):
    class Meta:
        model = Institution
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"H{n:08d}")
    name = factory.Sequence(lambda n: f"第{n}人民医院")
    region = factory.SubFactory(RegionFactory)
    kind = "hospital"


class PersonFactory(DjangoModelFactory):
    class Meta:
        model = Person

    class Params:
        birth = dt.date(1980, 1, 1)
        male = True

    name = factory.Sequence(lambda n: f"张{'三四五六七八九'[n % 7]}")
    id_number = factory.LazyAttribute(lambda o: make_id_number(birth=o.birth, male=o.male))
    id_hash = factory.LazyAttribute(lambda o: crypto.lookup_hash(o.id_number))
    card_number = factory.Sequence(lambda n: f"A{n:08d}")
    phone = factory.Sequence(lambda n: f"138{n:08d}")
    phone_hash = factory.LazyAttribute(lambda o: crypto.lookup_hash(o.phone))
    sex = factory.LazyAttribute(lambda o: "male" if o.male else "female")
    birth_date = factory.LazyAttribute(lambda o: o.birth)
    region = factory.SubFactory(RegionFactory)
    insurance_type = "employee"
    status = "normal"


class AccountFactory(DjangoModelFactory):
    """A personal account whose opening balance is explained by one credit entry."""

    class Meta:
        model = PersonalAccount
        skip_postgeneration_save = True

    person = factory.SubFactory(PersonFactory)
    balance_fen = 100_000

    @factory.post_generation
    def opening_entry(obj: PersonalAccount, create: bool, extracted: object, **kwargs: object) -> None:  # noqa: N805
        if create and obj.balance_fen:
            AccountEntry.objects.create(
                account=obj,
                kind="credit",
                amount_fen=obj.balance_fen,
                balance_after_fen=obj.balance_fen,
                description="期初余额",
            )


class ResidentFactory(DjangoModelFactory):
    """A registered resident with a confirmed TOTP device (`user.totp` is the device)."""

    class Meta:
        model = User
        skip_postgeneration_save = True

    person = factory.SubFactory(PersonFactory)
    username = factory.LazyAttribute(lambda o: f"r{o.person.pk}")
    role = Role.RESIDENT
    password = factory.django.Password("Correct-Horse-42")

    @factory.post_generation
    def totp(obj: User, create: bool, extracted: object, **kwargs: object) -> None:  # noqa: N805
        if create:
            obj.totp = TOTPDevice.objects.create(user=obj, name="身份验证器", confirmed=True)


class StaffFactory(DjangoModelFactory):
    """A staff user with a static OTP token `123456` (django-otp's addstatictoken equivalent)."""

    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"staff{n}")
    role = Role.BUREAU
    region = factory.SubFactory(RegionFactory)
    is_staff = True
    password = factory.django.Password("Staff-Password-42")

    @factory.post_generation
    def static_token(obj: User, create: bool, extracted: object, **kwargs: object) -> None:  # noqa: N805
        if create:
            device = StaticDevice.objects.create(user=obj, name="backup")
            for token in extracted if isinstance(extracted, list) else ["123456", "234567", "345678"]:
                StaticToken.objects.create(device=device, token=token)
            if obj.role == Role.BUREAU:
                from accounts.permissions import grant_bureau_permissions

                grant_bureau_permissions(obj)


def totp_now(device: TOTPDevice, *, steps_ahead: int = 0) -> str:
    """The code an authenticator app would show now (or `steps_ahead` periods later)."""
    import time

    from django_otp.oath import TOTP

    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + steps_ahead * device.step
    return f"{totp.token():0{device.digits}d}"

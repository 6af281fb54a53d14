"""Factories and helpers for family-sharing tests: registry edges and policy versions."""

import datetime as dt

import factory
from factory.django import DjangoModelFactory

from accounts.tests.factories import AccountFactory, PersonFactory
from family_sharing.models import Binding, KinshipEdge, PolicyVersion


class PolicyFactory(DjangoModelFactory):
    class Meta:
        model = PolicyVersion
        django_get_or_create = ("region", "effective_from")

    region = factory.SubFactory("accounts.tests.factories.RegionFactory")
    scope = "near_relatives"
    effective_from = dt.date(2024, 1, 1)


def parent_edge(parent, child, kind: str = "birth") -> KinshipEdge:
    return KinshipEdge.objects.create(kind="parent", a=parent, b=child, parent_kind=kind)


def spouse_edge(x, y, valid_from=dt.date(2000, 1, 1), valid_to=None) -> KinshipEdge:
    a, b = sorted([x, y], key=lambda p: p.pk)
    return KinshipEdge.objects.create(kind="spouse", a=a, b=b, valid_from=valid_from, valid_to=valid_to)


def sharer(**kwargs):
    """An employee with a personal account, born 1980, male unless told otherwise."""
    person = PersonFactory(**kwargs)
    AccountFactory(person=person)
    return person


def person(year: int, *, male: bool = True, **kwargs):
    return PersonFactory(
        birth=dt.date(year, 5, 1),
        male=male,
        insurance_type=kwargs.pop("insurance_type", "resident"),
        **kwargs,
    )


class BindingFactory(DjangoModelFactory):
    """A binding row as the services leave it (for setting up lists; tests of the lifecycle go
    through the API)."""

    class Meta:
        model = Binding

    sharer = factory.LazyFunction(sharer)
    beneficiary = factory.SubFactory(PersonFactory, insurance_type="resident")
    relation_code_id = "51"
    status = "active"
    channel = "web"

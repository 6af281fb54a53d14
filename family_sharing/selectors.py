"""Reads of family sharing. Every selector that takes a viewer returns only what that viewer may
see: a resident sees the bindings where they are the sharer, the beneficiary, or the registry parent
(guardian) of a beneficiary under 16; anything else is simply not found."""

import datetime as dt
import uuid

from django.db.models import Q, QuerySet

from accounts.identity import id_number_problem, normalize_id_number
from accounts.models import Person, User
from accounts.selectors import person_get_by_id_number
from family_sharing.models import Binding, BindingStatus, KinshipEdge
from portal.core.time import add_months, today

GUARDIAN_AGE = 16


def beneficiary_lookup(*, id_number: str, name: str) -> Person | None:
    """The person with this number AND this name; a wrong name is the same as an unknown number."""
    if id_number_problem(id_number) is not None:
        return None
    person = person_get_by_id_number(id_number=normalize_id_number(id_number))
    if person is None or person.name != (name or "").strip():
        return None
    return person


def is_minor(person: Person, on: dt.date | None = None) -> bool:
    return add_months(person.birth_date, 12 * GUARDIAN_AGE) > (on or today())


def is_registry_parent(*, parent: Person, child: Person) -> bool:
    return KinshipEdge.objects.filter(
        kind="parent", a=parent, b=child, parent_kind__in=["birth", "adoptive", "step_supported"]
    ).exists()


def _visible_q(person: Person) -> Q:
    wards = KinshipEdge.objects.filter(
        kind="parent", a=person, parent_kind__in=["birth", "adoptive", "step_supported"]
    ).values("b_id")
    minors_born_after = add_months(today(), -12 * GUARDIAN_AGE)
    return (
        Q(sharer=person)
        | Q(beneficiary=person)
        | Q(beneficiary_id__in=wards, beneficiary__birth_date__gt=minors_born_after)
    )


def binding_list(*, viewer: User, role: str | None = None) -> QuerySet[Binding]:
    person = viewer.person
    if person is None:
        return Binding.objects.none()
    qs = Binding.objects.select_related("sharer", "beneficiary", "relation_code")
    if role == "sharer":
        return qs.filter(sharer=person)
    if role == "beneficiary":
        return qs.filter(beneficiary=person)
    return qs.filter(_visible_q(person))


def binding_get(*, viewer: User, binding_id: uuid.UUID | str) -> Binding | None:
    try:
        key = uuid.UUID(str(binding_id))
    except ValueError:
        return None
    return binding_list(viewer=viewer).filter(pk=key).first()


def binding_guardian_may_consent(*, viewer: User, binding: Binding) -> bool:
    """A registry parent of a beneficiary under 16 consents for them."""
    person = viewer.person
    return (
        person is not None
        and is_minor(binding.beneficiary)
        and is_registry_parent(parent=person, child=binding.beneficiary)
    )


def card_holder_sharers(*, person: Person) -> QuerySet[Binding]:
    """The active bindings under which a sharer's personal account may pay for this card holder
    (the counter's card look-up), oldest first, with the sharer and relation loaded."""
    return (
        Binding.objects.filter(beneficiary=person, status=BindingStatus.ACTIVE)
        .select_related("sharer", "relation_code")
        .order_by("created_at", "id")
    )

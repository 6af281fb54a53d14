"""Reads of the accounts app. Selectors that take a viewer return only what that viewer may see."""

import datetime as dt

from django.db.models import Q, QuerySet
from django.utils import timezone

from accounts.models import AccountEntry, EntryKind, Person, PersonalAccount, Role, User
from portal.core import crypto
from portal.core.time import add_months


def person_get_by_id_number(*, id_number: str) -> Person | None:
    """Looks a normalised identity number up through its keyed hash (the column is ciphertext)."""
    return (
        Person.objects.select_related("region__province")
        .filter(id_hash=crypto.lookup_hash(id_number))
        .first()
    )


def person_get_by_card(*, card_number: str) -> Person | None:
    return Person.objects.select_related("region__province").filter(card_number=card_number).first()


def person_get_by_card_at_counter(*, staff: User, card_number: str) -> Person | None:
    """The card holder a counter may look up: a hospital or pharmacy serves every insured person who
    presents a card (treatment outside one's own region is ordinary); a bureau window serves its own
    pooling region only (DESIGN.md section 3), so another region's card is not found there."""
    person = person_get_by_card(card_number=card_number)
    if person is None or staff.is_superuser or staff.role != Role.BUREAU:
        return person
    return person if person.region_id == staff.region_id else None


def person_list_for_staff(*, staff: User) -> QuerySet[Person]:
    """Bureau staff see the persons of their own pooling region only; superusers see all."""
    qs = Person.objects.select_related("region__province")
    if staff.is_superuser:
        return qs
    if staff.role == Role.BUREAU and staff.region_id is not None:
        return qs.filter(region_id=staff.region_id)
    return qs.none()


def staff_serves(*, staff: User, person: Person) -> bool:
    """Whether a staff member may act for this person: bureau staff of the person's pooling region,
    or a superuser (the same rule as `person_list_for_staff`)."""
    if staff.is_superuser:
        return True
    return staff.role == Role.BUREAU and staff.region_id is not None and staff.region_id == person.region_id


def account_get_for_person(*, person: Person) -> PersonalAccount | None:
    return PersonalAccount.objects.filter(person=person).first()


def user_get_by_login(*, login: str) -> User | None:
    """A login is a resident's identity number (any accepted spelling) or a staff username."""
    from accounts.identity import id_number_problem, normalize_id_number

    if id_number_problem(login) is None:
        person = person_get_by_id_number(id_number=normalize_id_number(login))
        return User.objects.filter(person=person).first() if person else None
    staff = Q(role__in=[Role.BUREAU, Role.HOSPITAL, Role.PHARMACY]) | Q(is_superuser=True)
    return User.objects.filter(staff, username=login.strip()).first()


def created_in_month(month: dt.date) -> Q:
    """`created_at` within `month` in Asia/Shanghai. December 9999 is the last month a date can
    name, so it has no following month to end at."""
    zone = timezone.get_default_timezone()
    within = Q(created_at__gte=dt.datetime(month.year, month.month, 1, tzinfo=zone))
    if (month.year, month.month) < (dt.MAXYEAR, 12):
        following = add_months(month.replace(day=1), 1)
        within &= Q(created_at__lt=dt.datetime(following.year, following.month, 1, tzinfo=zone))
    return within


def account_entry_list(*, person: Person, month: dt.date | None = None) -> QuerySet[AccountEntry]:
    """The person's own ledger, newest first, with for whom and where each family payment went."""
    qs = (
        AccountEntry.objects.filter(account__person=person)
        .select_related("beneficiary", "institution")
        .order_by("-created_at", "-id")
    )
    if month is not None:
        qs = qs.filter(created_in_month(month))
    return qs


def payments_received_list(*, person: Person, month: dt.date | None = None) -> QuerySet[AccountEntry]:
    """What relatives paid for this person from their personal accounts (family settlements and
    their reversals), newest first: the beneficiary's side of DESIGN.md section 8 ("both sides can
    see the payments made under their binding"). The page shows amount, who paid (masked), where and
    when, never the payer's balance."""
    qs = (
        AccountEntry.objects.filter(
            beneficiary=person, kind__in=[EntryKind.FAMILY_SETTLEMENT, EntryKind.REVERSAL]
        )
        .select_related("account__person", "institution")
        .order_by("-created_at", "-id")
    )
    if month is not None:
        qs = qs.filter(created_in_month(month))
    return qs

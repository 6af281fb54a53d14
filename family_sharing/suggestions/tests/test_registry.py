"""The registry's list of a person's near relatives is the one derivation there is: for everyone in
a large registry family it gives exactly what `derive_many` gives pair by pair, in two queries."""

import datetime as dt

import pytest

from accounts.models import Person
from family_sharing.registry import PersonFacts, TableRegistry

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 11, 25)


def test_near_relatives_agree_with_the_pairwise_derivation_for_everyone_in_the_family(family):
    # given the registry family of the eligibility tests, seen from each of its members in turn
    registry = TableRegistry()
    people = [PersonFacts(p.pk, p.sex, p.birth_date) for p in Person.objects.all()]
    for me in people:
        # when the registry lists their near relatives
        listed = registry.near_relatives(me.id, TODAY)

        # then it is exactly the set of persons derive_many calls near relatives, with the same answer
        pairs = registry.derive_many([(me, other) for other in people if other.id != me.id], TODAY)
        expected = {b: derived for (_, b), derived in pairs.items() if derived.kin is not None}
        assert listed == expected, me


def test_listing_takes_two_queries_whatever_the_family(family, django_assert_num_queries):
    with django_assert_num_queries(2):
        assert len(TableRegistry().near_relatives(family["me"].pk, TODAY)) == 19


def test_a_person_without_edges_has_no_near_relatives(family, django_assert_num_queries):
    with django_assert_num_queries(1):
        assert TableRegistry().near_relatives(family["great_gf"].pk + 10_000, TODAY) == {}

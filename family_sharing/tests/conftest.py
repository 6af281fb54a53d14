import datetime as dt

import pytest
from django.conf import settings


@pytest.fixture(autouse=True)
def relation_codes(db):
    """GB/T 4761 codes as load_reference_data loads them."""
    from django.db import transaction

    from accounts.imports.reference import relation_codes_load

    # It locks the rows it upserts, and transaction=True tests have no outer transaction.
    with transaction.atomic():
        relation_codes_load(path=settings.BASE_DIR / "portal" / "reference" / "family_relationship_codes.csv")


@pytest.fixture
def near_relatives_policy(db):
    from family_sharing.tests.factories import PolicyFactory

    return PolicyFactory(scope="near_relatives")


@pytest.fixture
def family(near_relatives_policy):
    """The sharer `me` (1980, male, employee with an account) and a registry family around him:
    grandparents on both sides and a great-grandfather, parents, siblings older and younger of both
    sexes, a wife (and a former wife), children, grandchildren through a son and through a daughter,
    an adoptive father, step-fathers with and without a support relationship, and in-laws."""
    from family_sharing.tests.factories import parent_edge, person, sharer, spouse_edge

    me = sharer(birth=dt.date(1980, 5, 1))
    father, mother = person(1950), person(1952, male=False)
    parent_edge(father, me)
    parent_edge(mother, me)
    pat_gf, pat_gm = person(1925), person(1927, male=False)
    parent_edge(pat_gf, father)
    parent_edge(pat_gm, father)
    mat_gf, mat_gm = person(1926), person(1928, male=False)
    parent_edge(mat_gf, mother)
    parent_edge(mat_gm, mother)
    great_gf = person(1900)
    parent_edge(great_gf, pat_gf)
    elder_sister, younger_brother = person(1978, male=False), person(1984)
    parent_edge(mother, elder_sister)
    parent_edge(father, younger_brother)
    elder_brother, younger_sister = person(1976), person(1986, male=False)
    parent_edge(father, elder_brother)
    parent_edge(mother, younger_sister)
    wife = person(1982, male=False)
    spouse_edge(me, wife)
    former_wife = person(1981, male=False)
    spouse_edge(me, former_wife, valid_from=dt.date(2002, 1, 1), valid_to=dt.date(2004, 6, 30))
    father_in_law = person(1955)
    parent_edge(father_in_law, wife)
    son, daughter = person(2005), person(2008, male=False)
    parent_edge(me, son)
    parent_edge(me, daughter)
    son_in_law = person(2006)
    spouse_edge(daughter, son_in_law, valid_from=dt.date(2026, 1, 1))
    sons_son, sons_daughter = person(2025), person(2026, male=False)
    parent_edge(son, sons_son)
    parent_edge(son, sons_daughter)
    daughters_son, daughters_daughter = person(2025), person(2026, male=False)
    parent_edge(daughter, daughters_son)
    parent_edge(daughter, daughters_daughter)
    adoptive_father, step_father_supporting, step_father = person(1948), person(1949), person(1947)
    parent_edge(adoptive_father, me, kind="adoptive")
    parent_edge(step_father_supporting, me, kind="step_supported")
    parent_edge(step_father, me, kind="step")
    return locals()

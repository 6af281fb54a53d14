import pytest
from django.conf import settings


@pytest.fixture(autouse=True)
def relation_codes(db):
    """GB/T 4761 codes as load_reference_data loads them."""
    from accounts.imports.reference import relation_codes_load

    relation_codes_load(path=settings.BASE_DIR / "portal" / "reference" / "family_relationship_codes.csv")


@pytest.fixture
def near_relatives_policy(db):
    from family_sharing.tests.factories import PolicyFactory

    return PolicyFactory(scope="near_relatives")

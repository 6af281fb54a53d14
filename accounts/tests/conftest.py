import datetime as dt

import pytest

from accounts.tests.factories import PersonFactory, ResidentFactory


@pytest.fixture
def pair():
    """A grown child (the agent) and a pensioner parent (the principal), both with logins."""
    parent = ResidentFactory(
        person=PersonFactory(
            name="张德福", birth=dt.date(1950, 2, 1), is_pensioner=True, last_certified_on=dt.date(2026, 1, 5)
        )
    )
    child = ResidentFactory(person=PersonFactory(name="张建国", birth=dt.date(1978, 5, 1)))
    return child, parent

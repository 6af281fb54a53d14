"""A father who bound his son under 16 as guardian (today), the mother, and a clock that can be set
to any later day: the son turns 16 on BIRTHDAY_16, 60 days from today.

The days are counted from the real today, never fixed: the SMS outbox stamps its rows with the
database's clock, which freezegun does not move, so a row queued on a frozen day before today would
not be due when the test delivers it."""

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from freezegun import freeze_time

from accounts.tests.factories import PersonFactory, ResidentFactory
from family_sharing.models import Binding
from family_sharing.reconsent.run import ReconsentResult, reconsent_run
from family_sharing.services import binding_request
from family_sharing.tests.conftest import near_relatives_policy, relation_codes  # noqa: F401
from family_sharing.tests.factories import parent_edge, sharer
from family_sharing.verification import bindings_verify
from portal.core.notify import MemorySmsSender
from portal.core.time import add_months, today

SHANGHAI = dt.timezone(dt.timedelta(hours=8))
BIRTHDAY_16 = today() + dt.timedelta(days=60)
BORN = add_months(BIRTHDAY_16, -12 * 16)


def at(day: dt.date, hour: int = 9) -> dt.datetime:
    """That day at `hour` in Asia/Shanghai (the beat task runs at 09:00)."""
    return dt.datetime(day.year, day.month, day.day, hour, tzinfo=SHANGHAI)


@pytest.fixture(autouse=True)
def _empty_outbox() -> None:
    MemorySmsSender.outbox.clear()


@pytest.fixture
def run_on(django_capture_on_commit_callbacks: Any) -> Callable[[dt.date], ReconsentResult]:
    """Runs the daily pass with the clock on that day, the SMS of the run sent (after commit)."""

    def _run(day: dt.date) -> ReconsentResult:
        with freeze_time(at(day)), django_capture_on_commit_callbacks(execute=True):
            return reconsent_run()

    return _run


@pytest.fixture
def guardian_binding(django_capture_on_commit_callbacks: Any) -> Callable[[Any, Any], Binding]:
    """The parent asks to pay for the child now (consenting as guardian), verified; the notices of
    that are sent and forgotten, so that a test sees only what comes after."""

    def _bind(parent_user: Any, child: Any) -> Binding:
        with django_capture_on_commit_callbacks(execute=True):
            binding = binding_request(
                actor=parent_user,
                beneficiary_id_number=child.id_number,
                beneficiary_name=child.name,
                relation_code="20",
            )
        with django_capture_on_commit_callbacks(execute=True):
            bindings_verify()
        MemorySmsSender.outbox.clear()
        binding.refresh_from_db()
        assert (binding.status, binding.guardian_consent) == ("active", True)
        return binding

    return _bind


@pytest.fixture
def family(near_relatives_policy: Any, guardian_binding: Callable[[Any, Any], Binding]) -> dict[str, Any]:  # noqa: F811
    father = ResidentFactory(person=sharer(name="刘建华", birth=dt.date(1980, 5, 1)))
    mother = ResidentFactory(person=sharer(name="王丽", birth=dt.date(1982, 7, 1), male=False))
    son = ResidentFactory(person=PersonFactory(name="刘小明", birth=BORN, insurance_type="resident"))
    parent_edge(father.person, son.person)
    parent_edge(mother.person, son.person)
    return {"father": father, "mother": mother, "son": son, "binding": guardian_binding(father, son.person)}

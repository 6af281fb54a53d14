import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from rest_framework.test import APIClient

from accounts.tests.factories import PersonFactory, ResidentFactory
from portal.core.notify import MemorySmsSender


@pytest.fixture(autouse=True)
def _empty_outbox() -> None:
    """The in-memory SMS outbox starts empty in every test of this app."""
    MemorySmsSender.outbox.clear()


@pytest.fixture
def post(api: APIClient, django_capture_on_commit_callbacks: Any) -> Callable[..., Any]:
    """api.post with the SMS of the request sent (they leave after commit)."""

    def _post(path: str, body: dict[str, str], **extra: str) -> Any:
        with django_capture_on_commit_callbacks(execute=True):
            return api.post(path, body, format="json", **extra)

    return _post


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

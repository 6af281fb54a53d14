"""Project-wide pytest fixtures."""

import pytest
from rest_framework.test import APIClient

# The whole run's logs, as production writes them, hold no seeded identity or phone number.
pytest_plugins = ["portal.tests.plugins.log_leaks"]


@pytest.fixture
def api() -> APIClient:
    return APIClient()


@pytest.fixture(autouse=True)
def _clear_caches() -> None:
    """Throttles and lockouts are counted in the cache; every test starts from zero."""
    from django.core.cache import caches

    from portal.core import counters

    caches["default"].clear()
    caches["fallback"].clear()
    counters._down_since = None

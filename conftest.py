"""Project-wide pytest fixtures."""

import pytest
from rest_framework.test import APIClient


@pytest.fixture
def api() -> APIClient:
    return APIClient()


@pytest.fixture(autouse=True)
def _clear_caches() -> None:
    """Throttles and lockouts are counted in the cache; every test starts from zero."""
    from django.core.cache import cache

    cache.clear()

"""The project's URL map with the admin's routes read afresh: a test that registers an admin for a
moment (portal/tests/test_admin_walk.py) sees its pages routed. `urlpatterns` is computed when the
resolver asks for it (a module `__getattr__`), after `override_settings(ROOT_URLCONF=...)`."""

from typing import Any

from django.contrib import admin
from django.urls import path


def __getattr__(name: str) -> Any:
    if name != "urlpatterns":
        raise AttributeError(name)
    from portal.urls import urlpatterns

    return [path("admin/", admin.site.urls), *(p for p in urlpatterns if str(p.pattern) != "admin/")]

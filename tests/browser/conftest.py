"""Playwright (sync API) driving Debian's Chromium against pytest-django's live server.

Playwright cannot download its own browsers here, so it launches /usr/bin/chromium (`make browser`
installs it with fonts-noto-cjk). The sync API runs an event loop in this thread, which makes
Django's async-safety guard refuse ORM calls from the test body; the guard is switched off for
these tests only."""

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = Path("/usr/bin/chromium")
PHONE = {"width": 390, "height": 844}  # a common phone viewport in CSS pixels


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail("Debian's Chromium is missing: apt-get install -y chromium fonts-noto-cjk (make browser)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Browser, live_server: Any, transactional_db: None) -> Iterator[Page]:
    """A fresh phone-sized browser context (no cookies) on the live server."""
    context = browser.new_context(
        base_url=live_server.url,
        viewport=PHONE,
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def relation_codes(transactional_db: None) -> None:
    """The GB/T 4761 relation codes (portal/reference), which every binding refers to."""
    from django.conf import settings
    from django.db import transaction

    from accounts.imports.reference import relation_codes_load

    with transaction.atomic():  # the loader locks the rows it updates
        relation_codes_load(path=settings.BASE_DIR / "portal" / "reference" / "family_relationship_codes.csv")


@pytest.fixture
def reference(relation_codes: None) -> None:
    """The relation codes and a near_relatives policy for the (default) Beijing region."""
    from family_sharing.tests.factories import PolicyFactory

    PolicyFactory(scope="near_relatives")

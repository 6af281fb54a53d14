"""WCAG 2.1 A and AA (axe-core) on the admin pages bureau staff work in, signed in with OTP: the
index, every list their permissions open, a person's add, change and history pages and a binding's
change page. Staff are users too; an office's screen reader reads the admin as it reads the portal."""

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.contrib import admin
from django.urls import reverse
from playwright.sync_api import Page

from accounts.tests.factories import StaffFactory
from family_sharing.tests.factories import BindingFactory, sharer
from tests.browser.test_accessibility import violations
from tests.browser.test_arrears_case_admin import desk, sign_in_to_admin  # noqa: F401

pytestmark = pytest.mark.browser


def test_admin_pages_meet_wcag_aa(desk: Page, relation_codes: None):  # noqa: F811
    staff = StaffFactory()
    binding = BindingFactory(sharer=sharer(region=staff.region))
    person = binding.sharer
    urls = ["/admin/"]
    for model in admin.site._registry:
        app, name = model._meta.app_label, model._meta.model_name
        if staff.has_perm(f"{app}.view_{name}"):
            urls.append(reverse(f"admin:{app}_{name}_changelist"))
    assert len(urls) > 15, urls  # the bureau's lists, not a login page
    urls += [
        reverse("admin:accounts_person_add"),  # the region is a select2 autocomplete box
        reverse("admin:accounts_person_change", args=[person.pk]),
        reverse("admin:accounts_person_history", args=[person.pk]),
        reverse("admin:family_sharing_binding_change", args=[binding.pk]),
    ]
    sign_in_to_admin(desk, staff)
    axe = Axe()
    assert [v for url in urls for v in violations(axe, desk, url)] == []

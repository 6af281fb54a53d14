from django.apps import AppConfig
from django.contrib.admin.apps import AdminConfig


class PortalConfig(AppConfig):
    """The composition root: cross-app management commands (load_reference_data, seed_demo)."""

    name = "portal"
    verbose_name = "医保家庭共济门户"


class PortalAdminConfig(AdminConfig):
    """Makes django-otp's OTPAdminSite the default admin site, so `@admin.register` uses it."""

    default_site = "portal.admin_site.PortalAdminSite"

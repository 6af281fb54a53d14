"""The admin is django-otp's OTPAdminSite: a password and a one-time code for every staff login."""

from django_otp.admin import OTPAdminSite


class PortalAdminSite(OTPAdminSite):
    site_header = "医保家庭共济 · 经办管理"
    site_title = "医保家庭共济经办"
    index_title = "经办业务"

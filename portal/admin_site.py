"""The admin is django-otp's OTPAdminSite: a password and a one-time code for every staff login."""

import functools
from collections.abc import Callable
from typing import Any

from django import forms
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django_otp import match_token
from django_otp.admin import OTPAdminAuthenticationForm, OTPAdminSite


class StaffOtpMixin:
    """Staff type the code; they do not pick a device first. When no device is chosen, the code is
    tried against each of the member's devices (django-otp's own `match_token`)."""

    def _verify_token(self, user: Any, token: str, device: Any = None) -> Any:
        if device is not None:
            return super()._verify_token(user, token, device)  # type: ignore[misc]
        matched = match_token(user, token)
        if matched is None:
            raise forms.ValidationError(self.otp_error_messages["invalid_token"], code="invalid_token")  # type: ignore[attr-defined]
        return matched


class StaffOtpAdminAuthenticationForm(StaffOtpMixin, OTPAdminAuthenticationForm):
    pass


class PortalAdminSite(OTPAdminSite):
    site_header = "医保家庭共济 · 经办管理"
    site_title = "医保家庭共济经办"
    index_title = "经办业务"
    login_form = StaffOtpAdminAuthenticationForm

    def admin_view(
        self, view: Callable[..., HttpResponse], cacheable: bool = False
    ) -> Callable[..., HttpResponse]:
        """Every admin page refuses a query parameter holding a NUL character (400): a list filter or
        search would pass it to PostgreSQL, which stores no NUL in text and fails the page."""
        protected = super().admin_view(view, cacheable)

        @functools.wraps(protected)
        def without_nul(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if any("\x00" in key or "\x00" in value for key, value in _query_items(request)):
                return HttpResponseBadRequest("查询参数中含有无效字符".encode())
            return protected(request, *args, **kwargs)

        return without_nul


def _query_items(request: HttpRequest) -> list[tuple[str, str]]:
    return [(key, value) for key, values in request.GET.lists() for value in values]

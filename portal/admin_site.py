"""The admin is django-otp's OTPAdminSite: a password and a one-time code for every staff login."""

import functools
from collections.abc import Callable
from typing import Any

from django import forms
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import render
from django.utils.translation import gettext as _
from django_otp import match_token
from django_otp.admin import OTPAdminAuthenticationForm, OTPAdminSite

from portal.core import ratelimit


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

    def login(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        """Sign-in attempts count against the login's and the address's limit (scope "login") before
        any password is checked; over it the page answers 429 with Retry-After."""
        if request.method == "POST":
            try:
                ratelimit.hit("login", request=request, key=str(request.POST.get("username", "")).strip())
            except ratelimit.RateLimited as error:
                context = {
                    **self.each_context(request),
                    "title": _("登录"),
                    "code": error.code,
                    "message": _(ratelimit.THROTTLED_MESSAGE),
                    "login_url": request.get_full_path(),
                }
                response = render(request, "admin/throttled.html", context, status=error.status)
                response["Retry-After"] = str(error.retry_after)
                return response
        return super().login(request, extra_context)

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

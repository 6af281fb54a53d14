"""Counter pages for hospital and pharmacy medical-insurance offices and bureau windows.

Keyboard-first: the first field has focus, every action has a visible label. The counter needs a
staff session that passed the one-time code (django-otp's `is_verified`)."""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth import login as auth_login
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods
from django_otp import login as otp_login

from accounts.forms import StaffLoginForm
from accounts.models import User
from accounts.services import STAFF_ROLES
from accounts.views import otp_verified, safe_next
from portal.core.errors import THROTTLED

ROLE_TEXT = {
    "hospital": _("定点医院医保办"),
    "pharmacy": _("定点零售药店"),
    "bureau": _("医保经办机构"),
}


def counter_staff_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Hospital, pharmacy or bureau staff with an OTP-verified session; residents get 403."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user = request.user
        login_url = reverse("counter:login")
        if not user.is_authenticated:
            return redirect_to_login(request.get_full_path(), login_url)
        if not isinstance(user, User) or user.role not in STAFF_ROLES:
            raise PermissionDenied
        if not otp_verified(user):
            return redirect_to_login(request.get_full_path(), login_url)
        return view(request, *args, **kwargs)

    return wrapper


@never_cache
@sensitive_post_parameters("password", "otp")
@require_http_methods(["GET", "POST"])
def counter_login(request: HttpRequest) -> HttpResponse:
    status = 200
    if request.method == "POST":
        form = StaffLoginForm(request, request.POST)
        if form.is_valid() and form.user is not None:
            user = form.user
            auth_login(request, user)
            otp_login(request, user.otp_device)  # type: ignore[attr-defined]
            return HttpResponseRedirect(safe_next(request, reverse("counter:home")))
        if form.locked_out:
            status = THROTTLED
    else:
        form = StaffLoginForm(request)
    context = {"form": form, "next": safe_next(request, "")}
    return render(request, "counter/login.html", context, status=status)


@never_cache
@require_GET
@counter_staff_required
def counter_home(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not isinstance(user, User):
        raise PermissionDenied
    context = {
        "role_text": ROLE_TEXT.get(user.role, ""),
        "institution": user.institution,
        "region": user.region or (user.institution.region if user.institution else None),
    }
    return render(request, "counter/home.html", context)

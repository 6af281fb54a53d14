"""The counter for hospital and pharmacy medical-insurance offices and bureau windows (/counter/).

Keyboard-first: the first field has focus, every action has a visible label, Enter moves to the next
field (a card reader types the number and Enter). It needs a staff session that passed the one-time
code (django-otp's `is_verified`)."""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth import login as auth_login
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
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
from family_sharing.forms import CounterBindForm, relation_label
from family_sharing.models import Binding, BindingStatus
from family_sharing.services import binding_counter_create
from family_sharing.views.bindings import reason_of, status_label
from portal.core.errors import ApplicationError

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
    status, headers = 200, dict[str, str]()
    if request.method == "POST":
        form = StaffLoginForm(request, request.POST)
        if form.is_valid() and form.user is not None:
            user = form.user
            auth_login(request, user)
            otp_login(request, user.otp_device)  # type: ignore[attr-defined]
            return HttpResponseRedirect(safe_next(request, reverse("counter:home")))
        status, headers = form.refused_status()
    else:
        form = StaffLoginForm(request)
    context = {"form": form, "next": safe_next(request, "")}
    response = render(request, "counter/login.html", context, status=status)
    for name, value in headers.items():
        response[name] = value
    return response


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


# --- 刷卡绑定 (/counter/bind/) --------------------------------------------------------------------

COUNTER_RESULT_SESSION_KEY = "counter_bind_result"

# The result panel's heading and sentence by the binding's status now: verification runs in a worker,
# so the binding usually still waits, but may already be decided when the panel opens.
COUNTER_OUTCOME: dict[str, tuple[Any, Any]] = {
    BindingStatus.PENDING_VERIFICATION: (
        _("已受理，等待核验"),
        _("系统正在与户籍登记核对亲属关系，结果会发消息通知共济人。户籍查不到时，需共济人上传证明材料。"),
    ),
    BindingStatus.ACTIVE: (
        _("已受理，核验通过，已生效"),
        _("共济人的个人账户现在可以为被共济人支付看病买药时自己付的钱。"),
    ),
    BindingStatus.NEEDS_EVIDENCE: (
        _("已受理，需要补充证明材料"),
        _("户籍登记中查不到这层关系。请共济人在门户上传户口本、结婚证或出生医学证明，或到医保经办窗口办理。"),
    ),
    BindingStatus.REJECTED: (_("已受理，但核验未通过"), _("绑定没有生效，原因如下。")),
}


@never_cache
@require_http_methods(["GET", "POST"])
@counter_staff_required
def counter_bind(request: HttpRequest) -> HttpResponse:
    """Keyboard-first swipe-bind: the sharer's card, the beneficiary's card, the relation code, Enter."""
    user = request.user
    if not isinstance(user, User):
        raise PermissionDenied
    if request.method == "POST":
        form = CounterBindForm(request.POST)
        if form.is_valid():
            try:
                binding = binding_counter_create(actor=user, **form.counter_input())
            except ApplicationError as error:
                form.add_application_error(error)
            else:
                request.session[COUNTER_RESULT_SESSION_KEY] = str(binding.pk)
                return redirect("counter:bind-done")
    else:
        form = CounterBindForm()
    return render(request, "counter/bind.html", {"form": form, "focus_id": form.focus_first_error()})


@never_cache
@require_GET
@counter_staff_required
def counter_bind_done(request: HttpRequest) -> HttpResponse:
    """The result panel of the binding this session just created (Post/Redirect/Get)."""
    user = request.user
    if not isinstance(user, User):
        raise PermissionDenied
    binding_id = request.session.get(COUNTER_RESULT_SESSION_KEY)
    binding = (
        Binding.objects.select_related("sharer", "beneficiary", "relation_code")
        .filter(pk=binding_id, created_by=user)
        .first()
        if binding_id
        else None
    )
    if binding is None:
        return redirect("counter:bind")
    title, text = COUNTER_OUTCOME.get(binding.status, (_("已受理"), ""))
    context = {
        "binding": binding,
        "outcome": {"title": title, "text": text},
        "status_label": status_label(binding.status),
        "relation_name": relation_label(binding.relation_code),
        "reasons": [reason_of(code) for code in binding.reasons]
        if binding.status == BindingStatus.REJECTED
        else [],
    }
    return render(request, "counter/bind_done.html", context)

"""The resident's 养老金资格认证 page (/certification/): where they stand, when the cycle ends, how to
certify on each channel, the home-visit request with its documents, the history. And the agent's
page (/certification/for/<delegation>/) to start the certification for a principal under a
`certify` delegation: it shows nothing of the principal before an active delegation granting
`certify`, whose agent is the caller, is found; anything else is the one 404 (DESIGN.md section 10).
Views are thin: forms check shape, services decide."""

import uuid
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext, gettext_noop
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.delegations.models import Delegation, Scope
from accounts.delegations.selectors import delegation_for_agent
from accounts.models import Person, User
from accounts.views import resident_required
from certification.channels import channels
from certification.cycles import CycleStatus
from certification.forms import HomeVisitForm
from certification.home_visits import home_visit_cancel, home_visit_request, home_visit_request_for
from certification.models import HomeVisitStatus, Result
from certification.selectors import (
    Standing,
    certification_history,
    home_visit_get,
    home_visit_list,
    home_visit_open,
    session_pending,
    standing_get,
)
from certification.services import certification_session_start
from portal.core.errors import ApplicationError, reasons_shown

STATUS_LABELS = {
    CycleStatus.CERTIFIED: gettext_noop("已认证"),
    CycleStatus.DUE: gettext_noop("请在周期结束前认证"),
    CycleStatus.OVERDUE: gettext_noop("已逾期"),
    CycleStatus.NOT_APPLICABLE: gettext_noop("不需要认证"),
}
PENSION_LABELS = {"paying": gettext_noop("正常发放"), "suspended": gettext_noop("暂停发放")}
# The model's labels the page shows (the template translates them), marked for the English catalogue;
# test_pages_and_api keeps them equal to the model's. Channel and reason labels are marked in
# channels.LABELS and HomeVisitForm.
RESULT_LABELS = {Result.PASS: gettext_noop("通过"), Result.FAIL: gettext_noop("未通过")}
VISIT_STATUS_LABELS = {
    HomeVisitStatus.REQUESTED: gettext_noop("已申请"),
    HomeVisitStatus.SCHEDULED: gettext_noop("已安排上门"),
    HomeVisitStatus.CERTIFIED: gettext_noop("已认证"),
    HomeVisitStatus.FAILED: gettext_noop("上门未能认证"),
    HomeVisitStatus.CANCELLED: gettext_noop("已取消"),
}


def status_text(standing: Standing) -> str:
    return gettext(STATUS_LABELS[standing.cycle.status])


def rights_rows(person: Person) -> list[tuple[str, str]]:
    """The certification rows of a principal's rights summary (权益单)."""
    standing = standing_get(person=person)
    if not standing.cycle.pensioner:
        return [(gettext("认证状态"), gettext(STATUS_LABELS[CycleStatus.NOT_APPLICABLE]))]
    rows = [(gettext("认证状态"), status_text(standing))]
    if standing.cycle.end:
        rows.append((gettext("本周期结束日"), f"{standing.cycle.end:%Y-%m-%d}"))
    rows.append((gettext("养老金发放"), gettext(PENSION_LABELS[standing.pension_status or "paying"])))
    return rows


def _user(request: HttpRequest) -> tuple[User, Person]:
    user = request.user
    if not isinstance(user, User) or user.person is None:
        raise PermissionDenied
    return user, user.person


def _page(request: HttpRequest, *, form: HomeVisitForm | None = None, status: int = 200) -> HttpResponse:
    user, person = _user(request)
    standing = standing_get(person=person)
    context: dict[str, Any] = {
        "standing": standing,
        "status_text": status_text(standing),
        "pension_text": gettext(PENSION_LABELS[standing.pension_status]) if standing.pension_status else "",
        "online": [c for c in channels() if c.online],
        "offline": [c for c in channels() if not c.online],
        "session": session_pending(person=person),
        "open_visit": home_visit_open(person=person),
        "visits": list(home_visit_list(person=person)[:10]),
        "history": list(certification_history(person=person)[:50]),
        "form": form or HomeVisitForm(),
    }
    return render(request, "certification/home.html", context, status=status)


@never_cache
@require_GET
@resident_required
def home(request: HttpRequest) -> HttpResponse:
    return _page(request)


@never_cache
@require_POST
@resident_required
def home_visit_new(request: HttpRequest) -> HttpResponse:
    user, _person = _user(request)
    form = HomeVisitForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            home_visit_request(
                actor=user,
                reason=form.cleaned_data["reason"],
                address=form.cleaned_data["address"],
                note=form.cleaned_data["note"],
                documents=form.cleaned_data["documents"],
            )
        except ApplicationError as error:
            form.add_application_error(error)
        else:
            messages.success(
                request, gettext("已收到您的上门认证申请。工作人员安排好上门日期后，会发消息通知您。")
            )
            return redirect("certification:home")
    return _page(request, form=form, status=400)


@never_cache
@require_POST
@resident_required
def home_visit_cancel_view(request: HttpRequest, visit_id: uuid.UUID) -> HttpResponse:
    user, person = _user(request)
    visit = home_visit_get(person=person, visit_id=visit_id)
    if visit is None:
        raise Http404
    try:
        home_visit_cancel(actor=user, visit=visit)
    except ApplicationError as error:
        messages.error(request, gettext(error.message))
    else:
        messages.success(request, gettext("已取消上门认证申请。"))
    return redirect("certification:home")


def _delegation_as_agent(request: HttpRequest, delegation_id: uuid.UUID) -> tuple[User, Delegation]:
    """The caller's active `certify` delegation, or 404 whatever the reason (no such id, someone
    else's, pending, revoked, another scope): nothing of the principal is read before this."""
    user, _person = _user(request)
    delegation = delegation_for_agent(viewer=user, delegation_id=delegation_id, scope=Scope.CERTIFY)
    if delegation is None:
        raise Http404
    return user, delegation


def _beyond(error: ApplicationError) -> bool:
    """The delegation ended between the look-up and the act (`delegation_act` re-checks it under a
    lock): the page answers as for any delegation that is not the caller's active one."""
    return error.status == 403 and error.code == "permission_denied"


def _for_page(
    request: HttpRequest,
    delegation: Delegation,
    *,
    error: ApplicationError | None = None,
    form: HomeVisitForm | None = None,
    status: int = 200,
) -> HttpResponse:
    principal = delegation.principal
    standing = standing_get(person=principal)
    context = {
        "delegation": delegation,
        "principal": principal,
        "standing": standing,
        "status_text": status_text(standing),
        "session": session_pending(person=principal),
        "open_visit": home_visit_open(person=principal),
        "form": form or HomeVisitForm(),
        "error_reasons": reasons_shown(error) if error is not None else [],
    }
    return render(request, "certification/start_for.html", context, status=status)


@never_cache
@require_http_methods(["GET", "POST"])
@resident_required
def start_for(request: HttpRequest, delegation_id: uuid.UUID) -> HttpResponse:
    """代为发起资格认证: the agent sees the principal's standing and starts the certification."""
    user, delegation = _delegation_as_agent(request, delegation_id)
    if request.method == "POST":
        try:
            certification_session_start(actor=user, delegation=delegation)
        except ApplicationError as error:
            if _beyond(error):
                raise Http404 from error
            return _for_page(request, delegation, error=error, status=error.status)
        messages.success(
            request, gettext("已为TA发起认证，并已发消息提醒TA本人用支付宝、微信或掌上12333刷脸。")
        )
        return redirect("certification:start-for", delegation_id=delegation.pk)
    return _for_page(request, delegation)


@never_cache
@require_POST
@resident_required
def home_visit_for(request: HttpRequest, delegation_id: uuid.UUID) -> HttpResponse:
    """代为申请上门认证 under a `certify` delegation, with the documents uploaded."""
    user, delegation = _delegation_as_agent(request, delegation_id)
    form = HomeVisitForm(request.POST, request.FILES)
    if not form.is_valid():
        return _for_page(request, delegation, form=form, status=400)
    try:
        home_visit_request_for(
            actor=user,
            delegation=delegation,
            reason=form.cleaned_data["reason"],
            address=form.cleaned_data["address"],
            note=form.cleaned_data["note"],
            documents=form.cleaned_data["documents"],
        )
    except ApplicationError as error:
        if _beyond(error):
            raise Http404 from error
        form.add_application_error(error)
        return _for_page(request, delegation, form=form, status=error.status)
    messages.success(request, gettext("已为TA申请上门认证，并已发消息告诉TA。工作人员安排好日期后会通知TA。"))
    return redirect("certification:start-for", delegation_id=delegation.pk)

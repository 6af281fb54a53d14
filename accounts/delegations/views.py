"""亲情服务 pages (/family-service/): both sides of every delegation and, for a registry guardian,
every delegation for their child under 16; adding one with its documents (the principal look-up is
rate-limited), the principal's confirmation, revocation, the acts done, and the rights summary
(权益单), which shows nothing of the principal before an active `view_rights` delegation of the
viewer is found."""

import uuid

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext, gettext_noop, pgettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.delegations.forms import SCOPE_CHOICES, DelegationForm
from accounts.delegations.models import LIVE_DELEGATION, Delegation, DelegationStatus, Scope
from accounts.delegations.registry import scope_action
from accounts.delegations.selectors import (
    delegation_act_list,
    delegation_for_agent,
    delegation_get,
    delegation_grants,
    delegation_list,
)
from accounts.delegations.services import (
    delegation_confirm,
    delegation_create,
    delegation_revocable_by,
    delegation_revoke,
    delegation_rights_view,
)
from accounts.models import Role, User
from accounts.views import resident_required
from portal.core import ratelimit
from portal.core.errors import ApplicationError, reasons_shown

SCOPE_TEXT = dict(SCOPE_CHOICES)
# The model's labels the pages show (the templates translate them), marked for the English catalogue;
# test_delegation_pages keeps them equal to the model's.
STATUS_LABELS = {
    DelegationStatus.PENDING: gettext_noop("等待本人确认"),
    DelegationStatus.ACTIVE: gettext_noop("已生效"),
    DelegationStatus.DECLINED: gettext_noop("本人未同意"),
    DelegationStatus.REVOKED: gettext_noop("已撤销"),
}
ACT_SCOPE_LABELS = {
    Scope.VIEW_RIGHTS: gettext_noop("查看权益单"),
    Scope.CERTIFY: gettext_noop("代为发起养老金资格认证"),
    Scope.TRANSFER_APPLICATION: gettext_noop("代办转移接续申请"),
    Scope.USE_BALANCE: gettext_noop("使用个人账户余额"),
}


def _user(request: HttpRequest) -> User:
    user = request.user
    if not isinstance(user, User) or user.person is None:
        raise PermissionDenied
    return user


def _card(delegation: Delegation, user: User) -> dict[str, object]:
    actions = []
    if delegation.agent_id == user.pk:
        if delegation_grants(delegation=delegation, scope=Scope.VIEW_RIGHTS):
            actions.append((gettext("查看权益单"), reverse("family_service:rights", args=[delegation.pk])))
        for scope in delegation.scopes:
            action = scope_action(scope)
            if action is not None and delegation_grants(delegation=delegation, scope=scope):
                actions.append((str(action.label), reverse(action.url_name, args=[delegation.pk])))
    live = delegation.status in LIVE_DELEGATION
    revoker = delegation.revoked_by
    return {
        "delegation": delegation,
        "scopes": pgettext("list separator", "、").join(str(SCOPE_TEXT.get(s, s)) for s in delegation.scopes),
        "actions": actions,
        "can_revoke": live and delegation_revocable_by(actor=user, delegation=delegation),
        # a guardian who is neither side of it says why they end it
        "revoke_needs_reason": delegation.agent_id != user.pk and delegation.principal_id != user.person_id,
        "revoked_by_staff": revoker is not None and revoker.role != Role.RESIDENT,
        "revoked_by_guardian": revoker is not None
        and revoker.role == Role.RESIDENT
        and revoker.pk != delegation.agent_id
        and revoker.person_id != delegation.principal_id,
    }


def _home(request: HttpRequest, *, error: ApplicationError | None = None) -> HttpResponse:
    user = _user(request)
    delegations = list(delegation_list(viewer=user))
    context = {
        "as_agent": [_card(d, user) for d in delegations if d.agent_id == user.pk],
        "as_principal": [_card(d, user) for d in delegations if d.principal_id == user.person_id],
        "as_guardian": [
            _card(d, user) for d in delegations if d.agent_id != user.pk and d.principal_id != user.person_id
        ],
        "acts": list(delegation_act_list(viewer=user)[:50]),
        "error_reasons": reasons_shown(error) if error else [],
    }
    return render(request, "family_service/home.html", context, status=error.status if error else 200)


@never_cache
@require_GET
@resident_required
def home(request: HttpRequest) -> HttpResponse:
    return _home(request)


@never_cache
@require_http_methods(["GET", "POST"])
@resident_required
def new(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    status = 200
    if request.method == "POST":
        form = DelegationForm(request.POST, request.FILES)
        if form.is_valid():
            data = form.cleaned_data
            try:
                # counted before the look-up, per user and per address: card numbers are not guessed
                ratelimit.hit("delegation_lookup", request=request, key=str(user.pk))
                delegation = delegation_create(
                    actor=user,
                    principal_name=data["principal_name"],
                    principal_card_number=data["principal_card_number"],
                    relation_code=data["relation_code"],
                    scopes=data["scopes"],
                    id_document=data["id_document"],
                    face_photo=data["face_photo"],
                )
            except ratelimit.RateLimited as error:
                form.add_application_error(error)
                response = render(request, "family_service/new.html", {"form": form}, status=error.status)
                for header, value in ratelimit.retry_after_headers(error).items():
                    response[header] = value
                return response
            except ApplicationError as error:
                form.add_application_error(error)
                status = error.status
            else:
                if delegation.principal_minor:
                    messages.success(request, gettext("已开通。孩子的其他监护人会收到通知，也可以随时撤销。"))
                else:
                    messages.success(request, gettext("已提交。亲属本人在“亲情服务”里确认后即可代办。"))
                return redirect("family_service:home")
        else:
            status = 400
    else:
        form = DelegationForm()
    return render(request, "family_service/new.html", {"form": form}, status=status)


def _visible(request: HttpRequest, delegation_id: uuid.UUID) -> tuple[User, Delegation]:
    user = _user(request)
    delegation = delegation_get(viewer=user, delegation_id=delegation_id)
    if delegation is None:
        raise Http404
    return user, delegation


@never_cache
@require_POST
@resident_required
def confirm(request: HttpRequest, delegation_id: uuid.UUID) -> HttpResponse:
    user, delegation = _visible(request, delegation_id)
    try:
        delegation_confirm(actor=user, delegation=delegation, accept=request.POST.get("accept") == "yes")
    except ApplicationError as error:
        return _home(request, error=error)
    messages.success(request, gettext("已确认。"))
    return redirect("family_service:home")


@never_cache
@require_POST
@resident_required
def revoke(request: HttpRequest, delegation_id: uuid.UUID) -> HttpResponse:
    user, delegation = _visible(request, delegation_id)
    try:
        delegation_revoke(actor=user, delegation=delegation, reason=request.POST.get("reason", ""))
    except ApplicationError as error:
        return _home(request, error=error)
    messages.success(request, gettext("已撤销。从现在起TA不能再代办。"))
    return redirect("family_service:home")


@never_cache
@require_GET
@resident_required
def rights(request: HttpRequest, delegation_id: uuid.UUID) -> HttpResponse:
    user = _user(request)
    delegation = delegation_for_agent(viewer=user, delegation_id=delegation_id, scope=Scope.VIEW_RIGHTS)
    if delegation is None:  # the same 404 for no such id, someone else's, not active, another scope
        raise Http404
    try:
        summary = delegation_rights_view(actor=user, delegation=delegation)
    except ApplicationError as error:
        return _home(request, error=error)
    return render(request, "family_service/rights.html", {"summary": summary, "delegation": delegation})

"""The young person's re-consent page (/family/<binding>/reconsent/): who shares with them, since
when, what it means, and the two answers. Only the beneficiary with an open request sees the page;
an answer by anyone else is refused by the service (`reconsent_not_allowed`) and changes nothing."""

import uuid

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from accounts.models import Person, User
from accounts.views import resident_required
from family_sharing.errors import SharingError
from family_sharing.models import BindingStatus
from family_sharing.reconsent.models import ReconsentRequest
from family_sharing.reconsent.selectors import reconsent_open_get
from family_sharing.reconsent.services import binding_reconsent
from family_sharing.selectors import binding_get
from family_sharing.views.bindings import binding_card
from portal.core.errors import ApplicationError, reasons_shown

ANSWERS = {"confirm": True, "decline": False}


def _viewer(request: HttpRequest) -> tuple[User, Person]:
    user = request.user
    if not isinstance(user, User) or user.person is None:
        raise PermissionDenied
    return user, user.person


def _page(
    request: HttpRequest, pending: ReconsentRequest | None, *, error: ApplicationError | None = None
) -> HttpResponse:
    context: dict[str, object] = {"error_reasons": reasons_shown(error) if error else []}
    if pending is not None:
        binding = pending.binding
        context |= {
            "pending": pending,
            "card": binding_card(binding, _viewer(request)[1]),
            "held": binding.status == BindingStatus.SUSPENDED
            and SharingError.RECONSENT_REQUIRED.value in binding.reasons,
        }
    return render(request, "family/reconsent.html", context, status=error.status if error else 200)


@never_cache
@require_http_methods(["GET", "POST"])
@resident_required
def reconsent_view(request: HttpRequest, binding_id: uuid.UUID) -> HttpResponse:
    user, _person = _viewer(request)
    pending = reconsent_open_get(viewer=user, binding_id=binding_id)
    if request.method == "GET":
        if pending is None:
            raise Http404
        return _page(request, pending)
    binding = binding_get(viewer=user, binding_id=binding_id)
    if binding is None:  # not the caller's to see: the same 404 as an unknown id
        raise Http404
    answer = request.POST.get("answer", "")
    if answer not in ANSWERS:
        return HttpResponseBadRequest(gettext("请选择同意继续或不同意"))
    try:
        binding_reconsent(actor=user, binding=binding, accept=ANSWERS[answer])
    except ApplicationError as error:
        return _page(request, pending, error=error)
    if ANSWERS[answer]:
        messages.success(request, gettext("您已同意继续接受家庭共济。"))
    else:
        messages.success(request, gettext("您已选择不同意，家庭共济已解除，我们已告诉共济人。"))
    return redirect("family:bindings")

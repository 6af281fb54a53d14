"""The counter's settlement pages (/counter/settle/, /counter/settlements/...): look the patient's
card up (by POST; the patient's page is /counter/settle/<signed token>/), choose the sharer who pays, confirm with the sharer's balance after, print the receipt,
reverse. Keyboard-first like the rest of /counter/: the first field has focus, Enter moves on, and
every action has an access key. Staff of one counter never see another's settlements (404)."""

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from accounts.models import Person, Role, User
from accounts.selectors import person_get_by_card_at_counter
from accounts.services import person_view_record
from family_sharing.forms import sharing_reason_error
from family_sharing.models import Binding
from family_sharing.selectors import card_holder_sharers
from family_sharing.settlement.errors import SettlementError
from family_sharing.settlement.forms import CardLookupForm, ReverseForm, SettleForm
from family_sharing.settlement.models import Category, Settlement
from family_sharing.settlement.selectors import (
    card_holder_get,
    card_holder_token,
    settlement_get,
    settlement_list,
    settlement_preview,
)
from family_sharing.settlement.services import (
    CATEGORY_OF_ROLE,
    SETTLEMENT_ERRORS,
    settlement_create,
    settlement_reverse,
)
from family_sharing.views.counter import counter_staff_required
from portal.core.errors import ApplicationError

STATUS_TEXT = {
    "normal": _("正常"),
    "arrears": _("欠费"),
    "interrupted": _("中断"),
    "terminated": _("终止"),
}
INSURANCE_TEXT = {"employee": _("职工医保"), "resident": _("城乡居民医保"), "none": _("未参保")}
CATEGORY_TEXT = {
    Category.MEDICAL_SELF_PAY: _("定点医疗机构自付医疗费用"),
    Category.PHARMACY: _("定点零售药店药品、医疗器械、医用耗材"),
    Category.RESIDENT_CONTRIBUTION: _("亲属城乡居民医保个人缴费"),
}


def _staff(request: HttpRequest) -> User:
    user = request.user
    if not isinstance(user, User):
        raise PermissionDenied
    return user


def _category(user: User) -> str:
    category = CATEGORY_OF_ROLE.get(Role(user.role))
    if category is None:
        raise PermissionDenied
    return category


def _holder_context(person: Person, sharers: list[Binding]) -> dict[str, Any]:
    return {
        "holder": person,
        "holder_status": STATUS_TEXT.get(person.status, person.status),
        "holder_insurance": INSURANCE_TEXT.get(person.insurance_type, person.insurance_type),
        "sharers": sharers,
    }


def _render_settle(
    request: HttpRequest, user: User, context: dict[str, Any], status: int = 200
) -> HttpResponse:
    context.setdefault("category_text", CATEGORY_TEXT[Category(_category(user))])
    context.setdefault("institution", user.institution)
    return render(request, "counter/settle.html", context, status=status)


@never_cache
@require_http_methods(["GET", "POST"])
@counter_staff_required
def counter_settle(request: HttpRequest) -> HttpResponse:
    """Step 1, the card look-up. The card number travels in the POST body only; a card that is found
    redirects to the patient's page by an opaque signed token (issue 15: no card or identity number in a URL,
    so none in an access log). A `?card=` query is ignored."""
    user = _staff(request)
    _category(user)
    if request.method == "GET":
        return _render_settle(request, user, {"lookup": CardLookupForm()})
    lookup = CardLookupForm(request.POST)
    if not lookup.is_valid():
        return _render_settle(request, user, {"lookup": lookup})
    person = person_get_by_card_at_counter(staff=user, card_number=lookup.cleaned_data["card"])
    if person is None:
        lookup.add_error("card", sharing_reason_error(SettlementError.CARD_NOT_FOUND.reason()))
        return _render_settle(request, user, {"lookup": lookup}, status=404)
    return redirect("counter:settle-holder", token=card_holder_token(staff=user, person=person))


@never_cache
@require_http_methods(["GET", "POST"])
@counter_staff_required
def counter_settle_holder(request: HttpRequest, token: str) -> HttpResponse:
    """Step 2 and 3 for the patient found: who pays, how much, the review, the confirmation. `token`
    names the patient opaquely (selectors.card_holder_token)."""
    user = _staff(request)
    category = _category(user)
    person = card_holder_get(staff=user, token=token)
    if person is None:
        raise Http404
    if request.method == "GET":
        person_view_record(staff=user, person=person, surface="counter")
    sharers = list(card_holder_sharers(person=person))
    context = {"lookup": CardLookupForm(), "holder_token": token, **_holder_context(person, sharers)}
    if not sharers:
        return _render_settle(request, user, context)
    if request.method == "GET":
        form = SettleForm(bindings=sharers)
        return _render_settle(request, user, {**context, "form": form})

    form = SettleForm(request.POST, bindings=sharers)
    if not form.is_valid():
        return _render_settle(request, user, {**context, "form": form})
    binding = form.chosen()
    amount_fen = form.cleaned_data["amount"]
    if request.POST.get("step") != "confirm":
        preview = settlement_preview(binding=binding, amount_fen=amount_fen, category_allowed=True)
        if preview.refusals:
            form.add_application_error(
                ApplicationError.of(422, *[SETTLEMENT_ERRORS[c] for c in preview.refusals])
            )
            return _render_settle(request, user, {**context, "form": form})
        review = {"binding": binding, "amount_fen": amount_fen, "preview": preview, "data": form.cleaned_data}
        return _render_settle(request, user, {**context, "form": form, "review": review})
    try:
        result = settlement_create(
            actor=user,
            sharer_card_number=binding.sharer.card_number,
            beneficiary_card_number=person.card_number,
            category=category,
            amount_fen=amount_fen,
            description=form.cleaned_data["description"],
            idempotency_key=form.cleaned_data["key"],
        )
    except ApplicationError as error:
        form.add_application_error(error)
        return _render_settle(request, user, {**context, "form": form})
    return redirect("counter:receipt", settlement_id=result.id)


def _visible(request: HttpRequest, settlement_id: Any) -> Settlement:
    settlement = settlement_get(viewer=_staff(request), settlement_id=settlement_id)
    if settlement is None:
        raise Http404
    return settlement


def _reversal_of(settlement: Settlement) -> Any:
    try:
        return settlement.reversal
    except Settlement.reversal.RelatedObjectDoesNotExist:
        return None


@never_cache
@require_GET
@counter_staff_required
def counter_receipt(request: HttpRequest, settlement_id: Any) -> HttpResponse:
    """The printable receipt (凭证): settlement number, institution, amounts, masked names."""
    settlement = _visible(request, settlement_id)
    context = {
        "s": settlement,
        "reversal": _reversal_of(settlement),
        "category_text": CATEGORY_TEXT.get(Category(settlement.category), settlement.category),
    }
    return render(request, "counter/receipt.html", context)


@never_cache
@require_http_methods(["GET", "POST"])
@counter_staff_required
def counter_reverse(request: HttpRequest, settlement_id: Any) -> HttpResponse:
    settlement = _visible(request, settlement_id)
    if _reversal_of(settlement) is not None:
        return redirect("counter:receipt", settlement_id=settlement.pk)
    form = ReverseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            settlement_reverse(
                actor=_staff(request), settlement=settlement, reason=form.cleaned_data["reason"]
            )
        except ApplicationError as error:
            form.add_application_error(error)
        else:
            return redirect("counter:receipt", settlement_id=settlement.pk)
    return render(request, "counter/reverse.html", {"s": settlement, "form": form})


@never_cache
@require_GET
@counter_staff_required
def counter_settlements(request: HttpRequest) -> HttpResponse:
    """This counter's latest settlements (never another counter's)."""
    settlements = settlement_list(viewer=_staff(request))[:50]
    return render(request, "counter/settlements.html", {"settlements": settlements})

"""The resident's 家庭共济 pages (/family/): the bindings as sharer, as beneficiary and of wards,
the actions on them, and 为亲属办理共济 with its instant eligibility check.

Views stay thin: a form checks the shape, one service or selector does the work, a template renders;
refusals come back as ApplicationError reasons, each shown with its code in `data-code`."""

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import Person, User
from accounts.views import resident_required
from family_sharing.eligibility import sharer_reasons
from family_sharing.errors import SharingError
from family_sharing.forms import BindingRequestForm, EvidenceForm, MonthlyLimitForm, relation_label
from family_sharing.models import LIVE_STATUSES, Binding, BindingStatus, EvidenceReview
from family_sharing.selectors import binding_get, binding_list
from family_sharing.services import (
    binding_check,
    binding_consent,
    binding_evidence_upload,
    binding_leave,
    binding_request,
    binding_revoke,
    binding_set_limit,
)
from family_sharing.suggestions.views import suggestions_shown
from portal.core.errors import ApplicationError, Reason
from portal.core.money import fen_to_yuan_text
from portal.core.ratelimit import RateLimited, hit

S = BindingStatus

# BindingStatus labels, marked for the English catalogue (test_pages keeps them equal to the model's).
STATUS_LABELS: dict[str, str] = {
    S.PENDING_CONSENT: gettext_noop("等待亲属同意"),
    S.PENDING_VERIFICATION: gettext_noop("等待核验亲属关系"),
    S.NEEDS_EVIDENCE: gettext_noop("需要补充证明材料"),
    S.ACTIVE: gettext_noop("已生效"),
    S.SUSPENDED: gettext_noop("已暂停"),
    S.REJECTED: gettext_noop("未通过"),
    S.REVOKED: gettext_noop("已解除"),
    S.ENDED: gettext_noop("已终止"),
}

# What happens next, in one plain sentence, by status and by who is looking (DESIGN.md section 6).
NEXT_STEP: dict[tuple[str, str], Any] = {
    (S.PENDING_CONSENT, "sharer"): _("已通知您的亲属，TA登录门户同意后即可核验。"),
    (S.PENDING_CONSENT, "beneficiary"): _(
        "TA想用自己的职工医保个人账户，为您支付看病买药时自己付的钱。请选择同意或不同意。"
    ),
    (S.PENDING_CONSENT, "guardian"): _("孩子未满16周岁，需要您作为监护人选择同意或不同意。"),
    (S.PENDING_VERIFICATION, ""): _("正在与户籍登记核对亲属关系，核对完成后会发消息通知您。"),
    (S.NEEDS_EVIDENCE, ""): _(
        "户籍登记中暂未查到这层关系。请上传户口本、结婚证或出生医学证明，医保经办机构审核通过后生效。"
    ),
    (S.ACTIVE, "sharer"): _("TA看病买药时，可以用您的个人账户支付自己付的钱。"),
    (S.ACTIVE, "beneficiary"): _("您看病买药时，可以用TA的个人账户支付自己付的钱。"),
    (S.ACTIVE, "guardian"): _("孩子看病买药时，可以用TA的个人账户支付自己付的钱。"),
    (S.SUSPENDED, ""): _("暂时不能用个人账户支付。原因消除后会自动恢复。"),
    (S.REJECTED, ""): _("没有办成，不能用个人账户支付。情况有变化时可以重新申请。"),
    (S.REVOKED, ""): _("已解除，不能再用个人账户支付。"),
    (S.ENDED, ""): _("一方的参保关系已终止，绑定已结束。"),
}
EVIDENCE_WAITING = _("已上传材料，正在等待医保经办机构审核，结果会发消息通知您。")
REASONS_SHOWN = {S.REJECTED, S.SUSPENDED, S.REVOKED, S.ENDED}
LEAVABLE = {S.PENDING_VERIFICATION, S.NEEDS_EVIDENCE, S.ACTIVE, S.SUSPENDED}
GENERAL_MSGIDS = [
    gettext_noop("无权进行此操作"),
    gettext_noop("与现有记录冲突"),
    gettext_noop("不符合办理条件"),
]


SHARING_ERRORS = {error.value: error for error in SharingError}


def status_label(status: str) -> str:
    return gettext(STATUS_LABELS.get(status, status))


def next_step(status: str, role: str) -> str:
    text = NEXT_STEP.get((status, role)) or NEXT_STEP.get((status, ""), "")
    return str(text)


def reason_of(code: str) -> Reason:
    """A stored reason code with its message in the active language."""
    known = SHARING_ERRORS.get(code)
    return Reason(code, gettext(known.message) if known is not None else code)


def fen_to_yuan_input(fen: int | None) -> str:
    """12345 → '123.45' for an input's value (no thousands separator), integer arithmetic."""
    return "" if fen is None else f"{fen // 100}.{fen % 100:02d}"


@dataclass(frozen=True)
class BindingCard:
    """One binding as the viewer sees it: the other side, the relation in words, what happens next,
    and the actions that apply to this viewer in this status."""

    binding: Binding
    role: str  # sharer | beneficiary | guardian
    status_label: str
    next_step: str
    relation_text: str
    reasons: list[Reason]
    evidence_waiting: bool

    @property
    def other(self) -> Person:
        return self.binding.beneficiary if self.role == "sharer" else self.binding.sharer

    @property
    def live(self) -> bool:
        return self.binding.status in LIVE_STATUSES

    @property
    def limit_text(self) -> str:
        fen = self.binding.monthly_limit_fen
        if fen is None:
            return gettext("不限额")
        return gettext("每月最多 %(amount)s 元") % {"amount": fen_to_yuan_text(fen)}

    @property
    def can_consent(self) -> bool:
        return self.role in ("beneficiary", "guardian") and self.binding.status == S.PENDING_CONSENT

    @property
    def can_revoke(self) -> bool:
        return self.role == "sharer" and self.live

    @property
    def in_effect(self) -> bool:
        """Active or suspended: ending it stops payments, rather than withdrawing a request."""
        return self.binding.status in (S.ACTIVE, S.SUSPENDED)

    @property
    def revoke_label(self) -> str:
        return gettext("解除绑定") if self.in_effect else gettext("撤回申请")

    @property
    def can_leave(self) -> bool:
        return self.role == "beneficiary" and self.binding.status in LEAVABLE

    @property
    def can_set_limit(self) -> bool:
        return self.role == "sharer" and self.live

    @property
    def can_upload(self) -> bool:
        return self.role in ("sharer", "beneficiary") and self.binding.status == S.NEEDS_EVIDENCE


def binding_card(binding: Binding, person: Person) -> BindingCard:
    if binding.sharer_id == person.pk:
        role, template = "sharer", gettext("TA是您的%(relation)s")
    elif binding.beneficiary_id == person.pk:
        role, template = "beneficiary", gettext("您是TA的%(relation)s")
    else:
        role, template = "guardian", gettext("孩子是TA的%(relation)s")
    waiting = binding.status == S.NEEDS_EVIDENCE and getattr(binding, "evidence_pending", 0) > 0
    return BindingCard(
        binding=binding,
        role=role,
        status_label=status_label(binding.status),
        next_step=str(EVIDENCE_WAITING) if waiting else next_step(binding.status, role),
        relation_text=template % {"relation": relation_label(binding.relation_code)},
        reasons=[reason_of(code) for code in binding.reasons] if binding.status in REASONS_SHOWN else [],
        evidence_waiting=waiting,
    )


def _viewer(request: HttpRequest) -> tuple[User, Person]:
    user = request.user
    if not isinstance(user, User) or user.person is None:
        raise PermissionDenied
    return user, user.person


def _card_or_404(request: HttpRequest, binding_id: uuid.UUID) -> BindingCard:
    """The binding if the viewer may see it (sharer, beneficiary or guardian); anyone else's is 404."""
    user, person = _viewer(request)
    binding = binding_get(viewer=user, binding_id=binding_id)
    if binding is None:
        raise Http404
    return binding_card(binding, person)


def _bindings_page(request: HttpRequest, *, error: ApplicationError | None = None) -> HttpResponse:
    user, person = _viewer(request)
    bindings = binding_list(viewer=user).annotate(
        evidence_pending=Count("evidence", filter=Q(evidence__review=EvidenceReview.PENDING))
    )
    cards = [binding_card(binding, person) for binding in bindings]
    sections = []
    for role, title, empty in (
        ("sharer", _("我为亲属共济"), _("您还没有为亲属办理家庭共济。")),
        ("beneficiary", _("亲属为我共济"), _("还没有亲属为您办理家庭共济。")),
        ("guardian", _("未成年子女的共济"), ""),
    ):
        mine = [card for card in cards if card.role == role]
        if role == "guardian" and not mine:
            continue
        sections.append(
            {
                "role": role,
                "title": title,
                "empty": empty,
                "live": [card for card in mine if card.live],
                "past": [card for card in mine if not card.live],
            }
        )
    context = {
        "sections": sections,
        "suggestions": suggestions_shown(viewer=user),
        "error_reasons": _error_reasons(error) if error else [],
    }
    return render(request, "family/bindings.html", context, status=error.status if error else 200)


def _error_reasons(error: ApplicationError) -> list[Reason]:
    reasons = error.details or [Reason(error.code, error.message)]
    return [Reason(r.code, gettext(r.message)) for r in reasons]


@never_cache
@require_GET
@resident_required
def bindings(request: HttpRequest) -> HttpResponse:
    return _bindings_page(request)


@never_cache
@require_POST
@resident_required
def binding_consent_view(request: HttpRequest, binding_id: uuid.UUID) -> HttpResponse:
    card = _card_or_404(request, binding_id)
    answer = request.POST.get("accept")
    if answer not in ("yes", "no"):
        return HttpResponseBadRequest(gettext("请选择同意或不同意"))
    user, _person = _viewer(request)
    try:
        binding_consent(actor=user, binding=card.binding, accept=answer == "yes")
    except ApplicationError as error:
        return _bindings_page(request, error=error)
    if answer == "yes":
        messages.success(request, gettext("您已同意。接下来核对亲属关系，核对完成后会发消息通知您。"))
    else:
        messages.success(request, gettext("您已选择不同意，这次共济申请不会生效。"))
    return redirect("family:bindings")


def _confirm_action(
    request: HttpRequest,
    binding_id: uuid.UUID,
    *,
    allowed: Callable[[BindingCard], bool],
    service: Callable[..., Binding],
    template: str,
    done: Callable[[BindingCard], Any],
) -> HttpResponse:
    """解除绑定 / 退出共济: GET asks for confirmation with a plain warning, POST does it."""
    card = _card_or_404(request, binding_id)
    if request.method == "POST":
        user, _person = _viewer(request)
        try:
            service(actor=user, binding=card.binding)
        except ApplicationError as error:
            return _bindings_page(request, error=error)
        messages.success(request, str(done(card)))
        return redirect("family:bindings")
    if not allowed(card):
        raise Http404
    return render(request, template, {"card": card})


@never_cache
@require_http_methods(["GET", "POST"])
@resident_required
def binding_revoke_view(request: HttpRequest, binding_id: uuid.UUID) -> HttpResponse:
    return _confirm_action(
        request,
        binding_id,
        allowed=lambda card: card.can_revoke,
        service=binding_revoke,
        template="family/revoke.html",
        done=lambda card: (
            _("已解除。从现在起，TA不能再用您的个人账户支付。") if card.in_effect else _("已撤回申请。")
        ),
    )


@never_cache
@require_http_methods(["GET", "POST"])
@resident_required
def binding_leave_view(request: HttpRequest, binding_id: uuid.UUID) -> HttpResponse:
    return _confirm_action(
        request,
        binding_id,
        allowed=lambda card: card.can_leave,
        service=binding_leave,
        template="family/leave.html",
        done=lambda card: _("您已退出共济。从现在起，不能再用TA的个人账户支付。"),
    )


@never_cache
@require_http_methods(["GET", "POST"])
@resident_required
def binding_limit_view(request: HttpRequest, binding_id: uuid.UUID) -> HttpResponse:
    card = _card_or_404(request, binding_id)
    if request.method == "POST":
        form = MonthlyLimitForm(request.POST)
        if form.is_valid():
            fen = form.cleaned_data["monthly_limit_yuan"]
            user, _person = _viewer(request)
            try:
                binding_set_limit(actor=user, binding=card.binding, monthly_limit_fen=fen)
            except ApplicationError as error:
                form.add_application_error(error)
            else:
                if fen is None:
                    messages.success(request, gettext("已设为不限额。"))
                else:
                    amount = fen_to_yuan_text(fen)
                    messages.success(
                        request, gettext("已设置：每月最多 %(amount)s 元。") % {"amount": amount}
                    )
                return redirect("family:bindings")
    else:
        if not card.can_set_limit:
            raise Http404
        form = MonthlyLimitForm(
            initial={"monthly_limit_yuan": fen_to_yuan_input(card.binding.monthly_limit_fen)}
        )
    return render(request, "family/limit.html", {"card": card, "form": form})


@never_cache
@require_http_methods(["GET", "POST"])
@resident_required
def binding_evidence_view(request: HttpRequest, binding_id: uuid.UUID) -> HttpResponse:
    card = _card_or_404(request, binding_id)
    if request.method == "POST":
        form = EvidenceForm(request.POST, request.FILES)
        if form.is_valid():
            user, _person = _viewer(request)
            try:
                binding_evidence_upload(actor=user, binding=card.binding, file=form.cleaned_data["file"])
            except ApplicationError as error:
                form.add_application_error(error)
            else:
                messages.success(request, gettext("已收到您上传的材料。医保经办机构审核后，会发消息通知您。"))
                return redirect("family:bindings")
    else:
        if not card.can_upload:
            raise Http404
        form = EvidenceForm()
    return render(request, "family/evidence.html", {"card": card, "form": form})


# --- 为亲属办理共济 (/family/new/) -------------------------------------------------------------------


def _check_outcome(request: HttpRequest, form: BindingRequestForm, user: User) -> dict[str, Any]:
    """What the instant check says about the form as it is now (no state changes). Every check of a
    filled form counts against the user's and the address's limit (scope binding_check)."""
    if not form.filled():
        return {"state": "incomplete"}
    if not form.is_valid():
        errors = [error for errors in form.errors.as_data().values() for error in errors]
        return {"state": "shape", "reasons": [Reason(e.code or "", " ".join(e.messages)) for e in errors]}
    try:
        hit("binding_check", request=request, key=str(user.pk))
        data = form.request_input()
        result = binding_check(
            actor=user,
            beneficiary_id_number=data["beneficiary_id_number"],
            beneficiary_name=data["beneficiary_name"],
            relation_code=data["relation_code"],
            as_of=None,
        )
    except ApplicationError as error:
        return {"state": "refused", "reasons": _error_reasons(error)}
    if not result.eligible:
        blocking = [r for r in result.reasons if r.code != SharingError.RELATION_UNVERIFIED]
        return {"state": "refused", "reasons": [reason_of(r.code) for r in blocking]}
    return {"state": "needs_evidence" if result.needs_evidence else "eligible"}


@never_cache
@require_http_methods(["GET", "POST"])
@resident_required
def binding_new(request: HttpRequest) -> HttpResponse:
    user, person = _viewer(request)
    not_sharer = [reason_of(r.code) for r in sharer_reasons(person)]
    if request.method == "POST" and not not_sharer:
        form = BindingRequestForm(request.POST)
        if form.is_valid():
            try:
                hit("binding_check", request=request, key=str(user.pk))
                data = form.request_input()
                binding = binding_request(
                    actor=user,
                    beneficiary_id_number=data["beneficiary_id_number"],
                    beneficiary_name=data["beneficiary_name"],
                    relation_code=data["relation_code"],
                )
            except RateLimited as error:
                form.add_application_error(error)
                context = {"form": form, "not_sharer": not_sharer}
                response = render(request, "family/new.html", context, status=429)
                response["Retry-After"] = str(error.retry_after)
                return response
            except ApplicationError as error:
                form.add_application_error(error)
            else:
                return redirect("family:submitted", binding_id=binding.pk)
    else:
        form = BindingRequestForm()
    return render(request, "family/new.html", {"form": form, "not_sharer": not_sharer})


def htmx_login_redirect(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A lapsed session sends htmx to sign in: the whole page goes there (HX-Redirect), instead of
    htmx following the redirect and putting the sign-in page into the live region."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        if request.headers.get("HX-Request") and response.status_code == 302:
            redirected = HttpResponse("")
            redirected["HX-Redirect"] = f"{resolve_url(settings.LOGIN_URL)}?next={reverse('family:new')}"
            return redirected
        return response

    return wrapper


@htmx_login_redirect
@never_cache
@require_POST
@resident_required
def binding_new_check(request: HttpRequest) -> HttpResponse:
    """The instant eligibility feedback (htmx): a fragment for the live region of /family/new/."""
    user, _person = _viewer(request)
    outcome = _check_outcome(request, BindingRequestForm(request.POST), user)
    return render(request, "family/_check.html", outcome)


@never_cache
@require_GET
@resident_required
def binding_submitted(request: HttpRequest, binding_id: uuid.UUID) -> HttpResponse:
    card = _card_or_404(request, binding_id)
    if card.role != "sharer":
        raise Http404
    unverified = SharingError.RELATION_UNVERIFIED.value in card.binding.reasons
    context = {"card": card, "unverified": unverified and card.binding.status != S.ACTIVE}
    return render(request, "family/submitted.html", context)

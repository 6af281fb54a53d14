"""可绑定的亲属 on /family/: the relatives the registry records for the resident, each with a 绑定
button (a POST of its suggestion_id) that starts the usual binding with nothing typed.

`suggestions_shown` builds the section for the /family/ page (family_sharing.views.bindings) and
logs the listing; `suggestion_bind` is the button."""

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext, gettext_noop
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from accounts.models import User
from accounts.views import resident_required
from family_sharing.errors import SharingError
from family_sharing.forms import relation_label
from family_sharing.models import BindingStatus
from family_sharing.suggestions.errors import SuggestionError
from family_sharing.suggestions.models import ListingSurface
from family_sharing.suggestions.services import binding_request_suggested, suggestion_list_logged
from portal.core.errors import INVALID, ApplicationError, Reason, reasons_shown

# The Chinese texts of the suggestion reasons the pages show, marked for the English catalogue
# (tests keep them equal to SuggestionError's messages).
REASON_MSGIDS: dict[SuggestionError, str] = {
    SuggestionError.SUGGESTION_NOT_FOUND: gettext_noop(
        "没有找到这位推荐的亲属，请回到“家庭共济”页面重新选择"
    ),
    SuggestionError.SUGGESTION_EXPIRED: gettext_noop("这条推荐已过期，请回到“家庭共济”页面重新选择"),
    SuggestionError.SUGGESTION_WITH_NUMBER: gettext_noop(
        "按推荐绑定时只提交 suggestion_id，不再填写身份证号、姓名、关系或日期"
    ),
}


@dataclass(frozen=True)
class SuggestionCard:
    """One suggested relative as the page shows it."""

    suggestion_id: str
    name_masked: str
    relation_text: str  # TA是您的父亲
    insured_text: str
    status_text: str  # 未绑定, or the live binding's status
    bound: bool
    bindable: bool
    reasons: list[Reason]


@dataclass(frozen=True)
class SuggestionSection:
    cards: list[SuggestionCard]
    sharer_reasons: list[Reason]


def _shown(reason: Reason) -> Reason:
    return Reason(reason.code, gettext(reason.message))


def suggestions_shown(*, viewer: User) -> SuggestionSection:
    """The 可绑定的亲属 section of /family/ (a logged listing)."""
    suggestions = suggestion_list_logged(viewer=viewer, surface=ListingSurface.WEB)
    cards = [
        SuggestionCard(
            suggestion_id=s.suggestion_id,
            name_masked=s.name_masked,
            relation_text=gettext("TA是您的%(relation)s") % {"relation": relation_label(s.relation)},
            insured_text=gettext("已参保") if s.insured else gettext("未参保"),
            status_text=gettext(BindingStatus(s.binding_status).label)
            if s.binding_status
            else gettext("未绑定"),
            bound=s.bound,
            bindable=suggestions.bindable(s),
            reasons=[_shown(r) for r in s.reasons],
        )
        for s in suggestions.items
    ]
    return SuggestionSection(cards=cards, sharer_reasons=[_shown(r) for r in suggestions.sharer_reasons])


@never_cache
@require_POST
@resident_required
def suggestion_bind(request: HttpRequest) -> HttpResponse:
    """绑定: the binding request for the suggested relative, then the page that says what happens
    next; a refusal (someone else's or an old suggestion, already bound, out of scope) is a page
    with every reason and the way back."""
    user = request.user
    if not isinstance(user, User):
        raise PermissionDenied
    suggestion_id = request.POST.get("suggestion_id", "").strip()
    try:
        if not suggestion_id:
            raise ApplicationError.of(INVALID, SuggestionError.SUGGESTION_NOT_FOUND)
        binding = binding_request_suggested(actor=user, suggestion_id=suggestion_id)
    except ApplicationError as error:
        duplicate = error.code == SharingError.DUPLICATE_BINDING
        context = {"reasons": reasons_shown(error), "duplicate": duplicate}
        return render(request, "family/suggestion_refused.html", context, status=error.status)
    return redirect("family:submitted", binding_id=binding.pk)

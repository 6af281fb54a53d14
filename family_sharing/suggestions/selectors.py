"""The near relatives the registry records for a resident (DESIGN.md section 6, "Suggested
relatives"), as the resident may see them: masked name, the relation derived from the registry,
insured or not, bound or not, and what stands in the way of binding, with its reason code.

Set-based: a constant number of queries whatever the size of the family (the registry's two, the
persons, the relation codes, the policy, the live bindings, the account). The relation comes from the
one derivation there is (`KinshipRegistry.near_relatives`, which judges each relative as
`derive_many` judges a pair); the reasons from the eligibility engine's own rules
(`family_sharing.eligibility`)."""

import datetime as dt
from dataclasses import dataclass, field

from accounts.models import Person, RelationCode, User
from family_sharing.eligibility import beneficiary_insured, cross_province_blocked, sharer_reasons
from family_sharing.errors import SharingError
from family_sharing.models import LIVE_STATUSES, Binding
from family_sharing.policy import policy_scope_on, scope_allows
from family_sharing.registry import kinship_registry
from family_sharing.relations import Kin
from family_sharing.suggestions.errors import SuggestionError
from family_sharing.suggestions.tokens import suggestion_id_mint, suggestion_id_open
from portal.core.errors import NOT_FOUND, ApplicationError, Reason
from portal.core.time import today

# 民法典 第1045条's order, for the list.
KIN_ORDER = [Kin.SPOUSE, Kin.PARENT, Kin.CHILD, Kin.SIBLING, Kin.GRANDPARENT, Kin.GRANDCHILD]


@dataclass(frozen=True)
class Suggestion:
    """One registry-recorded near relative of the viewer. `reasons` are those about this relative
    (policy scope, insurance, cross-province); what is about the viewer is `Suggestions.sharer_reasons`."""

    suggestion_id: str
    person: Person
    kin: Kin
    relation: RelationCode  # the derived, specific code: what the relative is to the viewer
    insured: bool
    binding_status: str | None  # the status of the viewer's live binding for them, if any
    reasons: tuple[Reason, ...] = ()

    @property
    def name_masked(self) -> str:
        return self.person.name_masked

    @property
    def bound(self) -> bool:
        return self.binding_status is not None


@dataclass(frozen=True)
class Suggestions:
    items: list[Suggestion] = field(default_factory=list)
    sharer_reasons: list[Reason] = field(default_factory=list)  # why the viewer cannot share at all

    def bindable(self, suggestion: Suggestion) -> bool:
        return not (self.sharer_reasons or suggestion.reasons or suggestion.bound)

    def reasons_of(self, suggestion: Suggestion) -> list[Reason]:
        """Every reason that blocks binding this relative (API.md section 1: all that apply)."""
        return [*self.sharer_reasons, *suggestion.reasons]


def suggestion_list(*, viewer: User, as_of: dt.date | None = None) -> Suggestions:
    """The viewer's registry-recorded near relatives on `as_of` (today), in the order of 第1045条 and
    then by birth date, each with a fresh `suggestion_id`. Relatives the registry knows but who are
    not near relatives (a step-parent without support, a former spouse) are not listed."""
    day = as_of or today()
    if viewer.person_id is None:
        return Suggestions()
    near = kinship_registry().near_relatives(viewer.person_id, day)
    people = Person.objects.select_related("region").in_bulk([viewer.person_id, *near])
    me = people[viewer.person_id]
    if not near:
        return Suggestions(sharer_reasons=sharer_reasons(me))
    codes = RelationCode.objects.in_bulk({d.code for d in near.values() if d.code is not None})
    scope = policy_scope_on(region_id=me.region_id, as_of=day)
    bound = dict(
        Binding.objects.filter(sharer=me, beneficiary_id__in=near, status__in=LIVE_STATUSES).values_list(
            "beneficiary_id", "status"
        )
    )
    items = []
    for pk, d in near.items():
        relative, kin = people[pk], d.kin
        assert kin is not None and d.code is not None
        reasons = []
        if not scope_allows(scope, kin):
            reasons.append(SharingError.RELATION_OUT_OF_POLICY_SCOPE.reason())
        insured = beneficiary_insured(relative)
        if not insured:
            reasons.append(SharingError.BENEFICIARY_NOT_INSURED.reason())
        if cross_province_blocked(me, relative, day):
            reasons.append(SharingError.CROSS_PROVINCE_NOT_ENABLED.reason())
        items.append(
            Suggestion(
                suggestion_id=suggestion_id_mint(sharer_id=me.pk, relative_id=pk),
                person=relative,
                kin=kin,
                relation=codes[d.code],
                insured=insured,
                binding_status=bound.get(pk),
                reasons=tuple(reasons),
            )
        )
    items.sort(key=lambda s: (KIN_ORDER.index(s.kin), s.person.birth_date, s.person.pk))
    return Suggestions(items=items, sharer_reasons=sharer_reasons(me))


def suggestion_get(*, viewer: User, suggestion_id: str) -> Suggestion:
    """The relative a `suggestion_id` names, if it was minted for this viewer and the registry still
    records them as a near relative: 404 `suggestion_not_found` (another resident's id, an edited
    one, a relative no longer recorded) or `suggestion_expired` (older than a day)."""
    suggestions = suggestion_list(viewer=viewer)
    opened = (
        suggestion_id_open(
            suggestion_id=suggestion_id,
            sharer_id=viewer.person_id,
            relative_ids=[s.person.pk for s in suggestions.items],
        )
        if viewer.person_id is not None
        else None
    )
    if opened is None:
        raise ApplicationError.of(NOT_FOUND, SuggestionError.SUGGESTION_NOT_FOUND, field="suggestion_id")
    if opened.expired:
        raise ApplicationError.of(NOT_FOUND, SuggestionError.SUGGESTION_EXPIRED, field="suggestion_id")
    return next(s for s in suggestions.items if s.person.pk == opened.relative_id)

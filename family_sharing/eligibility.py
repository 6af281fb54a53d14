"""The eligibility engine (DESIGN.md section 6): every reason that applies, cheap checks first.

One call costs a constant number of queries: the relation code, the sharer's account, the policy
version, a duplicate check and — only when the cheap checks pass — two registry queries."""

import datetime as dt
from dataclasses import dataclass, field

from accounts.models import Person, PersonalAccount, RelationCode
from family_sharing.errors import SharingError
from family_sharing.models import LIVE_STATUSES, Binding
from family_sharing.policy import cross_province_enabled, policy_scope_on, scope_allows
from family_sharing.registry import Derived, PersonFacts, kinship_registry
from family_sharing.relations import ADOPTIVE_OR_STEP_CODES, Kin, RelationFacts
from portal.core.errors import INVALID, ApplicationError, Reason

KIN_OF_CSV = {k.value: k for k in Kin}


@dataclass(frozen=True)
class Eligibility:
    eligible: bool
    needs_evidence: bool
    derived_relation_code: str | None
    reasons: list[Reason] = field(default_factory=list)
    derived: Derived | None = None

    def codes(self) -> list[str]:
        return [r.code for r in self.reasons]


def relation_facts(code: str) -> RelationFacts:
    row = RelationCode.objects.filter(pk=(code or "").strip()).first()
    if row is None:
        raise ApplicationError.of(INVALID, SharingError.RELATION_CODE_UNKNOWN, field="relation_code")
    return RelationFacts(row.code, row.kin, row.line, row.near_relative, row.core_family)


def _facts(person: Person) -> PersonFacts:
    return PersonFacts(person.pk, person.sex, person.birth_date)


def cheap_mismatch(relation: RelationFacts, sharer: Person, beneficiary: Person) -> bool:
    """Sex against the code and the order of birth, before any registry look-up."""
    if relation.sex is not None and relation.sex != beneficiary.sex:
        return True
    older, younger = beneficiary.birth_date < sharer.birth_date, beneficiary.birth_date > sharer.birth_date
    if relation.kin in (Kin.PARENT, Kin.GRANDPARENT) and not older:
        return True
    if relation.kin in (Kin.CHILD, Kin.GRANDCHILD) and not younger:
        return True
    if relation.kin == Kin.SIBLING and relation.line == "elder" and younger:
        return True
    return relation.kin == Kin.SIBLING and relation.line == "younger" and older


def registry_reasons(relation: RelationFacts, derived: Derived) -> list[Reason]:
    """Compare the declared code with what the registry says (kin, line, adoptive or step)."""
    if derived.kin is None:
        if derived.silent:
            return [SharingError.RELATION_UNVERIFIED.reason()]
        return [SharingError.NOT_NEAR_RELATIVE.reason()]
    if KIN_OF_CSV.get(relation.kin) is not derived.kin:
        return [SharingError.RELATION_MISMATCH.reason()]
    line_checked = relation.line in ("paternal", "maternal") or (
        relation.line in ("elder", "younger") and not derived.twins
    )
    if line_checked and relation.line != derived.line:
        return [SharingError.RELATION_MISMATCH.reason()]
    if relation.code in ADOPTIVE_OR_STEP_CODES and derived.parent_kind not in ("adoptive", "step_supported"):
        return [SharingError.RELATION_MISMATCH.reason()]
    return []


def sharer_reasons(sharer: Person) -> list[Reason]:
    reasons = []
    if sharer.insurance_type != "employee" or not PersonalAccount.objects.filter(person=sharer).exists():
        reasons.append(SharingError.SHARER_NO_PERSONAL_ACCOUNT.reason())
    if sharer.status != "normal":
        reasons.append(SharingError.SHARER_NOT_NORMAL.reason())
    return reasons


def beneficiary_insured(beneficiary: Person) -> bool:
    """Enrolled in basic medical insurance of either type, and not terminated (DESIGN.md section 3)."""
    return beneficiary.insurance_type != "none" and beneficiary.status != "terminated"


def cross_province_blocked(sharer: Person, beneficiary: Person, as_of: dt.date) -> bool:
    """Different provinces, and not both pooling regions open to cross-province mutual aid on `as_of`."""
    return sharer.region.province_id != beneficiary.region.province_id and not (
        cross_province_enabled(sharer.region, as_of) and cross_province_enabled(beneficiary.region, as_of)
    )


def binding_eligibility(
    *, sharer: Person | None, beneficiary: Person | None, relation: RelationFacts, as_of: dt.date
) -> Eligibility:
    """All reasons that apply to `sharer` paying for `beneficiary` as `relation` on `as_of`.
    `None` for a person means the look-up failed (not found, or the name did not match)."""
    reasons: list[Reason] = []
    if sharer is None:
        reasons.append(SharingError.SHARER_NOT_FOUND.reason())
    if beneficiary is None:
        reasons.append(SharingError.BENEFICIARY_NOT_FOUND.reason())
    same = sharer is not None and beneficiary is not None and sharer.pk == beneficiary.pk
    if same:
        reasons.append(SharingError.SELF_BINDING.reason())
    if sharer is not None:
        reasons.extend(sharer_reasons(sharer))
    if beneficiary is not None and not beneficiary_insured(beneficiary):
        reasons.append(SharingError.BENEFICIARY_NOT_INSURED.reason())
    kin = KIN_OF_CSV.get(relation.kin)
    if not relation.near_relative or kin is None:
        reasons.append(SharingError.NOT_NEAR_RELATIVE.reason())
    mismatch = False
    if sharer is not None and beneficiary is not None and not same and kin is not None:
        mismatch = cheap_mismatch(relation, sharer, beneficiary)
        if mismatch:
            reasons.append(SharingError.RELATION_MISMATCH.reason())
    if sharer is not None and kin is not None:
        scope = policy_scope_on(region_id=sharer.region_id, as_of=as_of)
        if not scope_allows(scope, kin):
            reasons.append(SharingError.RELATION_OUT_OF_POLICY_SCOPE.reason())
    if sharer is not None and beneficiary is not None and not same:
        if cross_province_blocked(sharer, beneficiary, as_of):
            reasons.append(SharingError.CROSS_PROVINCE_NOT_ENABLED.reason())
        if Binding.objects.filter(sharer=sharer, beneficiary=beneficiary, status__in=LIVE_STATUSES).exists():
            reasons.append(SharingError.DUPLICATE_BINDING.reason())
    derived: Derived | None = None
    if sharer is not None and beneficiary is not None and not same and kin is not None and not mismatch:
        derived = kinship_registry().derive_many([(_facts(sharer), _facts(beneficiary))], as_of)[
            (sharer.pk, beneficiary.pk)
        ]
        reasons.extend(registry_reasons(relation, derived))
    blocking = [r for r in reasons if r.code != SharingError.RELATION_UNVERIFIED]
    return Eligibility(
        eligible=not blocking,
        needs_evidence=any(r.code == SharingError.RELATION_UNVERIFIED for r in reasons),
        derived_relation_code=derived.code if derived is not None else None,
        reasons=reasons,
        derived=derived,
    )

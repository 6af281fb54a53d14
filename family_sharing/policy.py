"""Which relations a region allows on a date, and cross-province mutual aid (DESIGN.md section 5).

Rules are data (PolicyVersion rows and PoolingRegion.cross_province_from), never constants here."""

import datetime as dt

from accounts.models import PoolingRegion
from family_sharing.models import PolicyScope, PolicyVersion
from family_sharing.relations import CORE_FAMILY, NEAR_RELATIVES, Kin

SCOPE_KINS: dict[str, frozenset[Kin]] = {
    PolicyScope.SELF_ONLY: frozenset(),
    PolicyScope.CORE_FAMILY: CORE_FAMILY,
    PolicyScope.NEAR_RELATIVES: NEAR_RELATIVES,
}


def policy_scope_on(*, region_id: int, as_of: dt.date) -> str:
    """The scope of the version with the latest effective date on or before `as_of`; self_only if none."""
    scope = (
        PolicyVersion.objects.filter(region_id=region_id, effective_from__lte=as_of)
        .order_by("-effective_from")
        .values_list("scope", flat=True)
        .first()
    )
    return scope or PolicyScope.SELF_ONLY


def scope_allows(scope: str, kin: Kin) -> bool:
    return kin in SCOPE_KINS[scope]


def cross_province_enabled(region: PoolingRegion, as_of: dt.date) -> bool:
    return region.cross_province_from is not None and region.cross_province_from <= as_of

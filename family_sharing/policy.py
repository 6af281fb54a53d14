"""Which relations a region allows on a date, and cross-province mutual aid (DESIGN.md section 5).

Rules are data (PolicyVersion rows and PoolingRegion.cross_province_from), never constants here."""

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from django.contrib.admin.models import ADDITION, CHANGE, LogEntry
from django.db import transaction

from accounts.errors import AccountsError
from accounts.models import PoolingRegion, User
from family_sharing.errors import SharingError
from family_sharing.models import PolicyScope, PolicyVersion
from family_sharing.relations import CORE_FAMILY, NEAR_RELATIVES, Kin
from portal.core.errors import INVALID, ApplicationError

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


# --- writes: staff set a region's policy and cross-province date; load_reference_data the defaults


@dataclass(frozen=True)
class PolicyDefault:
    """A version every pooling region gets unless its staff decided otherwise (the defaults are in
    family_sharing.reference, explained in docs/decisions/0007-policy-dates.md)."""

    effective_from: dt.date
    scope: str
    note: str


class Outcome(StrEnum):
    INSERTED = "inserted"
    UPDATED = "updated"
    UNCHANGED = "unchanged"


@dataclass(frozen=True)
class PolicyChange:
    version: PolicyVersion
    outcome: Outcome


@dataclass(frozen=True)
class CrossProvinceChange:
    region: PoolingRegion
    before: dt.date | None
    outcome: Outcome


@dataclass(frozen=True)
class DefaultsLoaded:
    inserted: int
    kept: int  # (region, default) pairs left alone: the default or a later version is stored


def _region(code: str) -> PoolingRegion:
    region = PoolingRegion.objects.select_for_update().filter(code=(code or "").strip()).first()
    if region is None:
        raise ApplicationError.of(INVALID, AccountsError.REGION_NOT_FOUND, field="region_code")
    return region


def _audit(actor: User | None, obj: PolicyVersion | PoolingRegion, flag: int, message: str) -> None:
    """Who changed it, in the admin's history of the object (the same trail as an edit there).
    A change without a person behind it (a script run without --actor) is in the command's log."""
    if actor is not None:
        LogEntry.objects.log_actions(actor.pk, [obj], flag, change_message=message)


@transaction.atomic
def policy_set(
    *, actor: User | None, region_code: str, scope: str, effective_from: dt.date, note: str = ""
) -> PolicyChange:
    """The region's policy from `effective_from` is `scope` (upsert of the (region, date) version).
    The version with the latest date on or before a day applies on that day."""
    if scope not in PolicyScope.values:
        raise ApplicationError.of(INVALID, SharingError.POLICY_SCOPE_UNKNOWN, field="scope")
    region = _region(region_code)
    version, created = PolicyVersion.objects.select_for_update().get_or_create(
        region=region, effective_from=effective_from, defaults={"scope": scope, "note": note}
    )
    if created:
        _audit(actor, version, ADDITION, f"共济范围 {scope}，自 {effective_from} 起")
        return PolicyChange(version, Outcome.INSERTED)
    before = (version.scope, version.note)
    version.scope, version.note = scope, note or version.note
    if (version.scope, version.note) == before:
        return PolicyChange(version, Outcome.UNCHANGED)
    version.save(update_fields=["scope", "note"])
    _audit(actor, version, CHANGE, f"共济范围 {before[0]} → {scope}，自 {effective_from} 起")
    return PolicyChange(version, Outcome.UPDATED)


@transaction.atomic
def cross_province_enable(
    *, actor: User | None, region_code: str, enabled_from: dt.date
) -> CrossProvinceChange:
    """Cross-province mutual aid is open in the region from `enabled_from` (a stored date is
    replaced: staff know their region's date better than any default)."""
    region = _region(region_code)
    before = region.cross_province_from
    if before == enabled_from:
        return CrossProvinceChange(region, before, Outcome.UNCHANGED)
    region.cross_province_from = enabled_from
    region.save(update_fields=["cross_province_from"])
    _audit(actor, region, CHANGE, f"跨省共济开通日期 {before or '未开通'} → {enabled_from}")
    return CrossProvinceChange(region, before, Outcome.INSERTED if before is None else Outcome.UPDATED)


@transaction.atomic
def policy_defaults_load(*, defaults: Iterable[PolicyDefault]) -> DefaultsLoaded:
    """The default versions for every pooling region, inserted only where the region has no
    version on or after the default's date: a version staff changed is never overwritten, and a
    region whose staff set their own later date does not get an earlier default slipped in."""
    inserted = kept = 0
    regions = list(PoolingRegion.objects.order_by("pk").values_list("pk", flat=True))
    for default in sorted(defaults, key=lambda d: d.effective_from):
        covered = set(
            PolicyVersion.objects.filter(effective_from__gte=default.effective_from).values_list(
                "region_id", flat=True
            )
        )
        new = [
            PolicyVersion(
                region_id=pk, scope=default.scope, effective_from=default.effective_from, note=default.note
            )
            for pk in regions
            if pk not in covered
        ]
        PolicyVersion.objects.bulk_create(new, ignore_conflicts=True)
        inserted += len(new)
        kept += len(regions) - len(new)
    return DefaultsLoaded(inserted, kept)

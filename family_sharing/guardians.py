"""Who the registry says a child's guardians are, for family service (DESIGN.md section 10): the
parents of a `parent` edge whose kind counts (birth, adoptive, step_supported; a step-parent without a
recorded support relationship is not one). Registered with accounts in FamilySharingConfig.ready(),
so that accounts asks without importing family_sharing."""

from typing import Any

from accounts.models import Person
from family_sharing.models import KinshipEdge
from family_sharing.registry import COUNTING_PARENT_KINDS


def _parent_edges() -> Any:
    return KinshipEdge.objects.filter(kind="parent", parent_kind__in=sorted(COUNTING_PARENT_KINDS))


def guardians_of(child: Person) -> list[int]:
    return list(_parent_edges().filter(b=child).values_list("a_id", flat=True))


def wards_of(parent: Person) -> Any:
    """A subquery of the ids of the persons `parent` is a registry parent of."""
    return _parent_edges().filter(a=parent).values("b_id")

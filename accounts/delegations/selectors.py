"""Reads of family service. Each selector returns only what the viewer may see."""

import uuid
from dataclasses import dataclass

from django.db.models import Q, QuerySet

from accounts.delegations.models import Delegation, DelegationAct, DelegationStatus
from accounts.models import Person, User


def delegation_list(*, viewer: User) -> QuerySet[Delegation]:
    """The viewer's delegations as agent and as principal."""
    mine = Q(agent=viewer)
    if viewer.person_id is not None:
        mine |= Q(principal_id=viewer.person_id)
    return (
        Delegation.objects.filter(mine)
        .select_related("agent__person", "principal", "relation")
        .order_by("-created_at")
    )


def delegation_get(*, viewer: User, delegation_id: uuid.UUID | str) -> Delegation | None:
    try:
        key = uuid.UUID(str(delegation_id))
    except ValueError:
        return None
    return delegation_list(viewer=viewer).filter(pk=key).first()


def delegation_grants(*, delegation: Delegation, scope: str) -> bool:
    """Whether the delegation, as loaded, is active and grants `scope` (what a page may offer; the
    act itself is checked again under a row lock by `delegation_act`)."""
    return delegation.status == DelegationStatus.ACTIVE and scope in delegation.scopes


def delegation_act_list(*, viewer: User) -> QuerySet[DelegationAct]:
    """Acts done for the viewer (as principal) and by the viewer (as agent), newest first."""
    mine = Q(agent=viewer)
    if viewer.person_id is not None:
        mine |= Q(principal_id=viewer.person_id)
    return DelegationAct.objects.filter(mine).select_related("agent__person", "principal")


@dataclass(frozen=True)
class RightsSummary:
    """权益单: the principal's insurance, account balance and what other apps add (certification)."""

    person: Person
    insurance_type: str
    status: str
    balance_fen: int | None
    sections: list[tuple[str, list[tuple[str, str]]]]

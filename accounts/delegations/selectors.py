"""Reads of family service. Each selector returns only what the viewer may see."""

import datetime as dt
import uuid
from dataclasses import dataclass

from django.db.models import Q, QuerySet

from accounts.delegations.models import Delegation, DelegationAct, DelegationStatus
from accounts.delegations.registry import ward_ids
from accounts.models import Person, User
from portal.core.time import add_months, today

MINOR_AGE = 16


def under_16_born_after(day: dt.date | None = None) -> dt.date:
    """A person is under 16 on `day` when born after this date (the 16th birthday is the day they
    stop being one; a 29 February birthday falls on 28 February of a common year)."""
    return add_months(day or today(), -12 * MINOR_AGE)


def delegation_list(*, viewer: User) -> QuerySet[Delegation]:
    """The viewer's delegations as agent and as principal, and as a registry guardian every
    delegation for their child while the child is under 16, whoever opened it."""
    mine = Q(agent=viewer)
    person = viewer.person
    if person is not None:
        mine |= Q(principal_id=person.pk)
        mine |= Q(principal_id__in=ward_ids(person), principal__birth_date__gt=under_16_born_after())
    return (
        Delegation.objects.filter(mine)
        .select_related("agent__person", "principal", "relation", "revoked_by__person")
        .order_by("-created_at")
    )


def delegation_get(*, viewer: User, delegation_id: uuid.UUID | str) -> Delegation | None:
    try:
        key = uuid.UUID(str(delegation_id))
    except ValueError:
        return None
    return delegation_list(viewer=viewer).filter(pk=key).first()


def delegation_for_agent(*, viewer: User, delegation_id: uuid.UUID | str, scope: str) -> Delegation | None:
    """The delegation an acting page or API works under: active, granting `scope`, and the viewer its
    agent. Anything else (no such id, someone else's, pending, revoked, another scope) is the same
    None, so that the caller answers 404 before showing anything of the principal. The act itself is
    checked again under a row lock by `delegation_act`."""
    try:
        key = uuid.UUID(str(delegation_id))
    except ValueError:
        return None
    return (
        Delegation.objects.filter(
            pk=key, agent=viewer, status=DelegationStatus.ACTIVE, scopes__contains=[scope]
        )
        .select_related("agent__person", "principal", "relation")
        .first()
    )


def delegation_grants(*, delegation: Delegation, scope: str) -> bool:
    """Whether the delegation, as loaded, is active and grants `scope` (what a page may offer; the
    act itself is checked again under a row lock by `delegation_act`)."""
    return delegation.status == DelegationStatus.ACTIVE and scope in delegation.scopes


def delegation_act_list(*, viewer: User) -> QuerySet[DelegationAct]:
    """Acts done for the viewer (as principal), by the viewer (as agent) and, for a registry
    guardian, for their child under 16, newest first."""
    mine = Q(agent=viewer)
    person = viewer.person
    if person is not None:
        mine |= Q(principal_id=person.pk)
        mine |= Q(principal_id__in=ward_ids(person), principal__birth_date__gt=under_16_born_after())
    return DelegationAct.objects.filter(mine).select_related("agent__person", "principal")


@dataclass(frozen=True)
class RightsSummary:
    """权益单: the principal's insurance, account balance and what other apps add (certification)."""

    person: Person
    insurance_type: str
    status: str
    balance_fen: int | None
    sections: list[tuple[str, list[tuple[str, str]]]]

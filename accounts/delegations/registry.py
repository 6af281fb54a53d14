"""What other apps plug into family service, so that accounts never imports them: sections of the
rights summary (权益单), the page an agent opens to act under a scope, and who the registry guardians
of a child are (the kinship registry lives in family_sharing). Apps register in their
AppConfig.ready()."""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from accounts.models import Person

# A section gives (label, value) rows about the principal, e.g. the certification status.
RightsRows = list[tuple[str, str]]
_sections: list[tuple[Any, Callable[[Person], RightsRows]]] = []
_actions: dict[str, "ScopeAction"] = {}
_guardians: list["GuardianSource"] = []


@dataclass(frozen=True)
class ScopeAction:
    scope: str
    label: Any  # lazy translatable text
    url_name: str  # reversed with the delegation's id


def rights_section_register(title: Any, rows: Callable[[Person], RightsRows]) -> None:
    if all(existing is not rows for _t, existing in _sections):
        _sections.append((title, rows))


def rights_sections(person: Person) -> list[tuple[str, RightsRows]]:
    return [(str(title), rows(person)) for title, rows in _sections]


def scope_action_register(action: ScopeAction) -> None:
    _actions[action.scope] = action


def scope_action(scope: str) -> ScopeAction | None:
    return _actions.get(scope)


@dataclass(frozen=True)
class GuardianSource:
    """The registry's parents who count as guardians (DESIGN.md section 10: a `parent` edge of kind
    birth, adoptive or step_supported). `guardians(child)` are the ids of the child's guardians;
    `wards(parent)` the ids of the persons this one is a guardian of, as a list or a subquery of
    ids (whatever their age; callers apply the under-16 rule)."""

    guardians: Callable[[Person], Iterable[int]]
    wards: Callable[[Person], Any]


def guardian_source_register(source: GuardianSource) -> None:
    _guardians[:] = [source]


def guardian_ids(child: Person) -> set[int]:
    """Ids of the child's registry guardians; none when no app says (so only an officer may open a
    delegation for a child: the rule fails closed)."""
    return {int(i) for source in _guardians for i in source.guardians(child)}


def ward_ids(parent: Person) -> Any:
    """The persons `parent` is a registry guardian of: a subquery or list usable in `pk__in`."""
    return _guardians[0].wards(parent) if _guardians else []

"""What other apps plug into family service, so that accounts never imports them: sections of the
rights summary (权益单) and the page an agent opens to act under a scope. Apps register in their
AppConfig.ready()."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from accounts.models import Person

# A section gives (label, value) rows about the principal, e.g. the certification status.
RightsRows = list[tuple[str, str]]
_sections: list[tuple[Any, Callable[[Person], RightsRows]]] = []
_actions: dict[str, "ScopeAction"] = {}


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

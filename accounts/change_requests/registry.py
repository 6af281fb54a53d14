"""The kinds of change that need a second officer, registered by the apps that own the records
(accounts registers a person's identity fields and phone; family_sharing its registry edges and
evidence approval, in its AppConfig.ready()), so that accounts imports no other app.

A kind says, for a target (a model instance, or None when the change adds a record) and the values
the maker wants (`after`, JSON-native values only):
- `subject(target, after)`: which record (a stable key), which regions it belongs to, a masked
  label, and its values now (`before`); it checks `after` and raises ApplicationError when it
  is not acceptable. Called when the request is filed and again, on the locked target, when it is
  approved (a target changed since then is refused).
- `load(key)`: the target of a key, locked (`select_for_update`); None for an added record.
- `apply(target, request, checker)`: makes the change, inside the approval's transaction."""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db.models import Model

if TYPE_CHECKING:
    from accounts.change_requests.models import ChangeRequest
    from accounts.models import User

Values = dict[str, Any]


@dataclass(frozen=True)
class Subject:
    key: str
    regions: frozenset[int]
    label: str  # masked: names and numbers as every admin page shows them
    before: Values
    after: Values  # `after` as checked and normalised


@dataclass(frozen=True)
class ChangeKind:
    code: str
    label: Any  # lazy translatable text
    fields: dict[str, Any]  # field -> label, the rows of the before/after table, in order
    subject: Callable[[Model | None, Values], Subject]
    load: Callable[[str], Model | None]
    apply: Callable[[Model | None, "ChangeRequest", "User"], None]
    masks: dict[str, Callable[[Any], str]] = field(default_factory=dict)  # shown masked in the admin


_kinds: dict[str, ChangeKind] = {}


def change_kind_register(kind: ChangeKind) -> None:
    _kinds[kind.code] = kind


def change_kind(code: str) -> ChangeKind:
    found = _kinds.get(code)
    if found is None:
        raise LookupError(f"no change kind {code!r} is registered")
    return found


def change_kind_or_none(code: str) -> ChangeKind | None:
    return _kinds.get(code)


def change_kinds() -> list[ChangeKind]:
    return list(_kinds.values())

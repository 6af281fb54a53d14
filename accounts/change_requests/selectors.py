"""Reads of change requests: who may decide one, and its before/after table (masked)."""

from dataclasses import dataclass
from typing import Any

from accounts.change_requests.models import ChangeRequest, ChangeStatus
from accounts.change_requests.registry import change_kind_or_none
from accounts.models import Role, User


@dataclass(frozen=True)
class ChangeRow:
    label: str
    before: str
    after: str
    changed: bool


def request_may_decide(*, viewer: User, request: ChangeRequest) -> bool:
    """A pending request, another officer than its maker, of its region (or a superuser): the
    rules `request_approve` enforces, asked before showing its buttons."""
    if request.status != ChangeStatus.PENDING or request.maker_id == viewer.pk:
        return False
    if viewer.is_superuser:
        return True
    return viewer.role == Role.BUREAU and viewer.region_id == request.region_id


def _shown(value: Any, mask: Any) -> str:
    if value is None or value == "":
        return "—"
    return str(mask(value)) if mask is not None else str(value)


def request_rows(request: ChangeRequest) -> list[ChangeRow]:
    """One row per field of the kind (or of the request when its kind is unknown), masked."""
    before, after = request.before, request.after
    kind = change_kind_or_none(request.kind)
    labels: dict[str, Any] = dict(kind.fields) if kind else {}
    masks = kind.masks if kind else {}
    for name in [*before, *after]:
        labels.setdefault(name, name)
    return [
        ChangeRow(
            label=str(label),
            before=_shown(before.get(name), masks.get(name)),
            after=_shown(after.get(name), masks.get(name)),
            changed=before.get(name) != after.get(name),
        )
        for name, label in labels.items()
        if name in before or name in after
    ]

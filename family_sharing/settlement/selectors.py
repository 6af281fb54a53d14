"""Reads of settlement. Staff see only the settlements of their own counter (`scope`): another
institution's settlement is simply not found. Residents see their own account's entries (accounts)."""

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core import signing
from django.db import connection
from django.db.models import QuerySet

from accounts.models import Person, Role, User
from family_sharing.models import Binding
from family_sharing.settlement.models import Settlement

# The patient's counter page is named by a signed token, not by a number (issue 15): the token holds
# the person's and the staff member's ids, signed with SECRET_KEY, so it is opaque to the access log,
# cannot be enumerated, opens only for the staff member who swiped the card, and expires with a
# session (SESSION_COOKIE_AGE).
_HOLDER_SALT = "family_sharing.settlement.card_holder"


def card_holder_token(*, staff: User, person: Person) -> str:
    return signing.dumps([person.pk, staff.pk], salt=_HOLDER_SALT)


def card_holder_get(*, staff: User, token: str) -> Person | None:
    """The person a card look-up of this staff member found, or None (forged, expired, someone
    else's token, or the person is gone)."""
    try:
        person_pk, staff_pk = signing.loads(token, salt=_HOLDER_SALT, max_age=settings.SESSION_COOKIE_AGE)
    except (signing.BadSignature, ValueError, TypeError):
        return None
    if staff_pk != staff.pk:
        return None
    return Person.objects.select_related("region__province").filter(pk=person_pk).first()


def counter_scope(*, staff: User) -> str | None:
    """The counter a staff member settles for: their institution, or their region's bureau window.
    Idempotency keys are unique per counter, and a counter sees only its own settlements."""
    if staff.role in (Role.HOSPITAL, Role.PHARMACY) and staff.institution_id is not None:
        return f"institution:{staff.institution_id}"
    if staff.role == Role.BUREAU and staff.region_id is not None:
        return f"bureau:{staff.region_id}"
    return None


@dataclass(frozen=True)
class StoredSettlement:
    id: uuid.UUID
    request_hash: str
    amount_fen: int
    balance_after_fen: int
    binding_id: uuid.UUID
    institution_code: str | None
    created_at: datetime


_STORED_SQL = """
SELECT s.id, s.request_hash, s.amount_fen, e.balance_after_fen, s.binding_id, i.code, s.created_at
  FROM family_sharing_settlement s JOIN accounts_accountentry e ON e.id = s.entry_id
  LEFT JOIN accounts_institution i ON i.id = s.institution_id
 WHERE s.scope = %(scope)s AND s.idempotency_key = %(key)s
"""


def _stored(row: tuple[Any, ...] | None) -> StoredSettlement | None:
    if row is None or row[0] is None:
        return None
    return StoredSettlement(*row)


def settlement_stored(*, scope: str, idempotency_key: str) -> StoredSettlement | None:
    """The settlement stored under a counter's key (read again after a unique-key race)."""
    with connection.cursor() as cursor:
        cursor.execute(_STORED_SQL, {"scope": scope, "key": idempotency_key})
        return _stored(cursor.fetchone())


def settlement_list(*, viewer: User) -> QuerySet[Settlement]:
    """The settlements of the viewer's counter, newest first, with what a receipt shows."""
    scope = counter_scope(staff=viewer)
    if scope is None:
        return Settlement.objects.none()
    return (
        Settlement.objects.filter(scope=scope)
        .select_related(
            "binding__sharer",
            "binding__beneficiary",
            "binding__relation_code",
            "institution",
            "entry",
            "staff",
        )
        .select_related("reversal")
    )


def settlement_get(*, viewer: User, settlement_id: uuid.UUID | str) -> Settlement | None:
    try:
        key = uuid.UUID(str(settlement_id))
    except ValueError:
        return None
    return settlement_list(viewer=viewer).filter(pk=key).first()


@dataclass(frozen=True)
class SettlementPreview:
    """What the confirmation step shows: the sharer's balance now and after, and the refusals the
    rules would give now (the service decides again, under the lock, when staff confirm)."""

    balance_fen: int
    balance_after_fen: int
    month_spent_fen: int
    monthly_limit_fen: int | None
    refusals: list[str]


def settlement_preview(*, binding: Binding, amount_fen: int, category_allowed: bool) -> SettlementPreview:
    from django.db.models import Sum

    from accounts.models import PersonalAccount
    from family_sharing.settlement.services import month_start
    from portal.core.time import now

    account = PersonalAccount.objects.filter(person_id=binding.sharer_id).first()
    balance = account.balance_fen if account else 0
    spent = (
        Settlement.objects.filter(binding=binding, created_at__gte=month_start(now()), reversal__isnull=True)
        .aggregate(total=Sum("amount_fen"))
        .get("total")
        or 0
    )
    refusals = []
    if binding.status != "active" or account is None:
        refusals.append("binding_not_active")
    if binding.sharer.status != "normal":
        refusals.append("sharer_not_normal")
    if not category_allowed:
        refusals.append("category_not_allowed")
    if balance < amount_fen:
        refusals.append("insufficient_balance")
    if binding.monthly_limit_fen is not None and spent + amount_fen > binding.monthly_limit_fen:
        refusals.append("binding_limit_exceeded")
    return SettlementPreview(
        balance_fen=balance,
        balance_after_fen=balance - amount_fen,
        month_spent_fen=spent,
        monthly_limit_fen=binding.monthly_limit_fen,
        refusals=refusals,
    )

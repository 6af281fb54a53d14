"""Reads of settlement. Staff see only the settlements of their own counter (`scope`): another
institution's settlement is simply not found. Residents see their own account's entries (accounts)."""

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import connection
from django.db.models import QuerySet

from accounts.models import Role, User
from family_sharing.models import Binding
from family_sharing.settlement import sql
from family_sharing.settlement.models import Settlement


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


@dataclass(frozen=True)
class SettlementContext:
    """Everything the rules need, read in one statement (unlocked; the SQL function re-checks what
    may change under the account's lock)."""

    beneficiary_id: int | None
    beneficiary_name: str
    sharer_id: int | None
    sharer_status: str
    sharer_phone_token: str
    account_id: int | None
    balance_fen: int | None
    binding_id: uuid.UUID | None
    binding_status: str | None
    institution_code: str | None
    institution_name: str | None
    existing: StoredSettlement | None


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


def settlement_context(
    *,
    sharer_card_number: str,
    beneficiary_card_number: str,
    institution_id: int | None,
    scope: str,
    idempotency_key: str,
) -> SettlementContext:
    """One statement: the SQL function family_settlement_context (family_sharing/settlement/sql.py)."""
    params = [beneficiary_card_number, sharer_card_number, institution_id, scope, idempotency_key]
    with connection.cursor() as cursor:
        cursor.execute(sql.CONTEXT_CALL, params)
        row = cursor.fetchone()
    return SettlementContext(
        beneficiary_id=row[0],
        beneficiary_name=row[1] or "",
        sharer_id=row[2],
        sharer_status=row[3] or "",
        sharer_phone_token=row[4] or "",
        account_id=row[5],
        balance_fen=row[6],
        binding_id=row[7],
        binding_status=row[8],
        institution_code=row[9],
        institution_name=row[10],
        existing=_stored(row[11:]),
    )


def settlement_stored(*, scope: str, idempotency_key: str) -> StoredSettlement | None:
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

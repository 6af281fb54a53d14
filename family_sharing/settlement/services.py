"""Writes of settlement: the family settlement (共济支付) and its reversal (冲正).

`settlement_create` is one call of the SQL function family_settlement (family_sharing/settlement/sql.py,
decision record 0012): the retry look-up, the cards, the rules of RULES below, the lock, the rules
again under the lock with the monthly cap, and the write (balance, ledger entry, settlement, message)
in one round trip; a retry with the same key is one too. The service decides who may settle what,
hashes the body, writes the message text, and maps the reason codes the function returns to the
documented errors. The SMS copy to the sharer goes after commit and never needs the broker."""

import contextlib
import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from accounts.ledger import REVERSAL_PREFIX, entry_post
from accounts.models import EntryKind, Role, User
from accounts.notifications import message_send
from accounts.outbox import outbox_dispatch_after_commit
from family_sharing.settlement import sql
from family_sharing.settlement.errors import SettlementError
from family_sharing.settlement.models import Category, Reversal, Settlement
from family_sharing.settlement.selectors import StoredSettlement, counter_scope, settlement_stored
from portal.core.db import prepared_cursor
from portal.core.errors import CONFLICT, FORBIDDEN, NOT_FOUND, REFUSED, ApplicationError
from portal.core.metrics import settlement_counted
from portal.core.money import fen_to_yuan_text
from portal.core.time import now

# Which category each counter may settle (API.md section 3).
CATEGORY_OF_ROLE = {
    Role.HOSPITAL: Category.MEDICAL_SELF_PAY,
    Role.PHARMACY: Category.PHARMACY,
    Role.BUREAU: Category.RESIDENT_CONTRIBUTION,
}
BUREAU_WINDOW = "医保经办机构"
SETTLED_SUBJECT = "家庭共济支付"
REVERSED_SUBJECT = "家庭共济支付已冲正"

# The rules of a settlement (DESIGN.md section 8), in the order their codes are listed (422 refused,
# every rule that applies). family_settlement in sql.py checks exactly these, with these codes: the
# first four before taking any lock (step 3), then binding, sharer, balance and the monthly cap again
# under the sharer's account lock (step 6). Before them: a key already used at this counter answers
# with the first result (409 idempotency_key_reused if the body differs), and an unknown card is 404
# card_not_found on its field.
RULES: dict[SettlementError, str] = {
    SettlementError.BINDING_NOT_ACTIVE: "the newest binding from the sharer to the beneficiary is active, "
    "and the sharer has a personal account",
    SettlementError.SHARER_NOT_NORMAL: "the sharer's insurance status is normal",
    SettlementError.CATEGORY_NOT_ALLOWED: "this counter may settle this category (CATEGORY_OF_ROLE)",
    SettlementError.INSUFFICIENT_BALANCE: "the sharer's balance covers the amount",
    SettlementError.BINDING_LIMIT_EXCEEDED: "with this amount, the binding's settlements of this month "
    "(Asia/Shanghai) that were not reversed stay within its monthly cap, if it has one",
}
SETTLEMENT_ERRORS = {e.value: e for e in RULES}


@dataclass(frozen=True)
class SettlementResult:
    id: uuid.UUID
    amount_fen: int
    sharer_balance_after_fen: int
    binding_id: uuid.UUID
    institution_code: str | None
    created_at: datetime
    replayed: bool = False
    status: str = "settled"


def settlement_request_hash(
    *, sharer_card_number: str, beneficiary_card_number: str, category: str, amount_fen: int, description: str
) -> str:
    """sha256 of the normalised body: the same request, however spelled, has the same hash."""
    body = json.dumps(
        [sharer_card_number, beneficiary_card_number, category, amount_fen, description],
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(body.encode()).hexdigest()


def month_start(at: datetime) -> datetime:
    """The first instant of `at`'s month in Asia/Shanghai: the monthly cap's window."""
    local = timezone.localtime(at)
    return local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def _replay(stored: StoredSettlement, request_hash: str) -> SettlementResult:
    """The first result again for the same key and body; the same key with another body is refused."""
    if stored.request_hash != request_hash:
        raise ApplicationError.of(CONFLICT, SettlementError.IDEMPOTENCY_KEY_REUSED)
    settlement_counted("replayed")
    return SettlementResult(
        id=stored.id,
        amount_fen=stored.amount_fen,
        sharer_balance_after_fen=stored.balance_after_fen,
        binding_id=stored.binding_id,
        institution_code=stored.institution_code,
        created_at=stored.created_at,
        replayed=True,
    )


def settled_text(
    *, amount_fen: int, at: datetime, institution_name: str = "%1$s", beneficiary_masked: str = "%2$s"
) -> str:
    """What the sharer is told: amount, institution, time, for whom (masked). Never the description.
    Without names it is the template the SQL function fills in (`format`: %1$s the institution or the
    bureau window, %2$s the beneficiary's name through the same mask as `mask_name`)."""
    return (
        f"您的个人账户于{timezone.localtime(at):%Y年%m月%d日 %H:%M}在{institution_name}"
        f"为亲属{beneficiary_masked}共济支付{fen_to_yuan_text(amount_fen)}元。"
    )


def settlement_create(
    *,
    actor: User,
    sharer_card_number: str,
    beneficiary_card_number: str,
    category: str,
    amount_fen: int,
    description: str,
    idempotency_key: str,
) -> SettlementResult:
    """Pays a relative's self-paid cost from the sharer's personal account (DESIGN.md section 8).
    Card numbers are normalised and the amount is a positive integer (the API and the form check the
    shape). A refusal changes nothing."""
    scope = counter_scope(staff=actor)
    if scope is None:
        raise ApplicationError(FORBIDDEN)
    request_hash = settlement_request_hash(
        sharer_card_number=sharer_card_number,
        beneficiary_card_number=beneficiary_card_number,
        category=category,
        amount_fen=amount_fen,
        description=description,
    )
    at = now()
    params = [
        uuid.uuid4(),
        sharer_card_number,
        beneficiary_card_number,
        category,
        CATEGORY_OF_ROLE.get(Role(actor.role)) == category,
        amount_fen,
        actor.institution_id,
        scope,
        Category(category).label,
        actor.pk,
        description,
        idempotency_key,
        request_hash,
        at,
        month_start(at),
        SETTLED_SUBJECT,
        settled_text(amount_fen=amount_fen, at=at),
        BUREAU_WINDOW,
    ]
    try:
        row = _settle(params)
    except IntegrityError:
        # The same key committed by a request for another account while this one ran.
        stored = settlement_stored(scope=scope, idempotency_key=idempotency_key)
        if stored is None:
            raise
        return _replay(stored, request_hash)
    (
        missing_card,
        refusal_codes,
        settlement_id,
        amount,
        balance_after,
        binding_id,
        institution_code,
        created_at,
        stored_hash,
        replayed,
        sharer_phone_token,
        body,
    ) = row
    if missing_card:
        raise ApplicationError.of(NOT_FOUND, SettlementError.CARD_NOT_FOUND, field=missing_card)
    if refusal_codes:
        settlement_counted("refused")
        raise ApplicationError.of(REFUSED, *[SETTLEMENT_ERRORS[code] for code in refusal_codes])
    if replayed:
        stored = StoredSettlement(
            settlement_id, stored_hash, amount, balance_after, binding_id, institution_code, created_at
        )
        return _replay(stored, request_hash)
    if sharer_phone_token:  # the function queued the SMS copy in the outbox
        outbox_dispatch_after_commit(ids=None)
    settlement_counted("settled")
    return SettlementResult(
        id=settlement_id,
        amount_fen=amount,
        sharer_balance_after_fen=balance_after,
        binding_id=binding_id,
        institution_code=institution_code,
        created_at=created_at,
    )


def _settle(params: list[Any]) -> tuple[Any, ...]:
    """One statement; inside a caller's transaction it gets a savepoint, so that a unique-key race
    leaves that transaction usable."""
    savepoint = transaction.atomic() if connection.in_atomic_block else contextlib.nullcontext()
    with savepoint, prepared_cursor() as cursor:
        cursor.execute(sql.SETTLE_CALL, params)
        return cursor.fetchone()


@transaction.atomic
def settlement_reverse(*, actor: User, settlement: Settlement, reason: str) -> Reversal:
    """Credits one settlement back to the sharer's account, once. The caller found the settlement
    through `settlement_get`, so it belongs to the actor's counter (anyone else gets 404)."""
    locked = Settlement.objects.select_for_update().get(pk=settlement.pk)
    if Reversal.objects.filter(settlement=locked).exists():
        raise ApplicationError.of(CONFLICT, SettlementError.ALREADY_REVERSED)
    binding = settlement.binding
    account = binding.sharer.account
    entry = entry_post(
        account=account,
        kind=EntryKind.REVERSAL,
        amount_fen=locked.amount_fen,
        description=f"{REVERSAL_PREFIX}{Category(locked.category).label}",
        beneficiary=binding.beneficiary,
        institution=settlement.institution,
    )
    try:
        with transaction.atomic():
            reversal = Reversal.objects.create(settlement=locked, reason=reason, staff=actor, entry=entry)
    except IntegrityError as exc:
        raise ApplicationError.of(CONFLICT, SettlementError.ALREADY_REVERSED) from exc
    institution_name = settlement.institution.name if settlement.institution else BUREAU_WINDOW
    message_send(
        person=binding.sharer,
        subject=REVERSED_SUBJECT,
        body=(
            f"{timezone.localtime(settlement.created_at):%Y年%m月%d日 %H:%M}在{institution_name}"
            f"为亲属{binding.beneficiary.name_masked}共济支付的{fen_to_yuan_text(locked.amount_fen)}元"
            f"已于{timezone.localtime(reversal.created_at):%Y年%m月%d日 %H:%M}冲正，退回您的个人账户。"
        ),
    )
    settlement_counted("reversed")
    return reversal

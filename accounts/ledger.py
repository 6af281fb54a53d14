"""The personal account's ledger (DESIGN.md section 8, decision record 0005): the only code that
changes a balance. Every change locks the account row, writes one append-only entry with the balance
after it and the new balance in one transaction; the database's CHECKs keep both at or above zero.

The family settlement's hot path does the same steps inside one SQL function
(family_sharing/settlement/sql.py) and is held to the same invariants by the same constraints."""

import datetime as dt
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils.translation import gettext_noop

from accounts.errors import AccountsError
from accounts.models import AccountEntry, EntryKind, Institution, Person, PersonalAccount
from portal.core.errors import REFUSED, ApplicationError
from portal.core.time import now

# The descriptions the portal writes on ledger lines (in Chinese, msgids of the catalogue: the
# account page shows them in the reader's language, accounts.views.entry_description_text).
CREDIT_DESCRIPTION = gettext_noop("个人账户每月划入")
REVERSAL_PREFIX = "冲正："  # then the category of the settlement credited back
CREDIT_CHUNK = 10_000
# One monthly credit run at a time (pg_advisory_xact_lock key; "CRED" in ASCII).
CREDIT_LOCK_KEY = 0x43524544


@transaction.atomic
def entry_post(
    *,
    account: PersonalAccount,
    kind: EntryKind | str,
    amount_fen: int,
    description: str = "",
    beneficiary: Person | None = None,
    institution: Institution | None = None,
    period: dt.date | None = None,
) -> AccountEntry:
    """Posts one signed amount (debits negative). A debit the balance cannot cover is refused with
    `insufficient_balance` and changes nothing. `account` is reloaded under its row lock."""
    if amount_fen == 0:
        raise ValueError("a ledger entry moves money")
    locked = PersonalAccount.objects.select_for_update().only("pk", "balance_fen").get(pk=account.pk)
    after = locked.balance_fen + amount_fen
    if after < 0:
        raise ApplicationError.of(REFUSED, AccountsError.INSUFFICIENT_BALANCE)
    at = now()
    PersonalAccount.objects.filter(pk=locked.pk).update(balance_fen=after, updated_at=at)
    entry = AccountEntry.objects.create(
        account_id=locked.pk,
        kind=kind,
        amount_fen=amount_fen,
        balance_after_fen=after,
        description=description,
        beneficiary=beneficiary,
        institution=institution,
        period=period,
    )
    account.balance_fen = after
    return entry


@dataclass(frozen=True)
class CreditResult:
    month: dt.date
    credited: int
    total_fen: int

    def summary(self) -> str:
        return f"{self.month:%Y-%m}: credited {self.credited} accounts, {self.total_fen} fen"


_CREDIT_CHUNK_SQL = """
WITH due AS (
    SELECT a.id, a.monthly_credit_fen
      FROM accounts_personalaccount a
     WHERE a.id > %(after)s AND a.monthly_credit_fen > 0
       AND NOT EXISTS (SELECT 1 FROM accounts_accountentry e
                        WHERE e.account_id = a.id AND e.kind = 'credit' AND e.period = %(month)s)
     ORDER BY a.id
     LIMIT %(chunk)s
       FOR UPDATE
), credited AS (
    UPDATE accounts_personalaccount a
       SET balance_fen = a.balance_fen + due.monthly_credit_fen, updated_at = %(now)s
      FROM due WHERE a.id = due.id
 RETURNING a.id, due.monthly_credit_fen AS amount, a.balance_fen AS after
), entries AS (
    INSERT INTO accounts_accountentry (public_id, account_id, kind, amount_fen, balance_after_fen,
                                      description, period, created_at)
    SELECT gen_random_uuid(), id, 'credit', amount, after, %(description)s, %(month)s, %(now)s
      FROM credited
)
SELECT count(*), coalesce(sum(amount), 0), coalesce(max(id), 0) FROM credited
"""


def accounts_credit(*, month: dt.date) -> CreditResult:
    """划入: credits every account its `monthly_credit_fen` for `month`, once. Set-based, in chunks of
    accounts by id, each chunk one statement and one transaction; running it again for the same month
    credits nobody twice (the NOT EXISTS here, and the unique constraint `entry_one_credit_per_month`
    under it)."""
    month = month.replace(day=1)
    credited = total = 0
    after = 0
    while True:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [CREDIT_LOCK_KEY])
            cursor.execute(
                _CREDIT_CHUNK_SQL,
                {
                    "after": after,
                    "month": month,
                    "chunk": CREDIT_CHUNK,
                    "now": now(),
                    "description": CREDIT_DESCRIPTION,
                },
            )
            count, fen, last = cursor.fetchone()
        if not count:
            return CreditResult(month=month, credited=credited, total_fen=total)
        credited, total, after = credited + count, total + fen, last

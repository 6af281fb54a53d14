"""Celery tasks of accounts: thin wrappers that call services. Idempotent."""

from celery import shared_task

from accounts.ledger import accounts_credit
from portal.core.time import today


@shared_task(name="accounts.credit_accounts", acks_late=True)
def credit_accounts() -> str:
    """The monthly credit (划入) for the current month in Asia/Shanghai."""
    return accounts_credit(month=today().replace(day=1)).summary()

"""Celery tasks of accounts: thin wrappers that call services. Idempotent."""

from celery import shared_task

from accounts.ledger import accounts_credit
from accounts.outbox import outbox_deliver, outbox_sweep
from portal.core.time import today


@shared_task(name="accounts.credit_accounts", acks_late=True)
def credit_accounts() -> str:
    """The monthly credit (划入) for the current month in Asia/Shanghai."""
    return accounts_credit(month=today().replace(day=1)).summary()


@shared_task(name="accounts.deliver_sms", acks_late=True)
def deliver_sms(ids: list[int] | None = None) -> int:
    """Delivers queued SMS (these rows, or everything due): at least once, keyed (accounts.outbox)."""
    return outbox_deliver(ids=ids) if ids is not None else outbox_sweep()

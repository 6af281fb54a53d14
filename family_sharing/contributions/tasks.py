"""Celery tasks of the arrears sweep: thin and idempotent (running one twice does no more)."""

import datetime as dt

from celery import shared_task

from family_sharing.contributions.services import arrears_cases_settle, status_changes_notify
from family_sharing.contributions.sweep import arrears_sweep_region, sweep_region_ids
from portal.core.time import today


@shared_task(name="family_sharing.sweep_arrears_nightly", acks_late=True)
def sweep_arrears_nightly(as_of: str | None = None) -> str:
    """The beat entry: one sweep task per pooling region (any number of workers take them), and
    the notifications a lost enqueue left behind."""
    day = as_of or today().isoformat()
    regions = sweep_region_ids()
    for region_id in regions:
        sweep_arrears_region.delay(region_id, day)
    notify_pending_status_changes.delay()
    return f"arrears sweep as of {day}: {len(regions)} region tasks queued"


@shared_task(name="family_sharing.sweep_arrears_region", acks_late=True)
def sweep_arrears_region(region_id: int, as_of: str) -> str:
    day = dt.date.fromisoformat(as_of)
    result = arrears_sweep_region(region_id=region_id, as_of=day)
    result.cases_closed = arrears_cases_settle(as_of=day)
    return result.summary()


@shared_task(name="family_sharing.notify_status_changes", acks_late=True)
def notify_status_changes(change_ids: list[int]) -> int:
    return status_changes_notify(change_ids=change_ids, limit=len(change_ids))


@shared_task(name="family_sharing.notify_pending_status_changes", acks_late=True)
def notify_pending_status_changes() -> int:
    sent = total = status_changes_notify()
    while sent:
        sent = status_changes_notify()
        total += sent
    return total

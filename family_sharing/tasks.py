"""Celery tasks: thin wrappers that call services. Idempotent: running one twice does no more."""

from celery import shared_task

from family_sharing.verification import bindings_verify


@shared_task(name="family_sharing.verify_pending_bindings", acks_late=True)
def verify_pending_bindings() -> str:
    return bindings_verify().summary()


# The arrears sweep's tasks live in their subpackage; importing them here is how Celery finds them.
from family_sharing.contributions.tasks import (  # noqa: E402, F401
    notify_pending_status_changes,
    notify_status_changes,
    sweep_arrears_nightly,
    sweep_arrears_region,
)
from family_sharing.reconsent.tasks import run_reconsent  # noqa: E402, F401

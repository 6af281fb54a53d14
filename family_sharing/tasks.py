"""Celery tasks: thin wrappers that call services. Idempotent: running one twice does no more."""

from celery import shared_task

from family_sharing.verification import bindings_verify


@shared_task(name="family_sharing.verify_pending_bindings", acks_late=True)
def verify_pending_bindings() -> str:
    return bindings_verify().summary()

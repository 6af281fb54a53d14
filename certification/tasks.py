"""Celery tasks of certification: thin and idempotent."""

from celery import shared_task

from certification.cycle_run import certification_cycle_run


@shared_task(name="certification.run_certification_cycle", acks_late=True)
def run_certification_cycle() -> str:
    return certification_cycle_run().summary()

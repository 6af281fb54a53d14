"""The daily re-consent pass as a Celery task (beat: every day at 09:00 Asia/Shanghai, so the SMS
reaches the young person in the morning; migration 0012). Idempotent: a rerun changes nothing."""

from celery import shared_task

from family_sharing.reconsent.run import reconsent_run


@shared_task(name="family_sharing.run_reconsent", acks_late=True)
def run_reconsent() -> str:
    return reconsent_run().summary()

"""The daily certification cycle run in django-celery-beat (02:30 Asia/Shanghai), and a drain of the
SMS outbox every 10 minutes in case the on-commit enqueue was lost (broker down)."""

from django.db import migrations

CYCLE = "run certification cycle"
DRAIN = "send queued certification sms"


def schedule(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    nightly, _ = CrontabSchedule.objects.get_or_create(
        minute="30", hour="2", day_of_week="*", day_of_month="*", month_of_year="*", timezone="Asia/Shanghai"
    )
    PeriodicTask.objects.update_or_create(
        name=CYCLE,
        defaults={"task": "certification.run_certification_cycle", "crontab": nightly, "enabled": True},
    )
    every, _ = IntervalSchedule.objects.get_or_create(every=10, period="minutes")
    PeriodicTask.objects.update_or_create(
        name=DRAIN, defaults={"task": "certification.send_queued_sms", "interval": every, "enabled": True}
    )


def unschedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name__in=[CYCLE, DRAIN]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("certification", "0001_certification"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(schedule, unschedule)]

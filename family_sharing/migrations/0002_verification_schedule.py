"""The periodic verification pass in django-celery-beat (every 5 minutes): bindings whose
on-commit enqueue was lost (broker down) are still verified."""

from django.db import migrations


def schedule(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    every, _ = IntervalSchedule.objects.get_or_create(every=5, period="minutes")
    PeriodicTask.objects.update_or_create(
        name="verify pending bindings",
        defaults={"task": "family_sharing.verify_pending_bindings", "interval": every, "enabled": True},
    )


def unschedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name="verify pending bindings").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("family_sharing", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(schedule, unschedule)]

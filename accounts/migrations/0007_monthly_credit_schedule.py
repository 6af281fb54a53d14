"""The monthly credit (划入) in django-celery-beat: on the 1st of every month at 00:30 Asia/Shanghai.
The task is idempotent (one credit per account and month), so a missed or repeated run is harmless;
it also runs on the 2nd, catching a month whose first run was lost."""

from django.db import migrations


def schedule(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    monthly, _ = CrontabSchedule.objects.get_or_create(
        minute="30",
        hour="0",
        day_of_month="1,2",
        month_of_year="*",
        day_of_week="*",
        timezone="Asia/Shanghai",
    )
    PeriodicTask.objects.update_or_create(
        name="monthly personal account credit",
        defaults={"task": "accounts.credit_accounts", "crontab": monthly, "interval": None, "enabled": True},
    )


def unschedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(
        name="monthly personal account credit"
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0006_ledger_credit_and_counterparty"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(schedule, unschedule)]

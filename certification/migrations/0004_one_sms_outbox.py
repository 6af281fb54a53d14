"""Certification's SMS outbox becomes the one outbox (accounts.SmsOutbox, decision record 0018): rows
still queued move there, and the drain's schedule goes (the one outbox has its own sweep)."""

from django.db import migrations

DRAIN = "send queued certification sms"


def move_queued(apps, schema_editor):
    schema_editor.execute(
        "INSERT INTO accounts_smsoutbox (message_id) SELECT message_id FROM certification_smsoutbox"
        " ON CONFLICT DO NOTHING"
    )
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=DRAIN).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("certification", "0003_home_visit_delegation"),
        ("accounts", "0014_sms_outbox"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [
        migrations.RunPython(move_queued, migrations.RunPython.noop),
        migrations.DeleteModel(name="SmsOutbox"),
    ]

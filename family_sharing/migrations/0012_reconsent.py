"""Re-consent at 16 (DESIGN.md section 6, decision record 0020): one request per binding a guardian
consented to, with its last day and the young person's answer; an index for the daily pass; the
backfill of who consented for counter bindings; the daily beat task at 09:00 Asia/Shanghai.

Who consented is `Binding.guardian_consent`, set since the start for the web (a registry parent
binding a child under 16, or a guardian's consent). A counter binding of a child under 16 was
consented to by the adult present, but recorded as False until now: the backfill sets it where the
binding's first event (its creation, channel bureau or hospital) is before the child's 16th
birthday. Reversing leaves the flag as it is (it is right either way)."""

import datetime
import django.db.models.deletion
import django.db.models.expressions
from django.conf import settings
from django.db import migrations, models


TASK_NAME = "re-consent at 16"

# The 16th birthday is the birth date + 16 years; PostgreSQL clamps Feb 29 to Feb 28 as add_months does.
BACKFILL_COUNTER_MINORS = """
UPDATE family_sharing_binding AS b
   SET guardian_consent = TRUE
  FROM accounts_person AS p
 WHERE p.id = b.beneficiary_id
   AND NOT b.guardian_consent
   AND b.channel IN ('bureau', 'hospital')
   AND (p.birth_date + interval '16 years')::date > (
        COALESCE(
            (SELECT min(e.at) FROM family_sharing_bindingevent AS e
              WHERE e.binding_id = b.id AND e.from_status = ''),
            b.created_at
        ) AT TIME ZONE 'Asia/Shanghai'
   )::date
"""


def backfill(apps, schema_editor):
    schema_editor.execute(BACKFILL_COUNTER_MINORS)


def schedule(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    morning, _ = CrontabSchedule.objects.get_or_create(
        minute="0",
        hour="9",
        day_of_week="*",
        day_of_month="*",
        month_of_year="*",
        timezone="Asia/Shanghai",
    )
    PeriodicTask.objects.update_or_create(
        name=TASK_NAME,
        defaults={"task": "family_sharing.run_reconsent", "crontab": morning, "interval": None, "enabled": True},
    )


def unschedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=TASK_NAME).delete()


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0014_sms_outbox'),
        ('family_sharing', '0011_suggestion_listing'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [
        migrations.CreateModel(
            name='ReconsentRequest',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('requested_on', models.DateField(verbose_name='询问日期')),
                ('due_on', models.DateField(verbose_name='最晚确认日期')),
                ('answer', models.CharField(blank=True, choices=[('confirmed', '本人确认继续共济'), ('declined', '本人不同意，绑定解除')], default='', max_length=10, verbose_name='本人答复')),
                ('answered_at', models.DateTimeField(blank=True, null=True, verbose_name='答复时间')),
                ('created_at', models.DateTimeField(auto_now_add=True)),
            ],
            options={
                'verbose_name': '年满16周岁本人确认',
                'verbose_name_plural': '年满16周岁本人确认',
            },
        ),
        migrations.AddField(
            model_name='reconsentrequest',
            name='answered_by',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='答复人'),
        ),
        migrations.AddField(
            model_name='reconsentrequest',
            name='binding',
            field=models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='reconsent', to='family_sharing.binding', verbose_name='共济绑定'),
        ),
        migrations.AddIndex(
            model_name='reconsentrequest',
            index=models.Index(condition=models.Q(('answer', '')), fields=['due_on'], name='reconsent_open_due'),
        ),
        migrations.AddConstraint(
            model_name='reconsentrequest',
            constraint=models.CheckConstraint(condition=models.Q(('answer__in', ['', 'confirmed', 'declined'])), name='reconsent_answer_valid'),
        ),
        migrations.AddConstraint(
            model_name='reconsentrequest',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('answer', ''), ('answered_at__isnull', True), ('answered_by__isnull', True)), models.Q(models.Q(('answer', ''), _negated=True), ('answered_at__isnull', False), ('answered_by__isnull', False)), _connector='OR'), name='reconsent_answered_whole'),
        ),
        migrations.AddConstraint(
            model_name='reconsentrequest',
            constraint=models.CheckConstraint(condition=models.Q(('due_on', django.db.models.expressions.CombinedExpression(models.F('requested_on'), '+', models.Value(datetime.timedelta(days=29))))), name='reconsent_due_after_30_days'),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
        migrations.RunPython(schedule, unschedule),
    ]

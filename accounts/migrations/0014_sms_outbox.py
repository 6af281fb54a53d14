"""The one SMS outbox (decision record 0018), and its sweep in django-celery-beat: every minute, the
rows whose dispatch after commit was lost (broker down, process died) or whose retry is due."""

import django.contrib.postgres.functions
import django.db.models.deletion
import django.db.models.functions.datetime
import portal.core.fields
import uuid
from django.db import migrations, models


SWEEP = "deliver queued sms"


def schedule(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    every, _ = IntervalSchedule.objects.get_or_create(every=1, period="minutes")
    PeriodicTask.objects.update_or_create(
        name=SWEEP,
        defaults={"task": "accounts.deliver_sms", "interval": every, "crontab": None, "enabled": True},
    )


def unschedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=SWEEP).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("django_celery_beat", "0019_alter_periodictasks_options"),
        ("accounts", "0013_region_sms_sign_in"),
    ]

    operations = [
        migrations.CreateModel(
            name="SmsOutbox",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "key",
                    models.UUIDField(
                        db_default=django.contrib.postgres.functions.RandomUUID(),
                        default=uuid.uuid4,
                        editable=False,
                        unique=True,
                        verbose_name="幂等键",
                    ),
                ),
                (
                    "payload",
                    portal.core.fields.EncryptedTextField(
                        blank=True, db_default="", default="", verbose_name="内容（加密）"
                    ),
                ),
                (
                    "template",
                    models.CharField(
                        db_default="notice", default="notice", max_length=32, verbose_name="模板"
                    ),
                ),
                ("urgent", models.BooleanField(db_default=False, default=False, verbose_name="验证码")),
                (
                    "created_at",
                    models.DateTimeField(
                        db_default=django.db.models.functions.datetime.Now(), verbose_name="写入时间"
                    ),
                ),
                (
                    "next_attempt_at",
                    models.DateTimeField(
                        db_default=django.db.models.functions.datetime.Now(), verbose_name="下次尝试"
                    ),
                ),
                ("expires_at", models.DateTimeField(blank=True, null=True, verbose_name="过期时间")),
                (
                    "attempts",
                    models.PositiveSmallIntegerField(db_default=0, default=0, verbose_name="尝试次数"),
                ),
                ("done_at", models.DateTimeField(blank=True, null=True, verbose_name="完成时间")),
                (
                    "result",
                    models.CharField(
                        blank=True,
                        choices=[
                            ("sent", "已发送"),
                            ("expired", "已过期，未发送"),
                            ("no_phone", "无登记手机号"),
                            ("failed", "多次发送失败，已放弃"),
                        ],
                        db_default="",
                        default="",
                        max_length=16,
                        verbose_name="结果",
                    ),
                ),
                (
                    "last_error",
                    models.CharField(
                        blank=True, db_default="", default="", max_length=120, verbose_name="最近错误"
                    ),
                ),
                (
                    "message",
                    models.OneToOneField(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="accounts.message",
                    ),
                ),
            ],
            options={
                "verbose_name": "短信发件箱",
                "verbose_name_plural": "短信发件箱",
                "indexes": [
                    models.Index(
                        condition=models.Q(("done_at__isnull", True)),
                        fields=["next_attempt_at"],
                        name="smsoutbox_due",
                    ),
                    models.Index(
                        condition=models.Q(("done_at__isnull", True)),
                        fields=["created_at"],
                        name="smsoutbox_pending_age",
                    ),
                    models.Index(
                        condition=models.Q(("done_at__isnull", False)),
                        fields=["done_at"],
                        name="smsoutbox_done",
                    ),
                ],
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(
                            ("message__isnull", False),
                            models.Q(("payload", ""), _negated=True),
                            _connector="OR",
                        ),
                        name="smsoutbox_has_content",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(
                            models.Q(("done_at__isnull", True), ("result", "")),
                            models.Q(("done_at__isnull", False), models.Q(("result", ""), _negated=True)),
                            _connector="OR",
                        ),
                        name="smsoutbox_done_has_result",
                    ),
                ],
            },
        ),
        migrations.RunPython(schedule, unschedule),
    ]

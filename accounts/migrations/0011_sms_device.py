# Possession of the phone on file (issue 15, decision record 0015): the SMS one-time-code device, the
# registration that waits for its code, and the audit of a bureau officer's change of the number.

import uuid

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0010_person_phone_hash_unindexed"),
    ]

    operations = [
        migrations.CreateModel(
            name="PhoneChange",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "old_phone_masked",
                    models.CharField(blank=True, default="", max_length=20, verbose_name="原手机号"),
                ),
                ("new_phone_masked", models.CharField(max_length=20, verbose_name="新手机号")),
                ("reason", models.CharField(max_length=200, verbose_name="变更原因")),
                ("changed_at", models.DateTimeField(auto_now_add=True, verbose_name="时间")),
                (
                    "person",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="phone_changes",
                        to="accounts.person",
                        verbose_name="参保人",
                    ),
                ),
                (
                    "staff",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="经办人",
                    ),
                ),
            ],
            options={
                "verbose_name": "手机号变更记录",
                "verbose_name_plural": "手机号变更记录",
                "ordering": ["-changed_at", "-id"],
            },
        ),
        migrations.CreateModel(
            name="SmsDevice",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "name",
                    models.CharField(help_text="The human-readable name of this device.", max_length=64),
                ),
                ("confirmed", models.BooleanField(default=True, help_text="Is this device ready for use?")),
                ("token", models.CharField(blank=True, max_length=16, null=True)),
                (
                    "valid_until",
                    models.DateTimeField(
                        default=django.utils.timezone.now,
                        help_text="The timestamp of the moment of expiry of the saved token.",
                    ),
                ),
                (
                    "last_generated_timestamp",
                    models.DateTimeField(
                        blank=True,
                        help_text="The last time a token was generated for this device.",
                        null=True,
                    ),
                ),
                (
                    "purpose",
                    models.CharField(
                        choices=[("registration", "注册"), ("sign_in", "短信登录")],
                        max_length=20,
                        verbose_name="用途",
                    ),
                ),
                ("failures", models.PositiveSmallIntegerField(default=0, verbose_name="本验证码错误次数")),
                (
                    "person",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="accounts.person",
                        verbose_name="参保人",
                    ),
                ),
                (
                    "user",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "verbose_name": "短信验证码设备",
                "verbose_name_plural": "短信验证码设备",
            },
        ),
        migrations.CreateModel(
            name="PendingRegistration",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("public_id", models.UUIDField(default=uuid.uuid4, unique=True)),
                ("password_hash", models.CharField(max_length=256)),
                ("created_at", models.DateTimeField(auto_now=True)),
                (
                    "person",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="pending_registration",
                        to="accounts.person",
                        verbose_name="参保人",
                    ),
                ),
                (
                    "device",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="registration",
                        to="accounts.smsdevice",
                    ),
                ),
            ],
            options={
                "verbose_name": "待确认的注册",
                "verbose_name_plural": "待确认的注册",
            },
        ),
        migrations.AddConstraint(
            model_name="smsdevice",
            constraint=models.UniqueConstraint(
                fields=("person", "purpose"), name="sms_device_one_per_person_purpose"
            ),
        ),
    ]

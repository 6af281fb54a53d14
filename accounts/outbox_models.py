"""The one SMS outbox (issue 19; decision record 0018): every SMS the portal sends is first a row here,
written in the same transaction as the change that causes it, and delivered at least once by a
Celery task after commit, or by the beat's sweep when that task was lost.

A row is either the SMS copy of an in-app message (`message`: the text is its body, the number the
recipient's number on file at delivery) or an explicit SMS (`payload`: encrypted JSON of number,
text and template parameters; the codes of registration and SMS sign-in, and the notice to an old
number after a phone change). `key` is the idempotency key handed to the gateway with every attempt.
`next_attempt_at` is both the retry time and a lease: a deliverer that claims a row moves it a few
minutes ahead, so a deliverer that died is replaced after the lease and no two send it at once."""

import uuid

from django.contrib.postgres.functions import RandomUUID
from django.db import models
from django.db.models import Q
from django.db.models.functions import Now

from portal.core.fields import EncryptedTextField
from portal.core.notify import NOTICE


class SmsResult(models.TextChoices):
    SENT = "sent", "已发送"
    EXPIRED = "expired", "已过期，未发送"
    NO_PHONE = "no_phone", "无登记手机号"
    FAILED = "failed", "多次发送失败，已放弃"


class SmsOutbox(models.Model):
    key = models.UUIDField("幂等键", unique=True, default=uuid.uuid4, db_default=RandomUUID(), editable=False)
    message = models.OneToOneField(
        "accounts.Message", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    payload = EncryptedTextField("内容（加密）", blank=True, default="", db_default="")
    template = models.CharField("模板", max_length=32, default=NOTICE, db_default=NOTICE)
    urgent = models.BooleanField("验证码", default=False, db_default=False)
    created_at = models.DateTimeField("写入时间", db_default=Now())
    next_attempt_at = models.DateTimeField("下次尝试", db_default=Now())
    expires_at = models.DateTimeField("过期时间", null=True, blank=True)
    attempts = models.PositiveSmallIntegerField("尝试次数", default=0, db_default=0)
    done_at = models.DateTimeField("完成时间", null=True, blank=True)
    result = models.CharField(
        "结果", max_length=16, choices=SmsResult.choices, blank=True, default="", db_default=""
    )
    last_error = models.CharField("最近错误", max_length=120, blank=True, default="", db_default="")

    class Meta:
        verbose_name = verbose_name_plural = "短信发件箱"
        constraints = [
            models.CheckConstraint(
                condition=Q(message__isnull=False) | ~Q(payload=""), name="smsoutbox_has_content"
            ),
            models.CheckConstraint(
                condition=(Q(done_at__isnull=True) & Q(result=""))
                | (Q(done_at__isnull=False) & ~Q(result="")),
                name="smsoutbox_done_has_result",
            ),
        ]
        indexes = [
            models.Index(fields=["next_attempt_at"], condition=Q(done_at__isnull=True), name="smsoutbox_due"),
            models.Index(
                fields=["created_at"], condition=Q(done_at__isnull=True), name="smsoutbox_pending_age"
            ),
            models.Index(fields=["done_at"], condition=Q(done_at__isnull=False), name="smsoutbox_done"),
        ]

    def __str__(self) -> str:
        return f"sms {self.pk} ({self.result or 'pending'})"

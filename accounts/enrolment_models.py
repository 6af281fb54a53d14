"""Possession of the phone on file (DESIGN.md section 3; decision record 0015).

`SmsDevice` is a django-otp side-channel device that sends a one-time code to a person's number on
file: 5 minutes valid, 5 attempts, one new code a minute. A registration's device has no login yet
(`user` is null until the code is confirmed) and stays unconfirmed. An SMS sign-in device (decision
record 0017) is the same model with a user, `purpose` sign_in and confirmed=True (django-otp's
middleware keeps a session verified only by a confirmed device of its user). Neither is ever offered
to django-otp's generic `match_token`: only the flow that sent a code checks it (`registration_confirm`,
`accounts.sms_sign_in.sign_in_code_match`), under its row lock and with its own rules.

`PendingRegistration` holds what a registration asked for until its SMS code is confirmed: the
password only as a hash, and a public id that changes whenever the registration is started again,
so a code sent for one start cannot finish another. `PhoneChange` is the audit row of a bureau
officer's change of the number on file."""

import datetime as dt
import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django_otp.models import CooldownMixin, DeviceManager, SideChannelDevice

SMS_CODE_VALID_SECONDS = 300
SMS_CODE_MAX_ATTEMPTS = 5
SMS_CODE_COOLDOWN_SECONDS = 60


class SmsPurpose(models.TextChoices):
    REGISTRATION = "registration", "注册"
    SIGN_IN = "sign_in", "短信登录"


class SmsDeviceManager(DeviceManager):
    def devices_for_user(self, user: Any, confirmed: bool | None = None) -> "models.QuerySet[SmsDevice]":
        """None: `match_token` would try a code without the region's switch and count an SMS code
        among the factors a resident holds, which the bureau may take away (decision record 0017)."""
        return self.none()


class SmsDevice(CooldownMixin, SideChannelDevice):
    objects = SmsDeviceManager()

    # Overrides Device.user: a registration's device exists before its login does.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    person = models.ForeignKey(
        "accounts.Person", on_delete=models.CASCADE, related_name="+", verbose_name="参保人"
    )
    purpose = models.CharField("用途", max_length=20, choices=SmsPurpose.choices)
    failures = models.PositiveSmallIntegerField("本验证码错误次数", default=0)

    class Meta:
        verbose_name = verbose_name_plural = "短信验证码设备"
        constraints = [
            models.UniqueConstraint(fields=["person", "purpose"], name="sms_device_one_per_person_purpose")
        ]

    def get_cooldown_duration(self) -> int:
        return SMS_CODE_COOLDOWN_SECONDS

    def new_code(self) -> str:
        """A fresh code (the old one dies), valid 5 minutes, with a fresh count of attempts."""
        self.generate_token(length=6, valid_secs=SMS_CODE_VALID_SECONDS, commit=False)
        self.failures = 0
        self.cooldown_set(commit=False)
        self.save()
        return str(self.token)  # type: ignore[has-type]

    @property
    def code_live(self) -> bool:
        token: str | None = self.token  # type: ignore[has-type]  # django-otp has no type hints
        valid_until: dt.datetime = self.valid_until  # type: ignore[has-type]
        return token is not None and timezone.now() < valid_until and self.failures < SMS_CODE_MAX_ATTEMPTS

    def verify_token(self, token: Any) -> bool:
        """True once for the right live code. A wrong code counts; the fifth wrong one kills the code.
        The caller holds the row lock and commits the count even when it answers with an error."""
        if not self.code_live:
            return False
        if constant_time_compare(str(token or "").strip(), str(self.token)):  # type: ignore[has-type]
            self.token, self.valid_until, self.failures = None, timezone.now(), 0
            self.cooldown_reset(commit=False)
            self.save()
            return True
        self.failures += 1
        if self.failures >= SMS_CODE_MAX_ATTEMPTS:
            self.token = None
        self.save()
        return False


class PendingRegistration(models.Model):
    """A registration waiting for its SMS code. One per person; starting again replaces it."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True)
    person = models.OneToOneField(
        "accounts.Person",
        on_delete=models.CASCADE,
        related_name="pending_registration",
        verbose_name="参保人",
    )
    password_hash = models.CharField(max_length=256)
    device = models.OneToOneField(SmsDevice, on_delete=models.CASCADE, related_name="registration")
    created_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = verbose_name_plural = "待确认的注册"

    def __str__(self) -> str:
        return str(self.public_id)


class PhoneChange(models.Model):
    """Who changed a person's number on file, when and why; the numbers only masked."""

    person = models.ForeignKey(
        "accounts.Person", on_delete=models.PROTECT, related_name="phone_changes", verbose_name="参保人"
    )
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="经办人"
    )
    old_phone_masked = models.CharField("原手机号", max_length=20, blank=True, default="")
    new_phone_masked = models.CharField("新手机号", max_length=20)
    reason = models.CharField("变更原因", max_length=200)
    changed_at = models.DateTimeField("时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "手机号变更记录"
        ordering = ["-changed_at", "-id"]

    def __str__(self) -> str:
        return f"{self.person} {self.old_phone_masked} → {self.new_phone_masked}"

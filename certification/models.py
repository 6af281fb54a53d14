"""Pension qualification certification (DESIGN.md section 9): certification records from every
channel, the pension payment status with its suspensions and back pay, the reminders sent, the
callback nonces seen, certification sessions an agent starts for a principal, and home visits.

The cycle itself is not stored: it is computed from Person.last_certified_on (certification.cycles)."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q


class Channel(models.TextChoices):
    ALIPAY = "alipay", "支付宝"
    WECHAT = "wechat", "微信"
    APP = "app", "掌上12333等手机应用"
    MINI_PROGRAM = "mini_program", "小程序"
    BUREAU = "bureau", "社保经办窗口"
    COMMUNITY = "community", "社区服务中心"
    HOME_VISIT = "home_visit", "上门认证"


class Method(models.TextChoices):
    FACE_BLINK = "face_blink", "人脸识别（眨眼）"
    FACE_DIGITS = "face_digits", "人脸识别（读数字）"
    IN_PERSON = "in_person", "本人到场核验证件"


class Result(models.TextChoices):
    PASS = "pass", "通过"
    FAIL = "fail", "未通过"


class Certification(models.Model):
    """One certification attempt's result, from a channel callback or recorded by staff."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    person = models.ForeignKey(
        "accounts.Person", on_delete=models.PROTECT, related_name="certifications", verbose_name="领取人"
    )
    channel = models.CharField("渠道", max_length=16, choices=Channel.choices)
    method = models.CharField("方式", max_length=12, choices=Method.choices)
    result = models.CharField("结果", max_length=4, choices=Result.choices)
    reference = models.CharField("渠道流水号", max_length=64, blank=True, default="")
    certified_at = models.DateTimeField("认证时间")
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="经办人员",
    )
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="代为发起的亲属",
    )
    delegation = models.ForeignKey(
        "accounts.Delegation",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="亲情服务授权",
    )
    documents_seen = models.CharField("查验的证件", max_length=200, blank=True, default="")
    back_pay_months = models.PositiveSmallIntegerField("补发月数", null=True, blank=True)
    created_at = models.DateTimeField("记录时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "资格认证记录"
        ordering = ["-certified_at", "-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "reference"],
                condition=~Q(reference=""),
                name="certification_reference_unique",
            ),
            models.CheckConstraint(
                condition=Q(channel__in=[c.value for c in Channel]), name="certification_channel_valid"
            ),
            models.CheckConstraint(
                condition=Q(method__in=[m.value for m in Method]), name="certification_method_valid"
            ),
            models.CheckConstraint(
                condition=Q(result__in=["pass", "fail"]), name="certification_result_valid"
            ),
            models.CheckConstraint(
                condition=Q(channel__in=["bureau", "community", "home_visit"]) | ~Q(reference=""),
                name="certification_online_has_reference",
            ),
        ]
        indexes = [models.Index(fields=["person", "-certified_at"], name="certification_person_time")]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} {self.get_result_display()} {self.certified_at:%Y-%m-%d}"


class PaymentStatus(models.TextChoices):
    PAYING = "paying", "正常发放"
    SUSPENDED = "suspended", "暂停发放"


class PensionPayment(models.Model):
    """A pensioner's payment status. No row means paying (nothing ever suspended it)."""

    person = models.OneToOneField(
        "accounts.Person", on_delete=models.PROTECT, related_name="pension_payment", verbose_name="领取人"
    )
    status = models.CharField("发放状态", max_length=10, choices=PaymentStatus.choices)
    suspended_on = models.DateField("暂停发放日期", null=True, blank=True)
    resumed_on = models.DateField("恢复发放日期", null=True, blank=True)
    back_pay_months = models.PositiveSmallIntegerField("最近一次补发月数", default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = verbose_name_plural = "养老金发放状态"
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["paying", "suspended"]), name="pension_status_valid"
            ),
            models.CheckConstraint(
                condition=~Q(status="suspended") | Q(suspended_on__isnull=False),
                name="pension_suspended_has_date",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person} {self.get_status_display()}"


class PaymentEventKind(models.TextChoices):
    SUSPENDED = "suspended", "暂停发放"
    RESUMED = "resumed", "恢复发放"


class PaymentEvent(models.Model):
    """Every suspension and resumption, with the months paid back on resumption."""

    person = models.ForeignKey("accounts.Person", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField("事项", max_length=10, choices=PaymentEventKind.choices)
    on = models.DateField("日期")
    back_pay_months = models.PositiveSmallIntegerField("补发月数", null=True, blank=True)
    certification = models.ForeignKey(Certification, null=True, blank=True, on_delete=models.PROTECT)
    at = models.DateTimeField("记录时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "养老金发放变动"
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["person", "-at"], name="payment_event_person_time")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.on}"


class Reminder(models.Model):
    """A reminder sent for one cycle at one threshold (30 or 7 days before its end): once, ever."""

    person = models.ForeignKey("accounts.Person", on_delete=models.PROTECT, related_name="+")
    cycle_end = models.DateField("认证周期结束日")
    threshold = models.PositiveSmallIntegerField("提前天数")
    sent_on = models.DateField("发送日期")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "认证提醒"
        constraints = [
            models.UniqueConstraint(fields=["person", "cycle_end", "threshold"], name="reminder_once"),
            models.CheckConstraint(condition=Q(threshold__in=[30, 7]), name="reminder_threshold_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.cycle_end} −{self.threshold}"


class ChannelNonce(models.Model):
    """Every callback nonce accepted; a second callback with the same one is a replay (409)."""

    channel = models.CharField(max_length=32)
    nonce = models.CharField(max_length=64)
    received_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = verbose_name_plural = "回调随机数"
        constraints = [models.UniqueConstraint(fields=["channel", "nonce"], name="channel_nonce_unique")]

    def __str__(self) -> str:
        return f"{self.channel}:{self.nonce}"


class SessionStatus(models.TextChoices):
    PENDING = "pending", "等待本人刷脸"
    CERTIFIED = "certified", "已认证"
    FAILED = "failed", "未通过"


class CertificationSession(models.Model):
    """A certification started for the pensioner (by an agent under a `certify` delegation). The face
    check stays the pensioner's: the session is completed by the channel's callback for them."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    person = models.ForeignKey("accounts.Person", on_delete=models.PROTECT, related_name="+")
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    delegation = models.ForeignKey("accounts.Delegation", null=True, blank=True, on_delete=models.PROTECT)
    status = models.CharField("状态", max_length=10, choices=SessionStatus.choices, default="pending")
    certification = models.ForeignKey(Certification, null=True, blank=True, on_delete=models.PROTECT)
    created_at = models.DateTimeField("发起时间", auto_now_add=True)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "代为发起的认证"
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["person"], condition=Q(status="pending"), name="certification_session_one_pending"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person} {self.get_status_display()}"


class HomeVisitReason(models.TextChoices):
    MOBILITY = "mobility", "行动不便"
    HOSPITAL = "hospital", "长期住院"
    ELSEWHERE = "elsewhere", "异地居住"


class HomeVisitStatus(models.TextChoices):
    REQUESTED = "requested", "已申请"
    SCHEDULED = "scheduled", "已安排上门"
    CERTIFIED = "certified", "已认证"
    FAILED = "failed", "上门未能认证"
    CANCELLED = "cancelled", "已取消"


OPEN_VISIT = ["requested", "scheduled"]


class HomeVisit(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    person = models.ForeignKey(
        "accounts.Person", on_delete=models.PROTECT, related_name="home_visits", verbose_name="领取人"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="申请人"
    )
    delegation = models.ForeignKey(
        "accounts.Delegation",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="代办依据的亲情服务授权",
    )
    reason = models.CharField("原因", max_length=10, choices=HomeVisitReason.choices)
    address = models.CharField("上门地址", max_length=200)
    note = models.CharField("补充说明", max_length=500, blank=True, default="")
    status = models.CharField("状态", max_length=10, choices=HomeVisitStatus.choices, default="requested")
    scheduled_on = models.DateField("上门日期", null=True, blank=True)
    visit_staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="上门人员",
    )
    outcome_note = models.CharField("上门结果说明", max_length=500, blank=True, default="")
    certification = models.OneToOneField(
        Certification, null=True, blank=True, on_delete=models.PROTECT, related_name="home_visit"
    )
    created_at = models.DateTimeField("申请时间", auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = verbose_name_plural = "上门认证"
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["person"], condition=Q(status__in=OPEN_VISIT), name="home_visit_one_open"
            ),
            models.CheckConstraint(
                condition=Q(status__in=[s.value for s in HomeVisitStatus]), name="home_visit_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(reason__in=[r.value for r in HomeVisitReason]), name="home_visit_reason_valid"
            ),
            models.CheckConstraint(
                condition=Q(status__in=["requested", "cancelled"])
                | Q(scheduled_on__isnull=False, visit_staff__isnull=False),
                name="home_visit_scheduled_has_date_and_staff",
            ),
            models.CheckConstraint(
                condition=~Q(visit_staff=F("requested_by")) | Q(visit_staff__isnull=True),
                name="home_visit_staff_not_requester",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person} {self.get_reason_display()} {self.get_status_display()}"


class HomeVisitDocument(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    visit = models.ForeignKey(HomeVisit, on_delete=models.CASCADE, related_name="documents")
    file = models.FileField("文件", upload_to="home_visits/%Y/%m/")
    content_type = models.CharField("文件类型", max_length=40)
    size = models.PositiveIntegerField("大小（字节）")
    uploaded_at = models.DateTimeField("上传时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "上门认证材料"
        constraints = [
            models.CheckConstraint(condition=Q(size__lte=5 * 1024 * 1024), name="home_visit_document_size"),
        ]

    def __str__(self) -> str:
        return self.content_type


class HomeVisitEvent(models.Model):
    visit = models.ForeignKey(HomeVisit, on_delete=models.CASCADE, related_name="events")
    from_status = models.CharField("原状态", max_length=10, blank=True, default="")
    to_status = models.CharField("新状态", max_length=10)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField("时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "上门认证办理记录"
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.from_status or '∅'} → {self.to_status}"

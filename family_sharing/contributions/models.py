"""Contributions (申报 and 缴费 per employer, person and period), the status changes the arrears sweep
records, and employer arrears cases (社会保险法 第63条).

`Contribution` is a PostgreSQL table partitioned by RANGE (period), one partition per month,
created by `partitions.contribution_partitions_ensure` (decision record 0008); its primary key in the
database is (id, period), because a partitioned table's keys must include the partition column.
Django only ever looks rows up by the unique (employer, person, period) or by person."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from accounts.models import Employer, Person, PoolingRegion


class Contribution(models.Model):
    """One declared period of one employee by one employer: what is due, what was paid, by when."""

    id = models.BigAutoField(primary_key=True)
    employer = models.ForeignKey(
        Employer, on_delete=models.PROTECT, related_name="+", db_index=False, verbose_name="用人单位"
    )
    person = models.ForeignKey(
        Person, on_delete=models.PROTECT, related_name="contributions", db_index=False, verbose_name="参保人"
    )
    period = models.DateField("费款所属期")  # the first day of the month
    due_fen = models.BigIntegerField("应缴金额（分）")
    paid_fen = models.BigIntegerField("实缴金额（分）")
    due_date = models.DateField("缴费截止日期")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = verbose_name_plural = "缴费记录"
        ordering = ["person", "period"]
        constraints = [
            models.UniqueConstraint(fields=["employer", "person", "period"], name="contribution_unique"),
            models.CheckConstraint(condition=Q(due_fen__gte=0), name="contribution_due_non_negative"),
            models.CheckConstraint(condition=Q(paid_fen__gte=0), name="contribution_paid_non_negative"),
            models.CheckConstraint(
                condition=Q(paid_fen__lte=F("due_fen")), name="contribution_paid_not_above_due"
            ),
            models.CheckConstraint(condition=Q(period__day=1), name="contribution_period_first_day"),
        ]
        indexes = [
            models.Index(fields=["person", "period"], name="contribution_person_period"),
            models.Index(
                fields=["person", "period"],
                condition=Q(paid_fen__lt=F("due_fen")),
                name="contribution_unpaid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.period:%Y-%m} {self.paid_fen}/{self.due_fen}"

    @property
    def unpaid_fen(self) -> int:
        return self.due_fen - self.paid_fen


class StatusReason(models.TextChoices):
    UNPAID_PERIODS = "unpaid_periods", "有逾期未缴足的费款所属期"
    PERIODS_UNDECLARED = "periods_undeclared", "最近连续3个月没有申报缴费"
    PENSIONER = "pensioner", "退休人员，缴费年限已满，不再缴费"
    IN_ORDER = "contributions_in_order", "已申报并按时缴足"


class StatusChange(models.Model):
    """One change of a person's insurance status made by the arrears sweep, with its cause: the
    unpaid periods (arrears), the three undeclared periods (interruption), or why it is normal."""

    person = models.ForeignKey(
        Person, on_delete=models.PROTECT, related_name="status_changes", verbose_name="参保人"
    )
    from_status = models.CharField("原状态", max_length=12)
    to_status = models.CharField("新状态", max_length=12)
    reason = models.CharField("原因", max_length=24, choices=StatusReason.choices)
    cause_periods = models.JSONField("涉及的费款所属期", default=list, blank=True)  # ["2026-08", ...]
    as_of = models.DateField("判定日期")
    created_at = models.DateTimeField("时间", auto_now_add=True)
    notified_at = models.DateTimeField("通知时间", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "参保状态变更"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(to_status__in=["normal", "arrears", "interrupted", "terminated"]),
                name="status_change_to_valid",
            ),
            models.CheckConstraint(condition=~Q(from_status=F("to_status")), name="status_change_is_change"),
        ]
        indexes = [
            models.Index(fields=["person", "-created_at"], name="status_change_person_time"),
            models.Index(
                fields=["id"], condition=Q(notified_at__isnull=True), name="status_change_unnotified"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.from_status} → {self.to_status}"


class CaseStatus(models.TextChoices):
    """The steps of 社会保险法 第63条, in order; `closed` when the arrears are paid."""

    OPENED = "opened", "立案"
    ORDERED = "ordered", "责令限期缴纳"
    BANK_INQUIRY = "bank_inquiry", "查询存款账户"
    TRANSFER_ORDERED = "transfer_ordered", "通知银行划拨"
    GUARANTEE = "guarantee", "提供担保、签订延期缴费协议"
    COURT_APPLICATION = "court_application", "申请人民法院扣押、查封、拍卖财产"
    CLOSED = "closed", "已缴清结案"


class ArrearsCase(models.Model):
    """An employer's arrears in one pooling region, pursued by that region's bureau."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    employer = models.ForeignKey(
        Employer, on_delete=models.PROTECT, related_name="arrears_cases", verbose_name="用人单位"
    )
    region = models.ForeignKey(
        PoolingRegion, on_delete=models.PROTECT, related_name="+", verbose_name="统筹区"
    )
    status = models.CharField(
        "所处环节", max_length=20, choices=CaseStatus.choices, default=CaseStatus.OPENED
    )
    opened_on = models.DateField("立案日期")
    deadline = models.DateField("限期缴纳期限", null=True, blank=True)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="立案人"
    )
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    closed_on = models.DateField("结案日期", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "用人单位欠费案件"
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["employer", "region"], condition=~Q(status="closed"), name="arrears_case_one_open"
            ),
            models.CheckConstraint(
                condition=Q(status__in=[s.value for s in CaseStatus]), name="arrears_case_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(status="closed", closed_on__isnull=False)
                | (~Q(status="closed") & Q(closed_on__isnull=True)),
                name="arrears_case_closed_on",
            ),
        ]
        indexes = [models.Index(fields=["region", "status"], name="arrears_case_region_status")]

    def __str__(self) -> str:
        return f"{self.employer.name} {self.opened_on:%Y-%m-%d}（{self.get_status_display()}）"


class ArrearsCaseItem(models.Model):
    """One unpaid declared period of the case: the amount unpaid when the case opened, and the day
    the sweep or an import saw it paid in full (the late fee runs up to that day)."""

    case = models.ForeignKey(ArrearsCase, on_delete=models.CASCADE, related_name="items")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+", verbose_name="参保人")
    period = models.DateField("费款所属期")
    due_date = models.DateField("缴费截止日期")
    unpaid_fen = models.BigIntegerField("欠缴金额（分）")
    settled_on = models.DateField("缴清日期", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "欠费明细"
        ordering = ["period", "person"]
        constraints = [
            models.UniqueConstraint(fields=["case", "person", "period"], name="arrears_item_unique"),
            models.CheckConstraint(condition=Q(unpaid_fen__gt=0), name="arrears_item_unpaid_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.period:%Y-%m} {self.unpaid_fen}"


class ArrearsCaseStep(models.Model):
    """A dated step of the case, by whom (None: the system closing a paid case), with its document."""

    case = models.ForeignKey(ArrearsCase, on_delete=models.CASCADE, related_name="steps")
    kind = models.CharField("环节", max_length=20, choices=CaseStatus.choices)
    done_on = models.DateField("办理日期")
    deadline = models.DateField("缴纳期限", null=True, blank=True)
    note = models.CharField("说明", max_length=500, blank=True, default="")
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="经办人",
    )
    document = models.FileField("文书", upload_to="arrears_cases/%Y/%m/", blank=True, default="")
    document_type = models.CharField("文书类型", max_length=40, blank=True, default="")
    created_at = models.DateTimeField("记录时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "案件办理记录"
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=[s.value for s in CaseStatus]), name="arrears_step_kind_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.done_on:%Y-%m-%d}"

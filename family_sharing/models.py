"""Kinship registry, policy versions and bindings (DESIGN.md sections 4 to 6)."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from accounts.models import Person, PoolingRegion, RelationCode


class EdgeKind(models.TextChoices):
    SPOUSE = "spouse", "配偶"
    PARENT = "parent", "父母子女"


class ParentKind(models.TextChoices):
    BIRTH = "birth", "生父母"
    ADOPTIVE = "adoptive", "养父母"
    STEP_SUPPORTED = "step_supported", "有扶养关系的继父母"
    STEP = "step", "继父母（无扶养关系）"


class KinshipEdge(models.Model):
    """One civil-registry fact. spouse(a, b, valid_from, valid_to) with a.pk < b.pk; parent(a = parent,
    b = child, parent_kind). Every near relation is derived from these two kinds of edge."""

    kind = models.CharField("类型", max_length=6, choices=EdgeKind.choices)
    a = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+", verbose_name="甲方（父母）")
    b = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+", verbose_name="乙方（子女）")
    parent_kind = models.CharField(
        "亲子关系类型", max_length=16, choices=ParentKind.choices, blank=True, default=""
    )
    valid_from = models.DateField("起始日期", null=True, blank=True)
    valid_to = models.DateField("终止日期", null=True, blank=True)
    source = models.CharField("来源", max_length=40, blank=True, default="import")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = verbose_name_plural = "亲属关系登记"
        constraints = [
            models.CheckConstraint(condition=~Q(a=F("b")), name="edge_not_self"),
            models.CheckConstraint(
                condition=Q(kind="parent", parent_kind__in=["birth", "adoptive", "step_supported", "step"])
                | Q(kind="spouse", parent_kind=""),
                name="edge_parent_kind_valid",
            ),
            models.CheckConstraint(condition=~Q(kind="spouse") | Q(a__lt=F("b")), name="edge_spouse_ordered"),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True)
                | Q(valid_from__isnull=True)
                | Q(valid_to__gte=F("valid_from")),
                name="edge_dates_ordered",
            ),
            models.UniqueConstraint(fields=["a", "b"], condition=Q(kind="parent"), name="edge_parent_unique"),
            models.UniqueConstraint(
                fields=["a", "b", "valid_from"],
                condition=Q(kind="spouse"),
                name="edge_spouse_unique",
                nulls_distinct=False,
            ),
        ]
        indexes = [
            models.Index(fields=["a", "kind"], name="edge_a_kind"),
            models.Index(fields=["b", "kind"], name="edge_b_kind"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.a} — {self.b}"


class PolicyScope(models.TextChoices):
    SELF_ONLY = "self_only", "仅本人使用"
    CORE_FAMILY = "core_family", "配偶、父母、子女"
    NEAR_RELATIVES = "near_relatives", "近亲属（民法典第1045条）"


class PolicyVersion(models.Model):
    """Which relations a pooling region lets a sharer pay for, from a date. The version with the latest
    effective date on or before the as-of date applies; none means self_only."""

    region = models.ForeignKey(
        PoolingRegion, on_delete=models.PROTECT, related_name="policies", verbose_name="统筹区"
    )
    scope = models.CharField("共济范围", max_length=16, choices=PolicyScope.choices)
    effective_from = models.DateField("生效日期")
    note = models.CharField("依据", max_length=200, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "共济政策版本"
        ordering = ["region", "-effective_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["region", "effective_from"], name="policy_one_per_region_and_date"
            ),
            models.CheckConstraint(
                condition=Q(scope__in=["self_only", "core_family", "near_relatives"]),
                name="policy_scope_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.region} {self.effective_from} {self.get_scope_display()}"


class BindingStatus(models.TextChoices):
    PENDING_CONSENT = "pending_consent", "等待亲属同意"
    PENDING_VERIFICATION = "pending_verification", "等待核验亲属关系"
    NEEDS_EVIDENCE = "needs_evidence", "需要补充证明材料"
    ACTIVE = "active", "已生效"
    SUSPENDED = "suspended", "已暂停"
    REJECTED = "rejected", "未通过"
    REVOKED = "revoked", "已解除"
    ENDED = "ended", "已终止"


LIVE_STATUSES = ["pending_consent", "pending_verification", "needs_evidence", "active", "suspended"]


class Channel(models.TextChoices):
    WEB = "web", "网上办理"
    APP = "app", "手机应用"
    BUREAU = "bureau", "医保经办窗口"
    HOSPITAL = "hospital", "医院医保办"
    SYSTEM = "system", "系统"


class Binding(models.Model):
    """共济绑定: the sharer's personal account may pay for the beneficiary."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    sharer = models.ForeignKey(
        Person, on_delete=models.PROTECT, related_name="bindings_as_sharer", verbose_name="共济人"
    )
    beneficiary = models.ForeignKey(
        Person, on_delete=models.PROTECT, related_name="bindings_as_beneficiary", verbose_name="被共济人"
    )
    relation_code = models.ForeignKey(
        RelationCode, on_delete=models.PROTECT, related_name="+", verbose_name="申报关系"
    )
    derived_relation_code = models.CharField("登记核验关系", max_length=2, blank=True, default="")
    status = models.CharField("状态", max_length=24, choices=BindingStatus.choices)
    channel = models.CharField("渠道", max_length=10, choices=Channel.choices)
    monthly_limit_fen = models.BigIntegerField("每月限额（分）", null=True, blank=True)
    reasons = models.JSONField("原因", default=list, blank=True)
    guardian_consent = models.BooleanField("监护人同意", default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField("申请时间", auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    activated_at = models.DateTimeField("生效时间", null=True, blank=True)
    ended_at = models.DateTimeField("结束时间", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "共济绑定"
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["sharer", "beneficiary"],
                condition=Q(status__in=LIVE_STATUSES),
                name="binding_one_live_per_pair",
            ),
            models.CheckConstraint(condition=~Q(sharer=F("beneficiary")), name="binding_not_self"),
            models.CheckConstraint(
                condition=Q(status__in=[s.value for s in BindingStatus]), name="binding_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(monthly_limit_fen__isnull=True) | Q(monthly_limit_fen__gte=0),
                name="binding_limit_non_negative",
            ),
        ]
        indexes = [
            models.Index(fields=["sharer", "status"], name="binding_sharer_status"),
            models.Index(fields=["beneficiary", "status"], name="binding_beneficiary_status"),
            models.Index(fields=["status", "created_at"], name="binding_status_created"),
        ]

    def __str__(self) -> str:
        return f"{self.sharer} → {self.beneficiary}（{self.get_status_display()}）"


class BindingEvent(models.Model):
    """Every transition of a binding: who, when, through which channel, why."""

    binding = models.ForeignKey(Binding, on_delete=models.CASCADE, related_name="events")
    from_status = models.CharField("原状态", max_length=24, blank=True, default="")
    to_status = models.CharField("新状态", max_length=24)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="操作人",
    )
    channel = models.CharField("渠道", max_length=10, choices=Channel.choices)
    reasons = models.JSONField("原因", default=list, blank=True)
    at = models.DateTimeField("时间", auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = verbose_name_plural = "绑定办理记录"
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.from_status or '∅'} → {self.to_status}"


class EvidenceReview(models.TextChoices):
    PENDING = "pending", "待审核"
    APPROVED = "approved", "已通过"
    REJECTED = "rejected", "未通过"


class Evidence(models.Model):
    """户口本 / 结婚证 / 出生医学证明 uploaded for a binding the registry could not confirm."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    binding = models.ForeignKey(Binding, on_delete=models.PROTECT, related_name="evidence")
    file = models.FileField("文件", upload_to="evidence/%Y/%m/")
    content_type = models.CharField("文件类型", max_length=40)
    size = models.PositiveIntegerField("大小（字节）")
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField("上传时间", auto_now_add=True)
    review = models.CharField("审核", max_length=10, choices=EvidenceReview.choices, default="pending")
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_at = models.DateTimeField("审核时间", null=True, blank=True)
    review_note = models.CharField("审核意见", max_length=200, blank=True, default="")

    class Meta:
        verbose_name = verbose_name_plural = "证明材料"
        ordering = ["-uploaded_at"]
        constraints = [
            models.CheckConstraint(condition=Q(size__lte=5 * 1024 * 1024), name="evidence_size_limit"),
        ]

    def __str__(self) -> str:
        return f"{self.binding} {self.get_review_display()}"


# Contributions (with the arrears sweep's status changes and employer arrears cases) and settlement
# live in their own subpackages (DESIGN.md section 11); importing them here is how Django finds them.
from family_sharing.contributions.models import (  # noqa: E402, F401
    ArrearsCase,
    ArrearsCaseItem,
    ArrearsCaseStep,
    CaseStatus,
    Contribution,
    StatusChange,
    StatusReason,
)
from family_sharing.reconsent.models import ReconsentAnswer, ReconsentRequest  # noqa: E402, F401
from family_sharing.settlement.models import Reversal, Settlement  # noqa: E402, F401
from family_sharing.suggestions.models import SuggestionListing  # noqa: E402, F401

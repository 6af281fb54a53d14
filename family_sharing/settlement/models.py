"""A family settlement debits the sharer's personal account for a relative's self-paid cost under an
active binding; a reversal credits exactly one settlement back, once."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

from accounts.models import AccountEntry, Institution
from family_sharing.models import Binding

# Above this a request is malformed, not a settlement (API.md: "absurdly large" is a 400).
AMOUNT_MAX_FEN = 100_000_000  # 1,000,000.00 yuan


class Category(models.TextChoices):
    MEDICAL_SELF_PAY = "medical_self_pay", "定点医疗机构自付医疗费用"
    PHARMACY = "pharmacy", "定点零售药店药品、医疗器械、医用耗材"
    RESIDENT_CONTRIBUTION = "resident_contribution", "亲属城乡居民医保个人缴费"


class Settlement(models.Model):
    """共济支付. `scope` is the counter that settled ("institution:<code>" or "bureau:<region code>"):
    idempotency keys are unique per scope, and only that scope sees or reverses the settlement."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    binding = models.ForeignKey(
        Binding, on_delete=models.PROTECT, related_name="settlements", verbose_name="共济绑定", db_index=False
    )
    institution = models.ForeignKey(
        Institution,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="settlements",
        verbose_name="定点机构",
        db_index=False,
        # No database foreign key on the two rows every settlement of a counter shares (the
        # institution, the staff login): its KEY SHARE lock serialises concurrent settlements
        # (decision record 0012). Both are PROTECTed and never deleted.
        db_constraint=False,
    )
    scope = models.CharField("办理方", max_length=40)
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="经办人",
        db_index=False,
        db_constraint=False,
    )
    category = models.CharField("类别", max_length=24, choices=Category.choices)
    amount_fen = models.BigIntegerField("金额（分）")
    description = models.CharField("摘要", max_length=200, blank=True, default="")
    idempotency_key = models.CharField("幂等键", max_length=64)
    request_hash = models.CharField("请求内容散列", max_length=64)
    entry = models.OneToOneField(
        AccountEntry, on_delete=models.PROTECT, related_name="settlement", verbose_name="账户流水"
    )
    created_at = models.DateTimeField("时间")

    class Meta:
        verbose_name = verbose_name_plural = "共济支付"
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["scope", "idempotency_key"], name="settlement_idempotency_unique"
            ),
            models.CheckConstraint(
                condition=Q(amount_fen__gt=0) & Q(amount_fen__lte=AMOUNT_MAX_FEN),
                name="settlement_amount_in_range",
            ),
            models.CheckConstraint(
                condition=Q(category__in=[c.value for c in Category]), name="settlement_category_valid"
            ),
            models.CheckConstraint(
                condition=Q(request_hash__regex=r"^[0-9a-f]{64}$"), name="settlement_hash_shape"
            ),
        ]
        # Only the indexes the hot path and the pages use: every one is an insertion per settlement.
        indexes = [
            # The monthly cap sums a binding's settlements of the month under the account's lock.
            models.Index(fields=["binding", "created_at"], name="settlement_binding_time"),
            models.Index(fields=["scope", "-created_at"], name="settlement_scope_time"),
        ]

    def __str__(self) -> str:
        return f"共济支付 {self.pk}"


class Reversal(models.Model):
    """冲正: credits one settlement back to the sharer's account; at most one per settlement."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    settlement = models.OneToOneField(
        Settlement, on_delete=models.PROTECT, related_name="reversal", verbose_name="共济支付"
    )
    reason = models.CharField("冲正原因", max_length=200)
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="经办人"
    )
    entry = models.OneToOneField(
        AccountEntry, on_delete=models.PROTECT, related_name="reversal", verbose_name="账户流水"
    )
    created_at = models.DateTimeField("时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "冲正记录"
        ordering = ["-created_at"]
        constraints = [models.CheckConstraint(condition=~Q(reason=""), name="reversal_reason_given")]

    def __str__(self) -> str:
        return f"冲正 {self.settlement_id}"

"""A change request and the record of each act on it (submitted, approved, rejected)."""

import json
import uuid
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from accounts.models import PoolingRegion
from portal.core.fields import EncryptedTextField


class ChangeStatus(models.TextChoices):
    PENDING = "pending", _("待复核")
    APPROVED = "approved", _("已复核生效")
    REJECTED = "rejected", _("已驳回")


class ChangeRequest(models.Model):
    """One staff change waiting for, or decided by, a second officer. `before` and `after` hold the
    changed fields (identity numbers and phones among them) as JSON encrypted at rest; the admin
    shows them masked."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(_("变更类型"), max_length=40)
    region = models.ForeignKey(PoolingRegion, on_delete=models.PROTECT, verbose_name=_("统筹区"))
    target_key = models.CharField(_("变更对象"), max_length=80)
    target_label = models.CharField(_("对象（脱敏）"), max_length=200)
    before_json = EncryptedTextField(_("变更前（加密）"))
    after_json = EncryptedTextField(_("变更后（加密）"))
    reason = models.CharField(_("变更原因"), max_length=200)
    maker = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("提交人")
    )
    created_at = models.DateTimeField(_("提交时间"), auto_now_add=True)
    status = models.CharField(
        _("状态"), max_length=10, choices=ChangeStatus.choices, default=ChangeStatus.PENDING
    )
    checker = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("复核人"),
    )
    decided_at = models.DateTimeField(_("复核时间"), null=True, blank=True)
    decision_note = models.CharField(_("复核意见"), max_length=200, blank=True, default="")

    class Meta:
        verbose_name = verbose_name_plural = _("变更申请（四眼复核）")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(checker__isnull=True) | ~Q(checker=F("maker")), name="change_checker_not_maker"
            ),
            models.CheckConstraint(
                condition=Q(status="pending", checker__isnull=True, decided_at__isnull=True)
                | Q(status__in=["approved", "rejected"], checker__isnull=False, decided_at__isnull=False),
                name="change_decided_iff_checker",
            ),
            models.UniqueConstraint(
                fields=["kind", "target_key"], condition=Q(status="pending"), name="change_one_pending"
            ),
        ]
        indexes = [models.Index(fields=["region", "status"], name="change_region_status")]

    def __str__(self) -> str:
        return f"{self.kind_label} {self.target_label}"

    @property
    def kind_label(self) -> str:
        from accounts.change_requests.registry import change_kind_or_none

        found = change_kind_or_none(self.kind)
        return str(found.label) if found else self.kind

    @property
    def before(self) -> dict[str, Any]:
        return json.loads(self.before_json) if self.before_json else {}

    @before.setter
    def before(self, value: dict[str, Any]) -> None:
        self.before_json = json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False, sort_keys=True)

    @property
    def after(self) -> dict[str, Any]:
        return json.loads(self.after_json) if self.after_json else {}

    @after.setter
    def after(self, value: dict[str, Any]) -> None:
        self.after_json = json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False, sort_keys=True)


class ChangeVerb(models.TextChoices):
    SUBMITTED = "submitted", _("提交")
    APPROVED = "approved", _("复核通过")
    REJECTED = "rejected", _("驳回")


class ChangeRequestEvent(models.Model):
    """Each act on a change request, written in the act's transaction: who, what, when, why."""

    request = models.ForeignKey(ChangeRequest, on_delete=models.PROTECT, related_name="events")
    verb = models.CharField(_("操作"), max_length=10, choices=ChangeVerb.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("经办人")
    )
    at = models.DateTimeField(_("时间"), auto_now_add=True)
    note = models.CharField(_("说明"), max_length=200, blank=True, default="")

    class Meta:
        verbose_name = verbose_name_plural = _("变更申请记录")
        ordering = ["at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(verb__in=["submitted", "approved", "rejected"]), name="change_event_verb_valid"
            ),
        ]

    def __str__(self) -> str:
        return str(self.get_verb_display())

"""Delegations (亲情服务), the documents they were added with, and every act done under one."""

import uuid

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q


class Scope(models.TextChoices):
    VIEW_RIGHTS = "view_rights", "查看权益单"
    CERTIFY = "certify", "代为发起养老金资格认证"
    TRANSFER_APPLICATION = "transfer_application", "代办转移接续申请"
    USE_BALANCE = "use_balance", "使用个人账户余额"


class DelegationStatus(models.TextChoices):
    PENDING = "pending_confirmation", "等待本人确认"
    ACTIVE = "active", "已生效"
    DECLINED = "declined", "本人未同意"
    REVOKED = "revoked", "已撤销"


LIVE_DELEGATION = [DelegationStatus.PENDING.value, DelegationStatus.ACTIVE.value]


class Delegation(models.Model):
    """An agent (a resident) may act for a principal (a person) within `scopes`. An adult principal
    confirms it on their own page (the face check of DESIGN.md 10). For a principal under 16 only a
    registry guardian opens one (with the child's face photo), or a bureau officer who checked the
    documents at the window (`opened_by`, `documents_checked`); there is no confirmation step."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="delegations_as_agent",
        verbose_name="代办人",
    )
    principal = models.ForeignKey(
        "accounts.Person", on_delete=models.PROTECT, related_name="delegations", verbose_name="委托人"
    )
    relation = models.ForeignKey(
        "accounts.RelationCode", on_delete=models.PROTECT, related_name="+", verbose_name="委托人是代办人的"
    )
    scopes = ArrayField(models.CharField(max_length=24, choices=Scope.choices), verbose_name="授权范围")
    status = models.CharField("状态", max_length=24, choices=DelegationStatus.choices)
    principal_minor = models.BooleanField("委托人未满16周岁", default=False)
    created_at = models.DateTimeField("申请时间", auto_now_add=True)
    confirmed_at = models.DateTimeField("确认时间", null=True, blank=True)
    ended_at = models.DateTimeField("结束时间", null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="撤销人",
    )
    revoke_reason = models.CharField("撤销原因", max_length=200, blank=True, default="")
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="办理的经办人员",
    )
    documents_checked = models.CharField("核验的证件", max_length=200, blank=True, default="")

    class Meta:
        verbose_name = verbose_name_plural = "亲情服务授权"
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(scopes__contained_by=[s.value for s in Scope]), name="delegation_scopes_known"
            ),
            models.CheckConstraint(condition=Q(scopes__len__gte=1), name="delegation_scopes_not_empty"),
            models.CheckConstraint(
                condition=Q(status__in=[s.value for s in DelegationStatus]), name="delegation_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(status=DelegationStatus.REVOKED.value, ended_at__isnull=False)
                | Q(~Q(status=DelegationStatus.REVOKED.value), revoked_by__isnull=True, revoke_reason=""),
                name="delegation_revocation_recorded",
            ),
            models.CheckConstraint(
                condition=Q(opened_by__isnull=True, documents_checked="")
                | Q(Q(opened_by__isnull=False, principal_minor=True), ~Q(documents_checked="")),
                name="delegation_opened_by_staff_recorded",
            ),
            models.UniqueConstraint(
                fields=["agent", "principal"],
                condition=Q(status__in=LIVE_DELEGATION),
                name="delegation_one_live_per_pair",
            ),
        ]
        indexes = [models.Index(fields=["principal", "status"], name="delegation_principal_status")]

    def __str__(self) -> str:
        return f"{self.agent} → {self.principal}（{self.get_status_display()}）"


class DocumentKind(models.TextChoices):
    ID_DOCUMENT = "id_document", "委托人身份证件"
    FACE_PHOTO = "face_photo", "委托人面部照片"


class DelegationDocument(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    delegation = models.ForeignKey(Delegation, on_delete=models.CASCADE, related_name="documents")
    kind = models.CharField("材料", max_length=12, choices=DocumentKind.choices)
    file = models.FileField("文件", upload_to="delegations/%Y/%m/")
    content_type = models.CharField("文件类型", max_length=40)
    size = models.PositiveIntegerField("大小（字节）")
    uploaded_at = models.DateTimeField("上传时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "亲情服务材料"
        ordering = ["uploaded_at"]
        constraints = [
            models.CheckConstraint(condition=Q(size__lte=5 * 1024 * 1024), name="delegation_document_size"),
        ]

    def __str__(self) -> str:
        return self.get_kind_display()


class DelegationAct(models.Model):
    """One thing the agent did for the principal under a delegation; the principal sees all of them."""

    delegation = models.ForeignKey(Delegation, on_delete=models.PROTECT, related_name="acts")
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="代办人"
    )
    principal = models.ForeignKey(
        "accounts.Person", on_delete=models.PROTECT, related_name="delegation_acts", verbose_name="委托人"
    )
    scope = models.CharField("授权范围", max_length=24, choices=Scope.choices)
    action = models.CharField("事项", max_length=40)
    detail = models.CharField("说明", max_length=200, blank=True, default="")
    at = models.DateTimeField("时间", auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = verbose_name_plural = "亲情服务代办记录"
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["principal", "-at"], name="delegation_act_principal_time")]

    def __str__(self) -> str:
        return f"{self.action} {self.at:%Y-%m-%d %H:%M}"

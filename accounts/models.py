"""Regions, institutions, employers, persons, personal accounts and their ledger, users.

Personal numbers are stored only as Fernet ciphertext (EncryptedTextField) beside an HMAC lookup
column; nothing here ever holds a plain identity number in a column."""

import uuid

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from portal.core.fields import EncryptedTextField
from portal.core.masking import mask_card, mask_id_number, mask_name, mask_phone


class Province(models.Model):
    code = models.CharField("省级区划代码", max_length=6, primary_key=True)
    name = models.CharField("名称", max_length=50)

    class Meta:
        verbose_name = verbose_name_plural = "省份"
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(condition=Q(code__regex=r"^[1-9][0-9]0000$"), name="province_code_shape")
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.code}）"


class RegionLevel(models.TextChoices):
    PROVINCE = "province", "省本级"
    PREFECTURE = "prefecture", "地市级"
    COUNTY = "county", "县级"


class PoolingRegion(models.Model):
    code = models.CharField("统筹区编码", max_length=6, unique=True)
    province = models.ForeignKey(
        Province, on_delete=models.PROTECT, related_name="regions", verbose_name="省份"
    )
    name = models.CharField("名称", max_length=50)
    level = models.CharField("级别", max_length=10, choices=RegionLevel.choices)
    cross_province_from = models.DateField("跨省共济开通日期", null=True, blank=True)
    # A bureau decision (DESIGN.md section 3; decision record 0017): an SMS code is the weaker second
    # factor, so a region may switch it off. Off: no sign-in code is sent, and none sent before counts.
    sms_sign_in_allowed = models.BooleanField(
        "允许短信验证码登录", default=True, help_text="关闭后，本统筹区参保人不能再用短信验证码登录"
    )

    class Meta:
        verbose_name = verbose_name_plural = "统筹区"
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(condition=Q(code__regex=r"^[0-9]{6}$"), name="region_code_shape")
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.code}）"


class InstitutionKind(models.TextChoices):
    HOSPITAL = "hospital", "定点医疗机构"
    PHARMACY = "pharmacy", "定点零售药店"


class Institution(models.Model):
    code = models.CharField("机构编码", max_length=32, unique=True)
    name = models.CharField("名称", max_length=100)
    region = models.ForeignKey(PoolingRegion, on_delete=models.PROTECT, verbose_name="统筹区")
    kind = models.CharField("类型", max_length=10, choices=InstitutionKind.choices)

    class Meta:
        verbose_name = verbose_name_plural = "定点机构"
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.name}（{self.code}）"


class Employer(models.Model):
    uscc = models.CharField("统一社会信用代码", max_length=18, unique=True)
    name = models.CharField("单位名称", max_length=100)

    class Meta:
        verbose_name = verbose_name_plural = "用人单位"
        ordering = ["uscc"]
        constraints = [
            models.CheckConstraint(condition=Q(uscc__regex=r"^[0-9A-Z]{18}$"), name="employer_uscc_shape")
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.uscc}）"


class Sex(models.TextChoices):
    MALE = "male", "男"
    FEMALE = "female", "女"


class InsuranceType(models.TextChoices):
    EMPLOYEE = "employee", "职工医保"
    RESIDENT = "resident", "城乡居民医保"
    NONE = "none", "未参保"


class InsuranceStatus(models.TextChoices):
    NORMAL = "normal", "正常"
    ARREARS = "arrears", "欠费"
    INTERRUPTED = "interrupted", "中断"
    TERMINATED = "terminated", "终止"


class Person(models.Model):
    """An insured person (参保人), imported by the bureau; residents register against one."""

    name = models.CharField("姓名", max_length=50)
    id_number = EncryptedTextField("公民身份号码（加密）")
    # Unique through Meta constraints, not unique=True: a varchar column with unique=True also gets a
    # text_pattern_ops "_like" index, which exact look-ups never use and every insert pays for.
    id_hash = models.CharField("身份号码查询散列", max_length=64, editable=False)
    card_number = models.CharField("社会保障卡号", max_length=9)
    phone = EncryptedTextField("手机号（加密）", blank=True, default="")
    # Tells a changed phone number from an unchanged one without decrypting (imports, history). No
    # index: nothing looks a person up by phone; the first feature that does adds one.
    phone_hash = models.CharField(max_length=64, blank=True, default="", editable=False)
    sex = models.CharField("性别", max_length=6, choices=Sex.choices, editable=False)
    birth_date = models.DateField("出生日期", editable=False)
    # No index of its own: person_region_status (region, status) serves every look-up by region.
    region = models.ForeignKey(PoolingRegion, on_delete=models.PROTECT, verbose_name="统筹区", db_index=False)
    insurance_type = models.CharField("险种", max_length=10, choices=InsuranceType.choices)
    status = models.CharField("参保状态", max_length=12, choices=InsuranceStatus.choices, default="normal")
    is_pensioner = models.BooleanField("领取养老金", default=False)
    last_certified_on = models.DateField("最近一次资格认证", null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # History keeps who changed what and when; the numbers themselves stay out of it (phone_hash
    # still shows that a phone number changed).
    history = HistoricalRecords(
        excluded_fields=["id_number", "id_hash", "phone"], no_db_index=["card_number", "region"]
    )

    class Meta:
        verbose_name = verbose_name_plural = "参保人"
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["id_hash"], name="person_id_hash_unique"),
            models.UniqueConstraint(fields=["card_number"], name="person_card_unique"),
            models.CheckConstraint(
                condition=Q(card_number__regex=r"^[A-Z][0-9]{8}$"), name="person_card_shape"
            ),
            models.CheckConstraint(
                condition=Q(id_hash__regex=r"^[0-9a-f]{64}$"), name="person_id_hash_shape"
            ),
            models.CheckConstraint(condition=Q(sex__in=["male", "female"]), name="person_sex_valid"),
            models.CheckConstraint(
                condition=Q(insurance_type__in=["employee", "resident", "none"]),
                name="person_insurance_type_valid",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["normal", "arrears", "interrupted", "terminated"]),
                name="person_status_valid",
            ),
        ]
        indexes = [
            models.Index(fields=["region", "status"], name="person_region_status"),
            # run_certification_cycle picks pensioners by where their cycle ends (issue 6)
            models.Index(
                fields=["last_certified_on"], condition=Q(is_pensioner=True), name="person_pensioner_cycle"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name_masked}（{self.card_number_masked}）"

    @property
    def name_masked(self) -> str:
        return mask_name(self.name)

    @property
    def id_number_masked(self) -> str:
        return mask_id_number(self.id_number)

    @property
    def card_number_masked(self) -> str:
        return mask_card(self.card_number)

    @property
    def phone_masked(self) -> str:
        return mask_phone(self.phone)


class PersonalAccount(models.Model):
    """职工医保个人账户. The balance equals the sum of its ledger entries and is never negative."""

    person = models.OneToOneField(
        Person, on_delete=models.PROTECT, related_name="account", verbose_name="参保人"
    )
    balance_fen = models.BigIntegerField("余额（分）", default=0)
    # What the core system credits (划入) every month; the portal mirrors it (decision record 0013).
    monthly_credit_fen = models.BigIntegerField(
        "每月划入金额（分）",
        default=0,
        db_default=0,
        help_text="每月1日由核心系统划入个人账户的金额，单位：分",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = verbose_name_plural = "个人账户"
        constraints = [
            models.CheckConstraint(condition=Q(balance_fen__gte=0), name="account_balance_non_negative"),
            models.CheckConstraint(
                condition=Q(monthly_credit_fen__gte=0), name="account_monthly_credit_non_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"个人账户 {self.person}"


class EntryKind(models.TextChoices):
    CREDIT = "credit", "划入"
    OWN_SETTLEMENT = "own_settlement", "本人结算"
    FAMILY_SETTLEMENT = "family_settlement", "共济支付"
    REVERSAL = "reversal", "冲正"


class AccountEntry(models.Model):
    """One append-only ledger line. amount_fen is signed (debits negative); balance_after_fen is the
    account's balance right after this entry, written under the account's row lock."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # db_index=False: entry_account_time (account, -created_at) serves every look-up by account, and
    # each index is one more insertion per settlement (decision record 0012).
    account = models.ForeignKey(
        PersonalAccount, on_delete=models.PROTECT, related_name="entries", db_index=False
    )
    kind = models.CharField("类型", max_length=20, choices=EntryKind.choices)
    amount_fen = models.BigIntegerField("金额（分）")
    balance_after_fen = models.BigIntegerField("变动后余额（分）")
    description = models.CharField("摘要", max_length=200, blank=True, default="")
    # The month a monthly credit (划入) is for: one credit per account and month. Null for others.
    period = models.DateField("划入月份", null=True, blank=True)
    # For whom and where a family settlement (or its reversal) paid; never a diagnosis.
    beneficiary = models.ForeignKey(
        Person,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="被共济人",
        db_index=False,
    )
    institution = models.ForeignKey(
        Institution,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="机构",
        db_index=False,
        # No database foreign key: every settlement at one institution would take a KEY SHARE lock
        # on the same institution row, which serialises concurrent settlements (decision record
        # 0012). Institutions are never deleted (PROTECT here, no delete permission in the admin).
        db_constraint=False,
    )
    created_at = models.DateTimeField("时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "个人账户流水"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(balance_after_fen__gte=0), name="entry_balance_after_non_negative"
            ),
            models.CheckConstraint(condition=~Q(amount_fen=0), name="entry_amount_not_zero"),
            models.CheckConstraint(
                condition=Q(kind__in=["credit", "own_settlement", "family_settlement", "reversal"]),
                name="entry_kind_valid",
            ),
            models.UniqueConstraint(
                fields=["account", "period"], condition=Q(kind="credit"), name="entry_one_credit_per_month"
            ),
            models.CheckConstraint(
                condition=Q(period__isnull=True) | Q(kind="credit", period__day=1),
                name="entry_period_is_credit_month",
            ),
        ]
        indexes = [
            models.Index(fields=["account", "-created_at"], name="entry_account_time"),
            # What relatives paid for a person (/account/, newest first), and the foreign key's own
            # check when a person row is deleted or re-keyed (without it, a scan of the whole
            # ledger per person). Partial: credits and own settlements, most of the ledger, carry
            # no beneficiary and cost this index nothing.
            models.Index(
                fields=["beneficiary", "-created_at"],
                condition=Q(beneficiary__isnull=False),
                name="entry_beneficiary_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount_fen}"


class RelationCode(models.Model):
    """GB/T 4761-2008 家庭关系代码 with what DESIGN.md section 4 needs to judge it."""

    code = models.CharField("代码", max_length=2, primary_key=True)
    name_zh = models.CharField("名称", max_length=50)
    name_en = models.CharField("英文名称", max_length=80)
    kin = models.CharField("亲属类别", max_length=20)
    line = models.CharField("亲系", max_length=20, blank=True, default="")
    near_relative = models.BooleanField("近亲属")
    core_family = models.BooleanField("核心家庭成员")

    class Meta:
        verbose_name = verbose_name_plural = "家庭关系代码"
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name_zh}"

    @property
    def name_shown(self) -> str:
        """The name in the page's language: the English name when English is chosen and known."""
        from django.utils.translation import get_language

        return self.name_en if (get_language() or "").startswith("en") and self.name_en else self.name_zh


class Role(models.TextChoices):
    RESIDENT = "resident", "参保人"
    BUREAU = "bureau", "医保经办人员"
    HOSPITAL = "hospital", "医院医保办"
    PHARMACY = "pharmacy", "定点药店"


class User(AbstractUser):
    """Every login. Residents are tied to their Person; staff to a region (bureau) or institution."""

    role = models.CharField("角色", max_length=10, choices=Role.choices, default=Role.RESIDENT)
    person = models.OneToOneField(
        Person, null=True, blank=True, on_delete=models.PROTECT, related_name="user", verbose_name="参保人"
    )
    region = models.ForeignKey(
        PoolingRegion, null=True, blank=True, on_delete=models.PROTECT, verbose_name="统筹区"
    )
    institution = models.ForeignKey(
        Institution, null=True, blank=True, on_delete=models.PROTECT, verbose_name="定点机构"
    )
    history = HistoricalRecords(excluded_fields=["password", "last_login"])

    class Meta:
        verbose_name = verbose_name_plural = "用户"
        constraints = [
            models.CheckConstraint(
                condition=~Q(role="resident")
                | Q(person__isnull=False, is_staff=False)
                | Q(is_superuser=True),
                name="user_resident_has_person",
            ),
            models.CheckConstraint(
                condition=~Q(role="bureau") | Q(region__isnull=False), name="user_bureau_has_region"
            ),
            models.CheckConstraint(
                condition=~Q(role__in=["hospital", "pharmacy"]) | Q(institution__isnull=False),
                name="user_institution_staff_has_institution",
            ),
        ]

    @property
    def is_resident(self) -> bool:
        return self.role == Role.RESIDENT


class PersonViewLog(models.Model):
    """Every time a staff member opens a person's detail (admin, counter, API)."""

    staff = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="person_views", verbose_name="工作人员"
    )
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="views", verbose_name="参保人")
    surface = models.CharField("查看位置", max_length=20)
    viewed_at = models.DateTimeField("时间", auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = verbose_name_plural = "查看记录"
        ordering = ["-viewed_at"]

    def __str__(self) -> str:
        return f"{self.staff} → {self.person}"


class Message(models.Model):
    """An in-app message to a person (站内消息). SMS copies go through the pluggable sender."""

    # db_index=False: message_person_time (person, -created_at) serves look-ups by person.
    person = models.ForeignKey(
        Person, on_delete=models.PROTECT, related_name="messages", verbose_name="收件人", db_index=False
    )
    subject = models.CharField("标题", max_length=100)
    body = models.TextField("内容")
    created_at = models.DateTimeField("时间", auto_now_add=True)
    read_at = models.DateTimeField("已读时间", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "站内消息"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["person", "-created_at"], name="message_person_time")]

    def __str__(self) -> str:
        return self.subject


# Family-service delegations live in their own module set (accounts/delegations/).
# Maker-checker: change requests a second officer decides (accounts/change_requests/).
from accounts.change_requests.models import ChangeRequest, ChangeRequestEvent  # noqa: E402, F401
from accounts.delegations.models import (  # noqa: E402, F401
    Delegation,
    DelegationAct,
    DelegationDocument,
)

# Possession of the phone on file: the SMS device, pending registrations, phone changes (decision record 0015).
from accounts.enrolment_models import (  # noqa: E402, F401
    PendingRegistration,
    PhoneChange,
    SmsDevice,
)

# The one SMS outbox (decision record 0018).
from accounts.outbox_models import SmsOutbox, SmsResult  # noqa: E402, F401

"""Bureau staff's admin (behind django-otp's OTPAdminSite). Numbers are shown masked only; every
open of a person's detail is recorded; bureau staff see their own pooling region only."""

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html
from django_otp.plugins.otp_totp.admin import TOTPDeviceAdmin
from django_otp.plugins.otp_totp.models import TOTPDevice
from simple_history.models import ModelChange
from simple_history.template_utils import HistoricalRecordContextHelper

from accounts.admin_lookup import PersonFilteredAdmin, PersonLookupAdmin
from accounts.change_requests.person_admin import PersonIdentityChangeAdmin
from accounts.models import (
    AccountEntry,
    Employer,
    Institution,
    Person,
    PersonalAccount,
    PersonViewLog,
    PoolingRegion,
    Province,
    RelationCode,
    User,
)
from accounts.phone_admin import person_phone_view
from accounts.services import person_view_record
from portal.admin_helpers import (
    LabelledAutocomplete,
    ReadOnlyAdmin,
    ReferenceDataAdmin,
    RegionScopedAdmin,
    RegionScopedHistoryAdmin,
)
from portal.core.masking import mask_card, mask_name


@admin.register(Province)
class ProvinceAdmin(ReferenceDataAdmin):
    list_display = ["code", "name"]
    search_fields = ["code", "name"]


@admin.register(PoolingRegion)
class PoolingRegionAdmin(ReferenceDataAdmin):
    """The regions, their cross-province switch (跨省共济开通日期) and SMS sign-in switch: national,
    superusers only; a bureau's decision on SMS sign-in is also carried out by `set_sms_sign_in`."""

    list_display = ["code", "name", "province", "level", "cross_province_from", "sms_sign_in_allowed"]
    list_filter = ["level", "province"]
    search_fields = ["code", "name"]


@admin.register(Institution)
class InstitutionAdmin(LabelledAutocomplete, ReferenceDataAdmin):
    list_display = ["code", "name", "kind", "region"]
    list_filter = ["kind"]
    search_fields = ["code", "name"]
    autocomplete_fields = ["region"]


@admin.register(Employer)
class EmployerAdmin(ReferenceDataAdmin):
    list_display = ["uscc", "name"]
    search_fields = ["uscc", "name"]


@admin.register(RelationCode)
class RelationCodeAdmin(ReadOnlyAdmin, ReferenceDataAdmin):
    list_display = ["code", "name_zh", "name_en", "kin", "line", "near_relative", "core_family"]
    list_filter = ["kin", "near_relative", "core_family"]


class MaskedPersonHistory(HistoricalRecordContextHelper):
    """A person's history shows names and card numbers masked, as every other admin page does, and
    no lookup hash (a changed phone number shows as changed)."""

    MASKS: dict[str, Any] = {"name": mask_name, "card_number": mask_card, "phone_hash": lambda _: "******"}

    def prepare_delta_change_value(self, change: ModelChange, value: Any) -> Any:
        mask = self.MASKS.get(change.field)
        if mask is not None and value:
            return mask(value)
        return super().prepare_delta_change_value(change, value)


@admin.register(Person)
class PersonAdmin(
    PersonIdentityChangeAdmin, PersonLookupAdmin, LabelledAutocomplete, RegionScopedHistoryAdmin
):
    """Persons of the officer's region. A person is found by identity or card number through the
    look-up form above the list (POST, `PersonLookupAdmin`), never through `?q=`, which would carry
    the number into access logs: the free-text search matches names only. A change of the name,
    identity number or card is filed for a second officer (`PersonIdentityChangeAdmin`)."""

    region_paths = ("region",)
    history_masked_fields = {"name": "masked_name", "card_number": "masked_card"}
    list_display = ["masked_name", "id_number_masked", "masked_card", "region", "insurance_type", "status"]
    list_filter = ["insurance_type", "status", "is_pensioner"]
    search_fields = ["name"]
    search_help_text = "按姓名查找；按身份证号或社会保障卡号查找请用上方的查找表单"
    list_select_related = ["region"]
    show_full_result_count = False
    readonly_fields = [
        "id_number_masked",
        "phone_on_file",
        "sex",
        "birth_date",
        "created_at",
        "updated_at",
    ]
    fields = [
        "name",
        "id_number_masked",
        "new_id_number",
        "card_number",
        "change_reason",
        "phone_on_file",
        "sex",
        "birth_date",
        "region",
        "insurance_type",
        "status",
        "is_pensioner",
        "last_certified_on",
        "created_at",
        "updated_at",
    ]
    autocomplete_fields = ["region"]

    @admin.display(description="姓名")
    def masked_name(self, obj: Person) -> str:
        return mask_name(obj.name)

    @admin.display(description="社会保障卡号")
    def masked_card(self, obj: Person) -> str:
        return mask_card(obj.card_number)

    @admin.display(description="登记的手机号")
    def phone_on_file(self, obj: Person) -> str:
        """The number masked, and the one way to change it (a page with a reason, audited)."""
        if obj.pk is None:
            return obj.phone_masked or "—"
        url = reverse("admin:accounts_person_phone", args=[obj.pk])
        return format_html('{} <a href="{}">变更手机号</a>', obj.phone_masked or "（无）", url)

    def get_urls(self) -> list[URLPattern]:
        phone = path(
            "<int:person_id>/phone/",
            self.admin_site.admin_view(person_phone_view),
            name="accounts_person_phone",
        )
        return [phone, *super().get_urls()]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Person]:
        return super().get_queryset(request).select_related("region__province")

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        person = self.get_object(request, object_id)
        if person is not None:
            person_view_record(staff=request.user, person=person, surface="admin")  # type: ignore[arg-type]
        return super().change_view(request, object_id, form_url, extra_context)

    def history_opened(self, request: HttpRequest, obj: Any) -> None:
        """A person's change history is a view of the person: recorded as the detail page is."""
        person_view_record(staff=request.user, person=obj, surface="admin")  # type: ignore[arg-type]

    def get_historical_record_context_helper(self, request: HttpRequest, historical_record: Any) -> Any:
        return MaskedPersonHistory(self.model, historical_record)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(PersonalAccount)
class PersonalAccountAdmin(RegionScopedHistoryAdmin):
    """The balance is the ledger's: read-only. The monthly credit amount (划入) mirrors the core
    system and is the one field staff may set (decision record 0013)."""

    region_paths = ("person__region",)
    list_display = ["person", "balance_fen", "monthly_credit_fen", "updated_at"]
    list_select_related = ["person"]
    show_full_result_count = False
    fields = ["person", "balance_fen", "monthly_credit_fen", "updated_at"]
    readonly_fields = ["person", "balance_fen", "updated_at"]

    def save_model(self, request: HttpRequest, obj: PersonalAccount, form: Any, change: bool) -> None:
        # Only the monthly credit amount: saving every field would write back a balance read before
        # a settlement that committed meanwhile.
        obj.save(update_fields=["monthly_credit_fen", "updated_at"])

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # accounts are opened by import_persons

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(AccountEntry)
class AccountEntryAdmin(PersonFilteredAdmin, ReadOnlyAdmin, RegionScopedAdmin):
    """The ledger, read-only. Found by a person's number through the look-up form (the account
    holder, or the relative a family payment was for); numbers are shown masked."""

    region_paths = ("account__person__region",)
    person_paths = ("account__person", "beneficiary")

    list_display = [
        "created_at",
        "account",
        "kind",
        "amount_fen",
        "balance_after_fen",
        "beneficiary_masked",
        "institution",
        "period",
        "description",
    ]
    list_filter = ["kind"]
    list_select_related = ["account__person", "beneficiary", "institution"]
    show_full_result_count = False
    date_hierarchy = "created_at"

    @admin.display(description="被共济人")
    def beneficiary_masked(self, obj: AccountEntry) -> str:
        return str(obj.beneficiary) if obj.beneficiary else ""


@admin.register(PersonViewLog)
class PersonViewLogAdmin(ReadOnlyAdmin, RegionScopedAdmin):
    """Who opened which person: the views of the persons of the officer's own region."""

    region_paths = ("person__region",)
    list_display = ["viewed_at", "staff", "person", "surface"]
    list_filter = ["surface"]
    list_select_related = ["staff", "person"]
    date_hierarchy = "viewed_at"


@admin.register(User)
class UserAdmin(DjangoUserAdmin, RegionScopedHistoryAdmin):
    """Logins: superusers only (accounts/permissions.py); under the region rule all the same."""

    region_paths = ("region",)
    list_display = ["username", "role", "region", "institution", "is_active", "last_login"]
    list_filter = ["role", "is_active", "is_staff"]
    search_fields = ["username"]
    raw_id_fields = ["person"]
    fieldsets = (
        *(DjangoUserAdmin.fieldsets or ()),
        ("角色与范围", {"fields": ("role", "region", "institution", "person")}),
    )


class StaffTOTPDeviceAdmin(TOTPDeviceAdmin):
    """django-otp's admin of authenticators (staff enrol through it, docs/runbook.md). Its key and
    QR code pages look the device up before anything else and failed with a server error for an
    unknown id; here that is 404."""

    def config_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        get_object_or_404(TOTPDevice, pk=pk)
        return super().config_view(request, pk)

    def qrcode_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        get_object_or_404(TOTPDevice, pk=pk)
        return super().qrcode_view(request, pk)


# django-otp registers its own on import; whichever app's admin loads first, this one stays.
if admin.site.is_registered(TOTPDevice):
    admin.site.unregister(TOTPDevice)
admin.site.register(TOTPDevice, StaffTOTPDeviceAdmin)

# Family-service delegations and change requests (maker-checker) register their own admin classes
# (accounts/delegations/admin.py, accounts/change_requests/admin.py).
import accounts.change_requests.admin  # noqa: E402, F401
import accounts.delegations.admin  # noqa: E402, F401

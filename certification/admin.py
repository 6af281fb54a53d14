"""Bureau staff's admin for certification, scoped to the staff member's pooling region: the
certification records (and the offline ones they record: bureau window, community centre, with the
documents seen), pension payment status, and the home-visit queue with scheduling and outcome.
Every write goes through a service; a refusal is shown with its code and changes nothing."""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html

from accounts.admin_lookup import PersonFilteredAdmin
from accounts.models import Person, Role, User
from accounts.selectors import person_get_by_card
from certification.home_visits import home_visit_cancel, home_visit_outcome, home_visit_schedule
from certification.models import (
    Certification,
    HomeVisit,
    HomeVisitDocument,
    HomeVisitEvent,
    HomeVisitStatus,
    PaymentEvent,
    PensionPayment,
)
from certification.services import certification_record_offline
from portal.admin_helpers import (
    DocumentFilesAdmin,
    ReadOnlyInline,
    RegionScopedAdmin,
    UploadedDocumentInline,
    form_page,
    staff_region_id,
)
from portal.core.errors import ApplicationError, Reason
from portal.core.time import today


class OfflineCertificationForm(forms.Form):
    card_number = forms.CharField(label="社会保障卡号", max_length=16)
    channel = forms.ChoiceField(
        label="渠道", choices=[("bureau", "社保经办窗口"), ("community", "社区服务中心")]
    )
    result = forms.ChoiceField(label="结果", choices=[("pass", "通过"), ("fail", "未通过")])
    documents_seen = forms.CharField(
        label="查验的证件", max_length=200, help_text="例如：居民身份证、社会保障卡"
    )


@admin.register(Certification)
class CertificationAdmin(PersonFilteredAdmin, RegionScopedAdmin):
    region_paths = ("person__region",)
    person_paths = ("person",)
    list_display = ["certified_at", "person", "channel", "method", "result", "agent", "back_pay_months"]
    list_filter = ["channel", "result"]
    list_select_related = ["person", "agent"]
    show_full_result_count = False
    fields = readonly_fields = (
        "person",
        "channel",
        "method",
        "result",
        "reference",
        "certified_at",
        "recorded_by",
        "agent",
        "delegation",
        "documents_seen",
        "back_pay_months",
        "created_at",
    )

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def add_view(
        self, request: HttpRequest, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        """录入现场认证: the staff member saw the pensioner and their documents at the window."""
        if not self.has_add_permission(request):
            raise Http404
        form = OfflineCertificationForm(request.POST or None)
        errors: list[Reason] = []
        if request.method == "POST" and form.is_valid():
            person = person_get_by_card(card_number=form.cleaned_data["card_number"].strip().upper())
            if person is None or not _may_see(request, person):
                errors = [Reason("card_not_found", "未找到该社会保障卡（或不属于您的统筹区）")]
            else:
                try:
                    certification_record_offline(
                        actor=request.user,  # type: ignore[arg-type]
                        person=person,
                        channel=form.cleaned_data["channel"],
                        result=form.cleaned_data["result"],
                        documents_seen=form.cleaned_data["documents_seen"],
                    )
                except ApplicationError as error:
                    errors = error.details or [Reason(error.code, error.message)]
                else:
                    messages.success(request, f"已录入{person.name_masked}的现场认证结果。")
                    return HttpResponseRedirect(reverse("admin:certification_certification_changelist"))
        return form_page(
            request,
            self.admin_site,
            title="录入现场认证结果",
            intro="经办窗口或社区服务中心当面核验领取人本人及证件后录入。",
            form=form,
            errors=errors,
            submit_label="录入",
        )


def _may_see(request: HttpRequest, person: Person) -> bool:
    region = staff_region_id(request)
    return region is None or person.region_id == region


@admin.register(PensionPayment)
class PensionPaymentAdmin(PersonFilteredAdmin, RegionScopedAdmin):
    region_paths = ("person__region",)
    person_paths = ("person",)
    list_display = ["person", "status", "suspended_on", "resumed_on", "back_pay_months"]
    list_filter = ["status"]
    list_select_related = ["person"]
    show_full_result_count = False
    fields = readonly_fields = (
        "person",
        "status",
        "suspended_on",
        "resumed_on",
        "back_pay_months",
        "updated_at",
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(PaymentEvent)
class PaymentEventAdmin(PensionPaymentAdmin):
    list_display = ["at", "person", "kind", "on", "back_pay_months", "certification"]
    list_filter = ["kind"]
    fields = readonly_fields = ("person", "kind", "on", "back_pay_months", "certification", "at")

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class HomeVisitDocumentInline(UploadedDocumentInline):
    model = HomeVisitDocument
    fields = readonly_fields = ("uploaded_at", "content_type", "size", "open_file")


class HomeVisitEventInline(ReadOnlyInline):
    model = HomeVisitEvent
    fields = readonly_fields = ("at", "from_status", "to_status", "actor")


class ScheduleForm(forms.Form):
    scheduled_on = forms.DateField(label="上门日期", widget=forms.DateInput(attrs={"type": "date"}))
    visit_staff = forms.ModelChoiceField(label="上门人员", queryset=User.objects.none())


class OutcomeForm(forms.Form):
    certified = forms.ChoiceField(
        label="上门结果", choices=[("yes", "本人在场，认证通过"), ("no", "未能认证")]
    )
    documents_seen = forms.CharField(label="查验的证件", max_length=200, required=False)
    note = forms.CharField(
        label="说明", max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


@admin.register(HomeVisit)
class HomeVisitAdmin(PersonFilteredAdmin, DocumentFilesAdmin):
    list_display = [
        "created_at",
        "person",
        "reason",
        "status",
        "scheduled_on",
        "visit_staff",
        "actions_links",
    ]
    list_filter = ["status", "reason"]
    list_select_related = ["person", "visit_staff"]
    show_full_result_count = False
    fields = readonly_fields = (
        "person",
        "requested_by",
        "delegation",
        "reason",
        "address",
        "note",
        "status",
        "scheduled_on",
        "visit_staff",
        "outcome_note",
        "certification",
        "created_at",
    )
    inlines = [HomeVisitDocumentInline, HomeVisitEventInline]
    document_model = HomeVisitDocument
    document_parent = "visit"
    actions = ["cancel_visits"]
    region_paths = ("person__region",)
    person_paths = ("person",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # residents ask on /certification/

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description="办理")
    def actions_links(self, obj: HomeVisit) -> str:
        if obj.status == HomeVisitStatus.REQUESTED:
            return format_html(
                '<a href="{}">安排上门</a>', reverse("admin:certification_homevisit_schedule", args=[obj.pk])
            )
        if obj.status == HomeVisitStatus.SCHEDULED:
            return format_html(
                '<a href="{}">录入结果</a>', reverse("admin:certification_homevisit_outcome", args=[obj.pk])
            )
        return ""

    def get_urls(self) -> list[URLPattern]:
        own = [
            path(
                "<uuid:visit_id>/schedule/",
                self.admin_site.admin_view(self.schedule_view),
                name="certification_homevisit_schedule",
            ),
            path(
                "<uuid:visit_id>/outcome/",
                self.admin_site.admin_view(self.outcome_view),
                name="certification_homevisit_outcome",
            ),
        ]
        return own + super().get_urls()

    def _visit(self, request: HttpRequest, visit_id: Any) -> HomeVisit:
        if not self.has_change_permission(request):
            raise Http404
        visit = self.get_queryset(request).filter(pk=visit_id).first()
        if visit is None:
            raise Http404
        return visit

    def _done(self, request: HttpRequest, text: str) -> HttpResponse:
        messages.success(request, text)
        return HttpResponseRedirect(reverse("admin:certification_homevisit_changelist"))

    def schedule_view(self, request: HttpRequest, visit_id: Any) -> HttpResponse:
        visit = self._visit(request, visit_id)
        form = ScheduleForm(request.POST or None, initial={"scheduled_on": today()})
        staff = User.objects.filter(role=Role.BUREAU, is_active=True)
        region = staff_region_id(request)
        field = form.fields["visit_staff"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = staff if region is None else staff.filter(region_id=region)
        errors: list[Reason] = []
        if request.method == "POST" and form.is_valid():
            try:
                home_visit_schedule(
                    actor=request.user,  # type: ignore[arg-type]
                    visit=visit,
                    on=form.cleaned_data["scheduled_on"],
                    visitor=form.cleaned_data["visit_staff"],
                )
            except ApplicationError as error:
                errors = error.details or [Reason(error.code, error.message)]
            else:
                return self._done(request, "已安排上门，并已通知领取人。")
        return form_page(
            request,
            self.admin_site,
            title=f"安排上门认证：{visit.person}",
            form=form,
            errors=errors,
            submit_label="安排",
        )

    def outcome_view(self, request: HttpRequest, visit_id: Any) -> HttpResponse:
        visit = self._visit(request, visit_id)
        form = OutcomeForm(request.POST or None)
        errors: list[Reason] = []
        if request.method == "POST" and form.is_valid():
            try:
                home_visit_outcome(
                    actor=request.user,  # type: ignore[arg-type]
                    visit=visit,
                    certified=form.cleaned_data["certified"] == "yes",
                    documents_seen=form.cleaned_data["documents_seen"],
                    note=form.cleaned_data["note"],
                )
            except ApplicationError as error:
                errors = error.details or [Reason(error.code, error.message)]
            else:
                return self._done(request, "已录入上门结果。")
        return form_page(
            request,
            self.admin_site,
            title=f"录入上门结果：{visit.person}",
            form=form,
            errors=errors,
            submit_label="录入",
        )

    @admin.action(description="取消所选上门认证申请")
    def cancel_visits(self, request: HttpRequest, queryset: QuerySet[HomeVisit]) -> None:
        for visit in queryset:
            try:
                home_visit_cancel(actor=request.user, visit=visit)  # type: ignore[arg-type]
            except ApplicationError as error:
                self.message_user(request, f"{visit.person}：{error.message}", messages.ERROR)

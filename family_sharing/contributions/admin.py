"""Bureau staff's admin for contributions: employer arrears cases (社会保险法 第63条) with their
steps, documents and late fee, and the sweep's status changes — each scoped to the staff member's
pooling region. Opening a case and each step go through services (pages `add/` and `<id>/step/`)."""

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from accounts.admin_lookup import PersonFilteredAdmin
from accounts.models import Employer
from family_sharing.contributions.forms import CaseOpenForm, CaseStepForm
from family_sharing.contributions.models import ArrearsCase, ArrearsCaseStep, StatusChange
from family_sharing.contributions.selectors import arrears_case_fees
from family_sharing.contributions.services import arrears_case_open, arrears_case_step_add
from portal.admin_helpers import RegionScopedAdmin
from portal.core.errors import ApplicationError
from portal.core.money import fen_to_yuan_text
from portal.core.uploads import document_response


class ArrearsCaseStepInline(admin.TabularInline):
    model = ArrearsCaseStep
    extra = 0
    can_delete = False
    fields = readonly_fields = ("kind", "done_on", "deadline", "staff", "note", "document_link", "created_at")

    @admin.display(description="文书")
    def document_link(self, obj: ArrearsCaseStep) -> str:
        if not obj.document:
            return "—"
        url = reverse("admin:family_sharing_arrearscase_document", args=[obj.case_id, obj.pk])
        return format_html('<a href="{}" target="_blank" rel="noopener">查看</a>', url)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ArrearsCase)
class ArrearsCaseAdmin(RegionScopedAdmin):
    region_paths = ("region",)
    list_display = ["employer", "region", "status", "opened_on", "deadline", "closed_on"]
    list_filter = ["status"]
    list_select_related = ["employer", "region"]
    search_fields = ["employer__uscc", "employer__name"]
    fields = readonly_fields = (
        "employer",
        "region",
        "status",
        "opened_on",
        "opened_by",
        "deadline",
        "closed_on",
        "amounts",
        "next_step",
    )
    inlines = [ArrearsCaseStepInline]

    @admin.display(description="欠缴金额与滞纳金（社会保险法第86条：每日万分之五）")
    def amounts(self, obj: ArrearsCase) -> SafeString:
        fees = arrears_case_fees(case=obj)
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td class='amount'>{}</td><td>{}</td><td>{}</td><td class='amount'>{}</td></tr>",
            (
                (
                    line.person_name_masked,
                    f"{line.period:%Y-%m}",
                    f"{line.due_date:%Y-%m-%d}",
                    fen_to_yuan_text(line.unpaid_fen),
                    f"{line.settled_on:%Y-%m-%d}" if line.settled_on else "未缴清",
                    line.days_late,
                    fen_to_yuan_text(line.late_fee_fen),
                )
                for line in fees.lines
            ),
        )
        return format_html(
            '<table class="arrears-lines"><thead><tr><th>参保人</th><th>所属期</th><th>缴费截止日期</th>'
            "<th>欠缴（元）</th><th>缴清日期</th><th>滞纳天数</th><th>滞纳金（元）</th></tr></thead>"
            "<tbody>{}</tbody></table>"
            '<p>截至 {}：仍欠缴 <strong id="case-unpaid">{}</strong> 元，滞纳金合计 <strong id="case-late-fee">{}</strong> 元'
            "（每个所属期按欠缴金额×天数×5/10000计算，四舍五入到分后相加）。</p>",
            rows,
            f"{fees.as_of:%Y-%m-%d}",
            fen_to_yuan_text(fees.unpaid_fen),
            fen_to_yuan_text(fees.late_fee_fen),
        )

    @admin.display(description="下一步")
    def next_step(self, obj: ArrearsCase) -> str:
        if obj.status == "closed":
            return "已结案"
        url = reverse("admin:family_sharing_arrearscase_step", args=[obj.pk])
        return format_html('<a class="button" href="{}">办理下一步</a>', url)

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: Any = None
    ) -> HttpResponse:
        """Nothing on the case is edited in place: steps go through 办理下一步."""
        hidden = {"show_save": False, "show_save_and_continue": False, "show_save_and_add_another": False}
        return super().change_view(request, object_id, form_url, {**(extra_context or {}), **hidden})

    def get_urls(self) -> list[URLPattern]:
        site = self.admin_site
        return [
            path("<uuid:pk>/step/", site.admin_view(self.step_view), name="family_sharing_arrearscase_step"),
            path(
                "<uuid:pk>/document/<int:step_id>/",
                site.admin_view(self.document_view),
                name="family_sharing_arrearscase_document",
            ),
            *super().get_urls(),
        ]

    def _case(self, request: HttpRequest, pk: str) -> ArrearsCase:
        case = self.get_queryset(request).select_related("employer").filter(pk=pk).first()
        if case is None:
            raise Http404
        return case

    def add_view(self, request: HttpRequest, form_url: str = "", extra_context: Any = None) -> HttpResponse:
        """立案 through the service: the unpaid periods of the employer in the staff's region."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = CaseOpenForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            employer = Employer.objects.filter(
                uscc=form.cleaned_data["employer_uscc"].strip().upper()
            ).first()
            if employer is None:
                form.add_error(
                    "employer_uscc",
                    ValidationError("未找到该统一社会信用代码的用人单位", code="employer_not_found"),
                )
            else:
                try:
                    case = arrears_case_open(
                        actor=request.user,  # type: ignore[arg-type]
                        employer=employer,
                        as_of=form.cleaned_data["as_of"],
                        note=form.cleaned_data["note"],
                    )
                except ApplicationError as error:
                    form.add_application_error(error)
                else:
                    self.message_user(request, "已立案", messages.SUCCESS)
                    return HttpResponseRedirect(
                        reverse("admin:family_sharing_arrearscase_change", args=[case.pk])
                    )
        return self._form_page(request, form, title="用人单位欠费立案", case=None)

    def step_view(self, request: HttpRequest, pk: str) -> HttpResponse:
        case = self._case(request, pk)
        if not self.has_change_permission(request, case):
            raise PermissionDenied
        form = CaseStepForm(request.POST or None, request.FILES or None, status=case.status)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                arrears_case_step_add(
                    actor=request.user,  # type: ignore[arg-type]
                    case=case,
                    kind=data["kind"],
                    done_on=data["done_on"],
                    deadline=data["deadline"],
                    note=data["note"],
                    document=data["document"],
                )
            except ApplicationError as error:
                form.add_application_error(error)
            else:
                self.message_user(request, "已记录办理环节", messages.SUCCESS)
                return HttpResponseRedirect(
                    reverse("admin:family_sharing_arrearscase_change", args=[case.pk])
                )
        return self._form_page(request, form, title=f"办理下一步：{case.employer.name}", case=case)

    def _form_page(
        self, request: HttpRequest, form: Any, *, title: str, case: ArrearsCase | None
    ) -> HttpResponse:
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": title,
            "form": form,
            "case": case,
        }
        return render(request, "admin/contributions/case_form.html", context)

    def document_view(self, request: HttpRequest, pk: str, step_id: int) -> FileResponse:
        """Case documents are never public: streamed only to staff who may see the case."""
        case = self._case(request, pk)
        step = case.steps.filter(pk=step_id).exclude(document="").first()
        if step is None:
            raise Http404
        return document_response(
            step.document, content_type=step.document_type, name=f"case-{case.pk}-{step.pk}"
        )

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


_CHANGE_FIELDS = (
    "created_at",
    "person",
    "from_status",
    "to_status",
    "reason",
    "cause_periods",
    "as_of",
    "notified_at",
)


@admin.register(StatusChange)
class StatusChangeAdmin(PersonFilteredAdmin, RegionScopedAdmin):
    region_paths = ("person__region",)
    person_paths = ("person",)
    list_display = _CHANGE_FIELDS
    list_filter = ["to_status", "reason"]
    list_select_related = ["person"]
    show_full_result_count = False
    fields = readonly_fields = _CHANGE_FIELDS

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

"""Bureau staff's admin for family sharing: bindings and their history, evidence review, registry
edges and policy versions — each scoped to the staff member's pooling region. Actions call services."""

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpRequest
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html

from accounts.admin_lookup import PersonFilteredAdmin
from family_sharing.change_admin import KinshipEdgeChangeAdmin, evidence_approval_file
from family_sharing.models import Binding, BindingEvent, Evidence, EvidenceReview, KinshipEdge, PolicyVersion
from family_sharing.reconsent.admin import ReconsentInline, ReconsentStateFilter, reconsent_state
from family_sharing.services import binding_evidence_review
from portal.admin_helpers import RegionScopedAdmin
from portal.core.errors import ApplicationError
from portal.core.uploads import document_response


class BindingEventInline(admin.TabularInline):
    model = BindingEvent
    extra = 0
    can_delete = False
    fields = readonly_fields = ("at", "from_status", "to_status", "channel", "actor", "reasons")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class EvidenceInline(admin.TabularInline):
    model = Evidence
    extra = 0
    can_delete = False
    fields = readonly_fields = (
        "uploaded_at",
        "content_type",
        "size",
        "review",
        "reviewed_by",
        "reviewed_at",
        "review_note",
    )

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Binding)
class BindingAdmin(PersonFilteredAdmin, RegionScopedAdmin):
    region_paths = ("sharer__region", "beneficiary__region")
    person_paths = ("sharer", "beneficiary")
    list_display = [
        "created_at",
        "sharer",
        "beneficiary",
        "relation_code",
        "status",
        "channel",
        "monthly_limit_fen",
        reconsent_state,
    ]
    list_filter = ["status", "channel", ReconsentStateFilter]
    list_select_related = ["sharer", "beneficiary", "relation_code", "reconsent"]
    show_full_result_count = False
    fields = readonly_fields = (
        "sharer",
        "beneficiary",
        "relation_code",
        "derived_relation_code",
        "status",
        "channel",
        "reasons",
        "guardian_consent",
        "monthly_limit_fen",
        "created_by",
        "created_at",
        "activated_at",
        "ended_at",
    )
    inlines = [BindingEventInline, EvidenceInline, ReconsentInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # bindings start at the window through /counter/bind/, never as a bare row

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Evidence)
class EvidenceAdmin(RegionScopedAdmin):
    """The review queue: open the file, then approve or reject with the actions. Approving files a
    change request for a second officer (maker-checker); rejecting takes effect at once."""

    region_paths = ("binding__sharer__region", "binding__beneficiary__region")

    list_display = ["uploaded_at", "binding", "content_type", "size", "review", "open_file"]
    list_filter = ["review"]
    list_select_related = ["binding__sharer", "binding__beneficiary"]
    fields = readonly_fields = (
        "binding",
        "open_file",
        "content_type",
        "size",
        "uploaded_by",
        "uploaded_at",
        "review",
        "reviewed_by",
        "reviewed_at",
        "review_note",
    )
    actions = ["approve", "reject"]

    @admin.display(description="文件")
    def open_file(self, obj: Evidence) -> str:
        url = reverse("admin:family_sharing_evidence_file", args=[obj.pk])
        return format_html('<a href="{}" target="_blank" rel="noopener">查看</a>', url)

    def get_urls(self) -> list[URLPattern]:
        """Evidence files are never public: they are streamed only to staff who may see the binding."""
        view = self.admin_site.admin_view(self.file_view)
        return [path("<uuid:pk>/file/", view, name="family_sharing_evidence_file"), *super().get_urls()]

    def file_view(self, request: HttpRequest, pk: str) -> FileResponse:
        evidence = self.get_queryset(request).filter(pk=pk).first()
        if evidence is None or not self.has_view_permission(request, evidence):
            raise Http404
        return document_response(evidence.file, content_type=evidence.content_type, name=str(evidence.pk))

    def _review(self, request: HttpRequest, queryset: QuerySet[Evidence], approve: bool) -> None:
        done = 0
        for evidence in queryset.filter(review=EvidenceReview.PENDING):
            try:
                binding_evidence_review(actor=request.user, evidence=evidence, approve=approve)  # type: ignore[arg-type]
                done += 1
            except ApplicationError as exc:
                self.message_user(request, f"{evidence}: {exc.message}（{exc.code}）", messages.ERROR)
        self.message_user(request, f"已处理 {done} 份材料")

    @admin.action(description="审核通过：提交另一位经办人复核，复核后绑定生效", permissions=["change"])
    def approve(self, request: HttpRequest, queryset: QuerySet[Evidence]) -> None:
        evidence_approval_file(request, queryset)

    @admin.action(description="审核不通过：绑定未通过", permissions=["change"])
    def reject(self, request: HttpRequest, queryset: QuerySet[Evidence]) -> None:
        self._review(request, queryset, approve=False)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(KinshipEdge)
class KinshipEdgeAdmin(KinshipEdgeChangeAdmin, RegionScopedAdmin):
    """Registry edges with at least one end in the officer's region; the raw-id fields accept
    persons of that region only (`RegionScopedAdmin.formfield_for_foreignkey`). Adding, changing or
    ending (an end date) an edge files a change request for a second officer (maker-checker)."""

    region_paths = ("a__region", "b__region")
    list_display = ["kind", "a", "b", "parent_kind", "valid_from", "valid_to", "source"]
    list_filter = ["kind", "parent_kind"]
    list_select_related = ["a", "b"]
    raw_id_fields = ["a", "b"]
    show_full_result_count = False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(PolicyVersion)
class PolicyVersionAdmin(RegionScopedAdmin):
    """Policy versions are per pooling region (DESIGN.md section 5): an officer keeps their own
    region's; the region field offers only that region."""

    region_paths = ("region",)
    list_display = ["region", "effective_from", "scope", "note"]
    list_filter = ["scope"]
    list_select_related = ["region"]
    search_fields = ["region__code", "region__name"]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


# The capabilities in subpackages (contributions: arrears cases and status changes; settlement)
# keep their admin there; imported here so that autodiscovery registers it.
from family_sharing.contributions import admin as contributions_admin  # noqa: E402, F401
from family_sharing.settlement import admin as settlement_admin  # noqa: E402, F401
from family_sharing.suggestions import admin as suggestions_admin  # noqa: E402, F401

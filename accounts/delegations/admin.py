"""Bureau staff's view of family-service delegations (region of the principal), their documents and
acts. Read-only but for one write: staff may revoke a live delegation with a reason (through
`delegation_revoke_by_staff`, which records who and why), and one add: for a child under 16 whose
guardian is not a registry parent, an officer who checked the documents opens the delegation
(`…/delegation/open-for-child/`, `delegation_open_by_staff`). Other delegations are added by the
agent and confirmed or revoked by the principal (or a child's registry guardian) on /family-service/."""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html

from accounts.admin_lookup import PersonFilteredAdmin
from accounts.delegations.errors import DelegationError as E
from accounts.delegations.forms import StaffOpenForm
from accounts.delegations.models import LIVE_DELEGATION, Delegation, DelegationAct, DelegationDocument
from accounts.delegations.services import delegation_open_by_staff, delegation_revoke_by_staff
from accounts.models import Person, Role, User
from portal.admin_helpers import (
    DocumentFilesAdmin,
    ReadOnlyAdmin,
    ReadOnlyInline,
    RegionScopedAdmin,
    UploadedDocumentInline,
    form_page,
    staff_region_id,
)
from portal.core.errors import REFUSED, ApplicationError, Reason


class DocumentInline(UploadedDocumentInline):
    model = DelegationDocument
    fields = readonly_fields = ("kind", "content_type", "size", "uploaded_at", "open_file")


class ActInline(ReadOnlyInline):
    model = DelegationAct
    fields = readonly_fields = ("at", "scope", "action", "detail")


class RevokeForm(forms.Form):
    reason = forms.CharField(
        label="撤销原因",
        max_length=200,
        required=False,  # the service refuses an empty reason with its own code
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="会告知代办人和成年委托人，例如：身份证件系伪造",
    )


@admin.register(Delegation)
class DelegationAdmin(PersonFilteredAdmin, DocumentFilesAdmin, ReadOnlyAdmin):
    list_display = ["created_at", "agent", "principal", "relation", "scopes", "status", "revoke_link"]
    list_filter = ["status"]
    list_select_related = ["agent", "principal", "relation"]
    show_full_result_count = False
    fields = readonly_fields = (
        "agent",
        "principal",
        "relation",
        "scopes",
        "status",
        "principal_minor",
        "created_at",
        "confirmed_at",
        "ended_at",
        "revoked_by",
        "revoke_reason",
        "opened_by",
        "documents_checked",
    )
    inlines = [DocumentInline, ActInline]
    document_model = DelegationDocument
    document_parent = "delegation"
    region_paths = ("principal__region",)
    person_paths = ("principal",)

    def _may_revoke(self, request: HttpRequest) -> bool:
        return request.user.has_perm("accounts.change_delegation")

    @admin.display(description="办理")
    def revoke_link(self, obj: Delegation) -> str:
        if obj.status not in LIVE_DELEGATION:
            return ""
        url = reverse("admin:accounts_delegation_revoke", args=[obj.pk])
        return format_html('<a href="{}">撤销授权</a>', url)

    def get_urls(self) -> list[URLPattern]:
        view = self.admin_site.admin_view(self.revoke_view)
        return [
            path(
                "open-for-child/",
                self.admin_site.admin_view(self.open_for_child_view),
                name="accounts_delegation_open_for_child",
            ),
            path("<uuid:delegation_id>/revoke/", view, name="accounts_delegation_revoke"),
            *super().get_urls(),
        ]

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> Any:
        """The list offers the officer's one add: opening a delegation for a child after checking documents."""
        tools = []
        if request.user.has_perm("accounts.add_delegation"):
            tools.append(
                {"url": reverse("admin:accounts_delegation_open_for_child"), "label": "为孩子开通亲情服务"}
            )
        return super().changelist_view(request, {**(extra_context or {}), "extra_tools": tools})

    def revoke_view(self, request: HttpRequest, delegation_id: Any) -> HttpResponse:
        """撤销授权: the reason is recorded on the delegation and sent to the people concerned."""
        if not self._may_revoke(request):
            raise Http404
        delegation = self.get_queryset(request).filter(pk=delegation_id).first()
        if delegation is None:
            raise Http404
        form = RevokeForm(request.POST or None)
        errors: list[Reason] = []
        if request.method == "POST" and form.is_valid():
            try:
                delegation_revoke_by_staff(
                    actor=request.user,  # type: ignore[arg-type]
                    delegation=delegation,
                    reason=form.cleaned_data["reason"],
                )
            except ApplicationError as error:
                errors = error.details or [Reason(error.code, error.message)]
            else:
                messages.success(request, "已撤销授权，并已通知代办人。")
                return HttpResponseRedirect(reverse("admin:accounts_delegation_changelist"))
        return form_page(
            request,
            self.admin_site,
            title=f"撤销亲情服务授权：{delegation}",
            intro="撤销后代办人立即不能再为委托人办理任何业务。",
            form=form,
            errors=errors,
            submit_label="撤销授权",
        )

    def open_for_child_view(self, request: HttpRequest) -> HttpResponse:
        """为孩子开通亲情服务: the officer has seen the documents; the child must be of their region."""
        if not request.user.has_perm("accounts.add_delegation"):
            raise Http404
        form = StaffOpenForm(request.POST or None)
        errors: list[Reason] = []
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                delegation = delegation_open_by_staff(
                    actor=request.user,  # type: ignore[arg-type]
                    principal=_person(
                        data["principal_card_number"],
                        data["principal_name"],
                        E.PRINCIPAL_NOT_FOUND,
                        region_id=staff_region_id(request),
                    ),
                    agent=_agent(data["agent_card_number"], data["agent_name"]),
                    relation_code=data["relation_code"],
                    scopes=data["scopes"],
                    documents_checked=data["documents_checked"],
                )
            except ApplicationError as error:
                errors = error.details or [Reason(error.code, error.message)]
            else:
                messages.success(request, "已开通，并已通知代办人和孩子户籍登记的父母。")
                return HttpResponseRedirect(reverse("admin:accounts_delegation_change", args=[delegation.pk]))
        return form_page(
            request,
            self.admin_site,
            title="为未满16周岁的孩子开通亲情服务",
            intro="只在核验过户口簿、出生医学证明、监护人身份证等证件后办理；"
            "孩子须属于您的统筹区。开通后立即生效，代办人和孩子户籍登记的父母都会收到通知。",
            form=form,
            errors=errors,
            submit_label="核验无误，开通",
        )


def _person(card_number: str, name: str, not_found: E, *, region_id: int | None = None) -> Person:
    """The holder of this card under this name (in `region_id` when given: another region's child is
    not found, as an unknown card is)."""
    people = Person.objects.filter(card_number=card_number.strip().upper(), name=name.strip())
    person = (people if region_id is None else people.filter(region_id=region_id)).first()
    if person is None:
        raise ApplicationError.of(REFUSED, not_found)
    return person


def _agent(card_number: str, name: str) -> User:
    person = _person(card_number, name, E.AGENT_NOT_FOUND)
    user = User.objects.filter(person=person, role=Role.RESIDENT).first()
    if user is None:
        raise ApplicationError.of(REFUSED, E.AGENT_NOT_FOUND)
    return user


@admin.register(DelegationAct)
class DelegationActAdmin(ReadOnlyAdmin, RegionScopedAdmin):
    list_display = ["at", "agent", "principal", "scope", "action"]
    list_filter = ["scope"]
    list_select_related = ["agent", "principal"]
    fields = readonly_fields = ("delegation", "agent", "principal", "scope", "action", "detail", "at")
    region_paths = ("principal__region",)

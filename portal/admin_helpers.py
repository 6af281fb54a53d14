"""Pieces the apps' admin classes share: the staff member's pooling region, read-only admins and
inlines, and uploaded documents streamed only to staff who may see the record they belong to (they
are never served as public media)."""

from typing import Any

from django.contrib import admin
from django.db.models import Model
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html
from simple_history.admin import SimpleHistoryAdmin

from accounts.models import User


def form_page(request: HttpRequest, admin_site: admin.AdminSite, **context: Any) -> HttpResponse:
    """An admin page with one form that calls a service (title, intro, form, errors, submit_label);
    a refusal's reasons are listed with their codes."""
    return render(request, "admin/form_page.html", {**admin_site.each_context(request), **context})


def staff_region_id(request: HttpRequest) -> int | None:
    """None for a superuser (every region); else the staff member's region (-1 matches nothing)."""
    user: User = request.user  # type: ignore[assignment]
    return None if user.is_superuser else (user.region_id or -1)


class LabelledAutocomplete:
    """For an admin with `autocomplete_fields`: names each autocomplete box by its field's label, which
    Django's select2 box lacks when empty (static/js/admin-autocomplete-label.js)."""

    class Media:
        js = ("js/admin-autocomplete-label.js",)


class ScopedHistoryAdmin(SimpleHistoryAdmin):
    """django-simple-history's history page, for the objects this admin's own queryset shows the
    viewer only (bureau staff: their region). The library looks the object up in its history when
    the queryset does not hold it, which would show another region's records; here that is 404, as
    an unknown or malformed id is."""

    def history_view(self, request: HttpRequest, object_id: str, extra_context: Any = None) -> HttpResponse:
        obj = self.get_object(request, object_id)
        if obj is None:
            raise Http404
        self.history_opened(request, obj)
        return super().history_view(request, object_id, extra_context)

    def history_opened(self, request: HttpRequest, obj: Model) -> None:
        """Called before the history page of `obj` is shown (to record the view, say)."""


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records that only the system writes (ledger, audit logs, acts) or that change only through a
    service called from a view of their own."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


def _document_url_name(parent: type[Model]) -> str:
    return f"{parent._meta.app_label}_{parent._meta.model_name}_document"


class UploadedDocumentInline(ReadOnlyInline):
    """The uploaded documents of a record, each with a link that streams it through the record's
    admin (`DocumentFilesAdmin`)."""

    @admin.display(description="文件")
    def open_file(self, obj: Any) -> str:
        url = reverse(f"admin:{_document_url_name(self.parent_model)}", args=[obj.pk])
        return format_html('<a href="{}" target="_blank" rel="noopener">打开</a>', url)


class DocumentFilesAdmin(admin.ModelAdmin):
    """A ModelAdmin whose records own uploaded documents (`document_model`, pointing at the record
    through `document_parent`): `document/<id>/` streams one, and only when its record is in this
    staff member's queryset (their region)."""

    document_model: type[Model]
    document_parent: str

    def get_urls(self) -> list[URLPattern]:
        view = self.admin_site.admin_view(self.document_view)
        own = [path("document/<uuid:document_id>/", view, name=_document_url_name(self.model))]
        return own + super().get_urls()

    def document_view(self, request: HttpRequest, document_id: Any) -> FileResponse:
        if not self.has_view_permission(request):
            raise Http404
        visible = self.get_queryset(request)
        document = self.document_model._default_manager.filter(
            pk=document_id, **{f"{self.document_parent}__in": visible}
        ).first()
        if document is None:
            raise Http404
        file = document.file  # type: ignore[attr-defined]
        return FileResponse(file.open("rb"), content_type=document.content_type)  # type: ignore[attr-defined]

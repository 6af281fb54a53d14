"""Pieces the apps' admin classes share: the one region rule (`RegionScopedAdmin` and its history
pages), national reference data only superusers change, read-only admins and inlines, and uploaded
documents streamed only to staff who may see the record they belong to (they are never served as
public media)."""

from collections.abc import Sequence
from typing import Any

from django.contrib import admin
from django.contrib.admin.utils import flatten_fieldsets
from django.core.exceptions import ImproperlyConfigured
from django.db.models import Model, Q, QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import render
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html
from simple_history.admin import SimpleHistoryAdmin

from accounts.models import PoolingRegion, Role, User
from portal.core.uploads import document_response


def form_page(request: HttpRequest, admin_site: admin.AdminSite, **context: Any) -> HttpResponse:
    """An admin page with one form that calls a service (title, intro, form, errors, submit_label);
    a refusal's reasons are listed with their codes."""
    return render(request, "admin/form_page.html", {**admin_site.each_context(request), **context})


def staff_region_id(request: HttpRequest) -> int | None:
    """None for a superuser (every region); else the bureau officer's region (-1 matches nothing:
    staff of no region, or of another role, see no one) — the rule of `person_list_for_staff`."""
    user: User = request.user  # type: ignore[assignment]
    if user.is_superuser:
        return None
    return user.region_id if user.role == Role.BUREAU and user.region_id else -1


def region_q(paths: Sequence[str], region_id: int) -> Q:
    """Rows reaching `region_id` through any of `paths` (ORM paths ending at a PoolingRegion)."""
    condition = Q()
    for region_path in paths:
        condition |= Q(**{f"{region_path}_id": region_id})
    return condition


class RegionScopedAdmin(admin.ModelAdmin):
    """The one region rule of the admin (DESIGN.md section 3): a bureau officer sees and changes only
    rows of their own pooling region; a superuser sees all. Each admin names how its model reaches a
    region in `region_paths` (forward foreign-key paths to a PoolingRegion, so no row repeats; a row
    is visible when any of them is the officer's region, e.g. a binding through its sharer or its
    beneficiary). Django's changelist, change, delete and history pages, actions and every custom
    view of these admins look rows up through `get_queryset` only, so the rule is stated once.
    Foreign-key choices (selects, raw-id and autocomplete fields) are limited the same way: to rows
    the related model's scoped admin shows, and to the officer's own region for a region field."""

    region_paths: tuple[str, ...] = ()

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        qs = super().get_queryset(request)
        if not self.region_paths:
            raise ImproperlyConfigured(f"{type(self).__name__} names no region_paths")
        region = staff_region_id(request)
        return qs if region is None else qs.filter(region_q(self.region_paths, region))

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if field is not None and field.queryset is not None:
            field.queryset = visible_choices(request, self.admin_site, field.queryset)
        return field

    def formfield_for_manytomany(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        field = super().formfield_for_manytomany(db_field, request, **kwargs)
        if field is not None and field.queryset is not None:
            field.queryset = visible_choices(request, self.admin_site, field.queryset)
        return field


def visible_choices(request: HttpRequest, site: admin.AdminSite, choices: QuerySet[Any]) -> QuerySet[Any]:
    """The choices of a foreign key the officer may pick: their own region for a region, the rows a
    scoped admin of the related model shows them, anything else unchanged (reference data)."""
    region = staff_region_id(request)
    if region is None:
        return choices
    if choices.model is PoolingRegion:
        return choices.filter(pk=region)
    related = site._registry.get(choices.model)
    if isinstance(related, RegionScopedAdmin):
        return choices.filter(pk__in=related.get_queryset(request).values("pk"))
    return choices


class LabelledAutocomplete:
    """For an admin with `autocomplete_fields`: names each autocomplete box by its field's label, which
    Django's select2 box lacks when empty (static/js/admin-autocomplete-label.js)."""

    class Media:
        js = ("js/admin-autocomplete-label.js",)


_HISTORY_FORM = "_portal_history_form"


class RegionScopedHistoryAdmin(RegionScopedAdmin, SimpleHistoryAdmin):
    """django-simple-history's pages under the region rule. The library looks an object up in its
    history table when the queryset does not hold it, which would show another region's records (the
    list of changes and the form of one version); here both are 404 unless `get_queryset` holds the
    object, as an unknown or malformed id is. One version's page is read-only (reverting is off,
    SIMPLE_HISTORY_REVERT_DISABLED, and the page answers GET only: the library would save a POST
    even with its button hidden) and shows the fields of `history_masked_fields` through the named
    display methods (masked), never in full."""

    history_masked_fields: dict[str, str] = {}

    def history_view(self, request: HttpRequest, object_id: str, extra_context: Any = None) -> HttpResponse:
        obj = self.get_object(request, object_id)
        if obj is None:
            raise Http404
        self.history_opened(request, obj)
        return super().history_view(request, object_id, extra_context)

    def history_form_view(
        self, request: HttpRequest, object_id: str, version_id: str, extra_context: Any = None
    ) -> HttpResponse:
        obj = self.get_object(request, object_id)
        if obj is None or not str(version_id).isdigit():
            raise Http404
        if request.method not in ("GET", "HEAD"):
            return HttpResponseNotAllowed(["GET"])
        history = getattr(self.model, self.model._meta.simple_history_manager_attribute)
        if not history.filter(**{self.model._meta.pk.attname: obj.pk, "history_id": version_id}).exists():
            raise Http404
        self.history_opened(request, obj)
        setattr(request, _HISTORY_FORM, True)
        return super().history_form_view(request, str(obj.pk), version_id, extra_context)

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        fieldsets = super().get_fieldsets(request, obj)
        if not getattr(request, _HISTORY_FORM, False):
            return fieldsets
        return [
            (name, {**options, "fields": _masked(options["fields"], self.history_masked_fields)})
            for name, options in fieldsets
        ]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if getattr(request, _HISTORY_FORM, False):
            return flatten_fieldsets(self.get_fieldsets(request, obj))
        return super().get_readonly_fields(request, obj)

    def history_opened(self, request: HttpRequest, obj: Model) -> None:
        """Called before a history page of `obj` is shown (to record the view, say)."""


def _masked(fields: Sequence[Any], masks: dict[str, str]) -> list[Any]:
    return [
        tuple(masks.get(f, f) for f in field) if isinstance(field, (list, tuple)) else masks.get(field, field)
        for field in fields
    ]


class ReferenceDataAdmin(admin.ModelAdmin):
    """National reference data (provinces, pooling regions and their cross-province switch,
    institutions, employers, relation codes): bureau staff may look it up, only a superuser adds,
    changes or deletes it (DESIGN.md section 3)."""

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return request.user.is_superuser

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.is_superuser

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.is_superuser

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Any], search_term: str
    ) -> tuple[QuerySet[Any], bool]:
        """An autocomplete box offers what the form would accept: an officer's own region only."""
        results, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        match = request.resolver_match
        if match is not None and match.url_name == "autocomplete":
            results = visible_choices(request, self.admin_site, results)
        return results, may_have_duplicates


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


class DocumentFilesAdmin(RegionScopedAdmin):
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
        return document_response(file, content_type=document.content_type, name=str(document.pk))  # type: ignore[attr-defined]

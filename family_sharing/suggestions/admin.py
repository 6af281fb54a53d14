"""The log of suggested-relative listings for bureau staff: read-only, the listings of residents of
the officer's own region, names masked."""

from django.contrib import admin

from accounts.admin_lookup import PersonFilteredAdmin
from accounts.models import Person
from family_sharing.suggestions.models import SuggestionListing
from portal.admin_helpers import ReadOnlyAdmin, RegionScopedAdmin
from portal.core.masking import mask_name


@admin.register(SuggestionListing)
class SuggestionListingAdmin(PersonFilteredAdmin, ReadOnlyAdmin, RegionScopedAdmin):
    region_paths = ("viewer__person__region",)
    person_paths = ("viewer__person",)
    list_display = ["listed_at", "viewer_masked", "surface", "count"]
    list_filter = ["surface"]
    list_select_related = ["viewer__person"]
    show_full_result_count = False
    date_hierarchy = "listed_at"
    fields = readonly_fields = ("listed_at", "viewer_masked", "surface", "count", "relatives_masked")

    @admin.display(description="查看人")
    def viewer_masked(self, obj: SuggestionListing) -> str:
        person = obj.viewer.person
        return person.name_masked if person is not None else str(obj.viewer)

    @admin.display(description="列出人数")
    def count(self, obj: SuggestionListing) -> int:
        return obj.count

    @admin.display(description="列出的亲属")
    def relatives_masked(self, obj: SuggestionListing) -> str:
        names = dict(Person.objects.filter(pk__in=obj.relatives).values_list("pk", "name"))
        return "、".join(mask_name(names.get(pk)) or "—" for pk in obj.relatives)

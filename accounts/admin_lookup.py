"""Finding records in the admin by identity or card number without putting the number in a URL:
`?q=<number>` would land in every access log and proxy log on the way. The number is POSTed to the
list's `lookup/`, looked up (identity numbers through their keyed hash) among the persons of the
officer's region only, and the officer is redirected to the person's id: the person's page, or a
list filtered to that person (`?person=<id>`). A number that is unknown and one of another region
get the same answer, so the form tells nobody who is insured elsewhere. Free-text search `?q=`
matches no number: the person list searches names, the other lists nothing personal."""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext, gettext_lazy

from accounts.identity import id_number_problem, normalize_card_number, normalize_id_number
from accounts.models import Person
from portal.core import crypto

CARD_SHAPE_LENGTH = 9


class PersonLookupForm(forms.Form):
    number = forms.CharField(
        label=gettext_lazy("身份证号或社会保障卡号"),
        max_length=32,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )


def person_matching(persons: QuerySet[Person], raw: str) -> Person | None:
    """The person among `persons` with this full identity number or card number, or None."""
    if id_number_problem(raw) is None:
        return persons.filter(id_hash=crypto.lookup_hash(normalize_id_number(raw))).first()
    card = normalize_card_number(raw)
    if len(card) == CARD_SHAPE_LENGTH and card[0].isalpha() and card[1:].isdigit():
        return persons.filter(card_number=card).first()
    return None


class LookupFormAdmin(admin.ModelAdmin):
    """A changelist with the number look-up form (templates/admin/person_lookup_change_list.html)
    posting to `lookup/`; `found` says where a person found goes."""

    change_list_template = "admin/person_lookup_change_list.html"

    def get_urls(self) -> list[URLPattern]:
        view = self.admin_site.admin_view(self.lookup_view)
        name = f"{self.opts.app_label}_{self.opts.model_name}_lookup"
        return [path("lookup/", view, name=name), *super().get_urls()]

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> Any:
        lookup = {
            "lookup_form": PersonLookupForm(),
            "lookup_url": reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_lookup"),
        }
        return super().changelist_view(request, {**(extra_context or {}), **lookup})

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Any], search_term: str
    ) -> tuple[QuerySet[Any], bool]:
        """A term with a digit in it (a number, or part of one) matches nothing."""
        if any(character.isdigit() for character in search_term):
            return queryset.none(), False
        return super().get_search_results(request, queryset, search_term)

    def lookup_view(self, request: HttpRequest) -> HttpResponse:
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        changelist = reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_changelist")
        form = PersonLookupForm(request.POST)
        person = None
        if self.has_view_or_change_permission(request) and form.is_valid():
            persons = self.admin_site.get_model_admin(Person).get_queryset(request)
            person = person_matching(persons, form.cleaned_data["number"])
        if person is None:
            messages.error(request, gettext("在您的统筹区内未找到该身份证号或社会保障卡号对应的参保人。"))
            return HttpResponseRedirect(changelist)
        return HttpResponseRedirect(self.found(person, changelist))

    def found(self, person: Person, changelist: str) -> str:
        return f"{changelist}?{PersonListFilter.parameter_name}={person.pk}"


class PersonLookupAdmin(LookupFormAdmin):
    """The person list: a person found opens their page."""

    def found(self, person: Person, changelist: str) -> str:
        return reverse("admin:accounts_person_change", args=[person.pk])


class PersonListFilter(admin.SimpleListFilter):
    """`?person=<id>`: the rows of one person (as the admin's `person_paths` reach persons), where
    the look-up form sends the officer. The rows are the admin's region-scoped queryset still."""

    title = gettext_lazy("参保人")
    parameter_name = "person"

    def __init__(self, request: HttpRequest, params: Any, model: Any, model_admin: Any) -> None:
        self.person_paths: tuple[str, ...] = model_admin.person_paths
        self.persons = model_admin.admin_site.get_model_admin(Person).get_queryset(request)
        super().__init__(request, params, model, model_admin)

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        value = self.value()
        if not value:
            return []
        person = self.persons.filter(pk=value).first() if value.isdigit() else None
        return [(value, str(person) if person else value)]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        value = self.value()
        if not value:
            return queryset
        if not value.isdigit():
            return queryset.none()
        condition = Q()
        for person_path in self.person_paths:
            condition |= Q(**{f"{person_path}_id": int(value)})
        return queryset.filter(condition)


class PersonFilteredAdmin(LookupFormAdmin):
    """A list of records of persons (`person_paths`: forward paths to a Person), found by a person's
    number through the look-up form, never through `?q=`."""

    person_paths: tuple[str, ...] = ()
    search_fields = ()

    def get_list_filter(self, request: HttpRequest) -> Any:
        return [PersonListFilter, *super().get_list_filter(request)]

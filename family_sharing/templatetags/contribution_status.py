"""`{% status_explanation person as explanation %}`: what /me/ says about arrears and interruption.

A tag rather than a change to accounts' view: accounts depends on nothing of ours, and the page only
renders what family_sharing.contributions.selectors answers."""

from django import template

from accounts.models import Person
from family_sharing.contributions.selectors import StatusExplanation, status_explanation_get

register = template.Library()


@register.simple_tag
def status_explanation(person: Person) -> StatusExplanation:
    return status_explanation_get(person=person)

"""Writes of suggested relatives: the logged listing, and binding a suggested relative with one tap
through the usual eligibility check and binding request (consent, verification)."""

from django.db import transaction

from accounts.models import User
from family_sharing.eligibility import binding_eligibility, relation_facts
from family_sharing.models import Binding, Channel
from family_sharing.services import binding_request_eligible
from family_sharing.suggestions.models import SuggestionListing
from family_sharing.suggestions.selectors import Suggestions, suggestion_get, suggestion_list
from portal.core.time import today


def suggestion_list_logged(*, viewer: User, surface: str) -> Suggestions:
    """The viewer's suggested relatives, and the log row of this listing (who, when, where, whom):
    one INSERT after the reads, atomic on its own."""
    suggestions = suggestion_list(viewer=viewer)
    SuggestionListing.objects.create(
        viewer=viewer, surface=surface, relatives=[s.person.pk for s in suggestions.items]
    )
    return suggestions


@transaction.atomic
def binding_request_suggested(*, actor: User, suggestion_id: str, channel: str = Channel.WEB) -> Binding:
    """The caller binds a relative the registry records for them, named by a `suggestion_id` of
    their own listing: the relation is the derived one, nothing is typed. Then exactly as
    `binding_request`: every reason of the eligibility engine (422), 409 `duplicate_binding` when
    already bound, else pending the relative's consent (or verification, for a guardian)."""
    suggestion = suggestion_get(viewer=actor, suggestion_id=suggestion_id)
    relation = relation_facts(suggestion.relation.code)
    result = binding_eligibility(
        sharer=actor.person, beneficiary=suggestion.person, relation=relation, as_of=today()
    )
    return binding_request_eligible(
        actor=actor,
        beneficiary=suggestion.person,
        relation_code=relation.code,
        result=result,
        channel=channel,
    )

"""What a young person is asked to confirm: their open re-consent requests, and nobody else's."""

import uuid

from django.db.models import QuerySet

from accounts.models import User
from family_sharing.models import BindingStatus
from family_sharing.reconsent.models import ReconsentRequest

OPEN_STATUSES = (BindingStatus.ACTIVE, BindingStatus.SUSPENDED)


def reconsent_open_list(*, viewer: User) -> QuerySet[ReconsentRequest]:
    """The viewer's unanswered requests as beneficiary, on bindings still in effect, oldest first."""
    if viewer.person_id is None:
        return ReconsentRequest.objects.none()
    return (
        ReconsentRequest.objects.filter(
            binding__beneficiary_id=viewer.person_id, answer="", binding__status__in=OPEN_STATUSES
        )
        .select_related("binding__sharer", "binding__beneficiary", "binding__relation_code")
        .order_by("requested_on", "binding_id")
    )


def reconsent_open_get(*, viewer: User, binding_id: uuid.UUID | str) -> ReconsentRequest | None:
    try:
        key = uuid.UUID(str(binding_id))
    except ValueError:
        return None
    return reconsent_open_list(viewer=viewer).filter(binding_id=key).first()

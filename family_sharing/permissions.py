"""Who may call the family-sharing API: residents who are an insured person, and counter staff
(hospital and pharmacy medical-insurance offices, bureau windows). Anyone else gets 403."""

from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.views import APIView

from accounts.models import Role, User
from accounts.services import STAFF_ROLES


class IsResidentWithPerson(BasePermission):
    """A signed-in resident tied to an imported person (the sharer or beneficiary of bindings)."""

    def has_permission(self, request: Request, view: APIView) -> bool:
        user = request.user
        return (
            isinstance(user, User)
            and user.is_authenticated
            and user.role == Role.RESIDENT
            and user.person_id is not None
        )


class IsCounterStaff(BasePermission):
    """Hospital, pharmacy or bureau staff (their token was issued only after the one-time code)."""

    def has_permission(self, request: Request, view: APIView) -> bool:
        user = request.user
        return isinstance(user, User) and user.is_authenticated and user.role in STAFF_ROLES

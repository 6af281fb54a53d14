"""Family-service API: the caller's delegations (as agent, as principal, and as registry guardian of
a child under 16), adding one (multipart, with the identity document and, for a child of the
caller, a face photo; the principal look-up is rate-limited per user and per address), the
principal's confirmation, revocation (the principal, or a guardian with a reason), and the rights
summary for an agent with `view_rights`: 404, whatever the reason, unless the caller is the agent of
an active delegation granting it."""

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.delegations.models import Delegation, Scope
from accounts.delegations.selectors import delegation_for_agent, delegation_get, delegation_list
from accounts.delegations.services import (
    delegation_confirm,
    delegation_create,
    delegation_revoke,
    delegation_rights_view,
)
from accounts.models import Role, User
from portal.core import ratelimit
from portal.core.errors import NOT_FOUND, ApplicationError
from portal.schema import error_responses

DELEGATION_ID = OpenApiParameter("delegation_id", OpenApiTypes.UUID, OpenApiParameter.PATH)
TAGS = ["family service"]


class IsResident(BasePermission):
    def has_permission(self, request: Request, view: APIView) -> bool:
        user = request.user
        return isinstance(user, User) and user.role == Role.RESIDENT and user.person_id is not None


def _actor(request: Request) -> User:
    assert isinstance(request.user, User)
    return request.user


def _visible(request: Request, delegation_id: str) -> Delegation:
    delegation = delegation_get(viewer=_actor(request), delegation_id=delegation_id)
    if delegation is None:
        raise ApplicationError(NOT_FOUND)
    return delegation


class DelegationSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    status = serializers.CharField()
    role = serializers.SerializerMethodField()
    scopes = serializers.ListField(child=serializers.CharField())
    relation_code = serializers.CharField(source="relation_id")
    agent_name_masked = serializers.SerializerMethodField()
    principal_name_masked = serializers.CharField(source="principal.name_masked")
    principal_minor = serializers.BooleanField()
    created_at = serializers.DateTimeField()
    confirmed_at = serializers.DateTimeField(allow_null=True)
    ended_at = serializers.DateTimeField(allow_null=True)
    revoke_reason = serializers.CharField(
        help_text="the reason bureau staff or a guardian gave when they revoked it, else empty"
    )
    revoked_by = serializers.SerializerMethodField(
        help_text="who revoked it: principal, agent, guardian or staff; empty while it is live"
    )

    def get_role(self, obj: Delegation) -> str:
        """agent, principal, or guardian (a registry parent of a principal under 16)."""
        viewer = self.context.get("viewer")
        if viewer is not None and obj.agent_id == viewer.pk:
            return "agent"
        if viewer is not None and obj.principal_id == viewer.person_id:
            return "principal"
        return "guardian"

    def get_revoked_by(self, obj: Delegation) -> str:
        by = obj.revoked_by
        if by is None:
            return ""
        if by.role != Role.RESIDENT:
            return "staff"
        if by.pk == obj.agent_id:
            return "agent"
        return "principal" if by.person_id == obj.principal_id else "guardian"

    def get_agent_name_masked(self, obj: Delegation) -> str:
        person = obj.agent.person
        return person.name_masked if person is not None else ""


def _out(request: Request, delegation: Delegation, code: int = status.HTTP_200_OK) -> Response:
    return Response(DelegationSerializer(delegation, context={"viewer": _actor(request)}).data, status=code)


class DelegationListCreateApi(APIView):
    permission_classes = [IsResident]
    parser_classes = [MultiPartParser, JSONParser]

    class InputSerializer(serializers.Serializer):
        principal_name = serializers.CharField(max_length=50)
        principal_card_number = serializers.CharField(max_length=16)
        relation_code = serializers.CharField(max_length=8)
        scopes = serializers.ListField(child=serializers.CharField(max_length=32), allow_empty=True)
        id_document = serializers.FileField(required=False)
        face_photo = serializers.FileField(required=False)

    @extend_schema(
        tags=TAGS, responses={200: DelegationSerializer(many=True)}, operation_id="delegations_list"
    )
    def get(self, request: Request) -> Response:
        rows = delegation_list(viewer=_actor(request))
        return Response(DelegationSerializer(rows, many=True, context={"viewer": _actor(request)}).data)

    @extend_schema(
        tags=TAGS,
        request={"multipart/form-data": InputSerializer},
        responses={201: DelegationSerializer, **error_responses(400, 409, 422, 429)},
        operation_id="delegations_create",
    )
    def post(self, request: Request) -> Response:
        data: Any = request.data
        scopes = data.getlist("scopes") if hasattr(data, "getlist") else data.get("scopes", [])
        form = self.InputSerializer(data={**{k: data.get(k) for k in data}, "scopes": scopes})
        form.is_valid(raise_exception=True)
        v = form.validated_data
        ratelimit.hit("delegation_lookup", request=request, key=str(_actor(request).pk))
        delegation = delegation_create(
            actor=_actor(request),
            principal_name=v["principal_name"],
            principal_card_number=v["principal_card_number"],
            relation_code=v["relation_code"],
            scopes=v["scopes"],
            id_document=v.get("id_document"),
            face_photo=v.get("face_photo"),
        )
        return _out(request, delegation, status.HTTP_201_CREATED)


class DelegationConfirmApi(APIView):
    permission_classes = [IsResident]

    class InputSerializer(serializers.Serializer):
        accept = serializers.BooleanField()

    @extend_schema(
        tags=TAGS,
        parameters=[DELEGATION_ID],
        request=InputSerializer,
        responses={200: DelegationSerializer, **error_responses(403, 404, 409)},
        operation_id="delegations_confirm",
    )
    def post(self, request: Request, delegation_id: str) -> Response:
        form = self.InputSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        delegation = _visible(request, delegation_id)
        delegation = delegation_confirm(
            actor=_actor(request), delegation=delegation, accept=form.validated_data["accept"]
        )
        return _out(request, delegation)


class DelegationRevokeApi(APIView):
    permission_classes = [IsResident]

    class InputSerializer(serializers.Serializer):
        reason = serializers.CharField(
            max_length=200,
            required=False,
            allow_blank=True,
            help_text="required of a guardian ending a delegation they are neither side of",
        )

    @extend_schema(
        tags=TAGS,
        parameters=[DELEGATION_ID],
        request=InputSerializer,
        responses={200: DelegationSerializer, **error_responses(400, 403, 404, 409)},
        operation_id="delegations_revoke",
    )
    def post(self, request: Request, delegation_id: str) -> Response:
        form = self.InputSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        delegation = delegation_revoke(
            actor=_actor(request),
            delegation=_visible(request, delegation_id),
            reason=form.validated_data.get("reason", ""),
        )
        return _out(request, delegation)


class DelegationRightsApi(APIView):
    """权益单 of the principal (scope `view_rights`); the look is recorded as an act."""

    permission_classes = [IsResident]

    class OutputSerializer(serializers.Serializer):
        name_masked = serializers.CharField()
        insurance_type = serializers.CharField()
        status = serializers.CharField()
        balance_fen = serializers.IntegerField(allow_null=True)
        sections = serializers.ListField(child=serializers.DictField())

    @extend_schema(
        tags=TAGS,
        parameters=[DELEGATION_ID],
        responses={200: OutputSerializer, **error_responses(403, 404)},
        operation_id="delegations_rights",
    )
    def get(self, request: Request, delegation_id: str) -> Response:
        delegation = delegation_for_agent(
            viewer=_actor(request), delegation_id=delegation_id, scope=Scope.VIEW_RIGHTS
        )
        if delegation is None:  # the same 404 for no such id, someone else's, not active, another scope
            raise ApplicationError(NOT_FOUND)
        summary = delegation_rights_view(actor=_actor(request), delegation=delegation)
        person = summary.person
        out = {
            "name_masked": person.name_masked,
            "insurance_type": person.insurance_type,
            "status": person.status,
            "balance_fen": summary.balance_fen,
            "sections": [
                {"title": title, "rows": [{"label": label, "value": value} for label, value in rows]}
                for title, rows in summary.sections
            ],
        }
        return Response(self.OutputSerializer(out).data)

"""Family-service API: the caller's delegations (as agent and as principal), adding one (multipart,
with the identity document and, for a principal under 16, a face photo), the principal's
confirmation and revocation, and the rights summary for an agent with `view_rights`. Acting beyond
a delegation's scope is 403 `permission_denied` with the specific reason in `details`."""

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.delegations.models import Delegation
from accounts.delegations.selectors import delegation_get, delegation_list
from accounts.delegations.services import (
    delegation_confirm,
    delegation_create,
    delegation_revoke,
    delegation_rights_view,
)
from accounts.models import Role, User
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
    revoke_reason = serializers.CharField(help_text="bureau staff's reason when they revoked it, else empty")

    def get_role(self, obj: Delegation) -> str:
        viewer = self.context.get("viewer")
        return "agent" if viewer is not None and obj.agent_id == viewer.pk else "principal"

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
        responses={201: DelegationSerializer, **error_responses(400, 409, 422)},
        operation_id="delegations_create",
    )
    def post(self, request: Request) -> Response:
        data: Any = request.data
        scopes = data.getlist("scopes") if hasattr(data, "getlist") else data.get("scopes", [])
        form = self.InputSerializer(data={**{k: data.get(k) for k in data}, "scopes": scopes})
        form.is_valid(raise_exception=True)
        v = form.validated_data
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

    @extend_schema(
        tags=TAGS,
        parameters=[DELEGATION_ID],
        request=None,
        responses={200: DelegationSerializer, **error_responses(403, 404, 409)},
        operation_id="delegations_revoke",
    )
    def post(self, request: Request, delegation_id: str) -> Response:
        delegation = delegation_revoke(actor=_actor(request), delegation=_visible(request, delegation_id))
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
        summary = delegation_rights_view(actor=_actor(request), delegation=_visible(request, delegation_id))
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

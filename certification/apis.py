"""Certification API: the resident's standing (API.md section 2) and the channel callbacks
(API.md section 4). The callbacks are authenticated by their signature alone: no session, no token,
no CSRF (DRF's APIView is csrf-exempt and these views have no authentication classes)."""

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.parsers import BaseParser
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.delegations.models import Scope
from accounts.delegations.selectors import delegation_for_agent
from accounts.models import User
from certification.callbacks import callback_receive
from certification.selectors import standing_get
from certification.services import certification_session_start
from portal.core.errors import FORBIDDEN, NOT_FOUND, ApplicationError
from portal.core.time import now
from portal.schema import error_responses


class CertificationStandingApi(APIView):
    """Where the caller stands: cycle, status, last certification, pension payment status."""

    class OutputSerializer(serializers.Serializer):
        pensioner = serializers.BooleanField()
        cycle_start = serializers.DateField(allow_null=True)
        cycle_end = serializers.DateField(allow_null=True)
        status = serializers.ChoiceField(choices=["certified", "due", "overdue", "not_applicable"])
        last_certified_at = serializers.DateTimeField(allow_null=True)
        pension_status = serializers.ChoiceField(choices=["paying", "suspended"], allow_null=True)

    @extend_schema(
        tags=["certification"],
        responses={200: OutputSerializer, **error_responses(401, 403)},
        operation_id="certification_standing",
    )
    def get(self, request: Request) -> Response:
        user = request.user
        assert isinstance(user, User)
        if user.person is None:  # staff have no certification of their own
            raise ApplicationError(FORBIDDEN)
        standing = standing_get(person=user.person)
        out = {
            "pensioner": standing.cycle.pensioner,
            "cycle_start": standing.cycle.start,
            "cycle_end": standing.cycle.end,
            "status": standing.cycle.status,
            "last_certified_at": standing.last_certified_at,
            "pension_status": standing.pension_status,
        }
        return Response(self.OutputSerializer(out).data)


class RawBodyParser(BaseParser):
    """The callback body is verified as raw bytes; nothing parses it before the signature passes."""

    media_type = "*/*"

    def parse(self, stream: Any, media_type: Any = None, parser_context: Any = None) -> Any:
        return stream.read() if stream is not None else b""


class CallbackInputSerializer(serializers.Serializer):
    reference = serializers.CharField(max_length=64)
    id_number = serializers.CharField()
    result = serializers.ChoiceField(choices=["pass", "fail"])
    method = serializers.ChoiceField(choices=["face_blink", "face_digits"])
    certified_at = serializers.DateTimeField()


class CertificationCallbackApi(APIView):
    authentication_classes: list[type] = []
    permission_classes = [AllowAny]
    parser_classes = [RawBodyParser]

    class OutputSerializer(serializers.Serializer):
        certification_id = serializers.UUIDField()
        recorded = serializers.BooleanField(help_text="false when the reference was recorded before")
        result = serializers.CharField()

    @extend_schema(
        tags=["certification callbacks"],
        request=CallbackInputSerializer,
        parameters=[
            OpenApiParameter("channel", OpenApiTypes.STR, OpenApiParameter.PATH),
            OpenApiParameter("X-Timestamp", OpenApiTypes.STR, OpenApiParameter.HEADER, required=True),
            OpenApiParameter("X-Nonce", OpenApiTypes.STR, OpenApiParameter.HEADER, required=True),
            OpenApiParameter("X-Signature", OpenApiTypes.STR, OpenApiParameter.HEADER, required=True),
        ],
        responses={
            200: OutputSerializer,
            **error_responses(400, 401, 404, 409, 422),
        },
        operation_id="certification_callback",
    )
    def post(self, request: Request, channel: str) -> Response:
        recorded = callback_receive(
            channel=channel,
            timestamp=request.headers.get("X-Timestamp", ""),
            nonce=request.headers.get("X-Nonce", ""),
            signature=request.headers.get("X-Signature", ""),
            body=request.body,
            now=now(),
        )
        cert = recorded.certification
        out = {"certification_id": cert.pk, "recorded": recorded.created, "result": cert.result}
        return Response(self.OutputSerializer(out).data)


class CertificationSessionStartApi(APIView):
    """An agent with a `certify` delegation starts the principal's certification (the face check on
    an online channel stays the principal's; its callback completes the session). 404 unless the
    caller is the agent of an active delegation granting `certify` (the same answer for an unknown
    id, someone else's, a pending or revoked one, another scope); 403 `permission_denied` with
    `no_delegation` only when it ends between the look-up and the act."""

    class InputSerializer(serializers.Serializer):
        delegation_id = serializers.CharField(max_length=64)

    class OutputSerializer(serializers.Serializer):
        id = serializers.UUIDField()
        status = serializers.CharField()
        principal_name_masked = serializers.CharField(source="person.name_masked")
        created_at = serializers.DateTimeField()

    @extend_schema(
        tags=["certification"],
        request=InputSerializer,
        responses={201: OutputSerializer, **error_responses(400, 403, 404, 422)},
        operation_id="certification_session_start",
    )
    def post(self, request: Request) -> Response:
        form = self.InputSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        user = request.user
        assert isinstance(user, User)
        delegation = delegation_for_agent(
            viewer=user, delegation_id=form.validated_data["delegation_id"], scope=Scope.CERTIFY
        )
        if delegation is None:
            raise ApplicationError(NOT_FOUND)
        session = certification_session_start(actor=user, delegation=delegation)
        return Response(self.OutputSerializer(session).data, status=201)

"""Settlement API (API.md section 3): a counter settles a relative's self-paid cost from the
sharer's personal account, and reverses it. Each view parses its input, calls one service, renders."""

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.parsers import JSONParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User
from family_sharing.permissions import IsCounterStaff
from family_sharing.settlement.selectors import settlement_get
from family_sharing.settlement.serializers import (
    ReversalInputSerializer,
    ReversalSerializer,
    SettlementInputSerializer,
    SettlementSerializer,
    idempotency_key_parse,
    settlement_data,
)
from family_sharing.settlement.services import settlement_create, settlement_reverse
from portal.core.errors import NOT_FOUND, ApplicationError
from portal.schema import error_responses

TAG = ["counter"]


def _actor(request: Request) -> User:
    user = request.user
    assert isinstance(user, User)  # IsCounterStaff lets only our users through
    return user


class SettlementCreateApi(APIView):
    """共济支付: the patient's own card and the sharer's card; the money comes from the sharer."""

    permission_classes = [IsCounterStaff]
    parser_classes = [JSONParser]

    @extend_schema(
        tags=TAG,
        parameters=[
            OpenApiParameter(
                "Idempotency-Key",
                str,
                OpenApiParameter.HEADER,
                required=True,
                description="1–64 visible ASCII characters, unique per request at this counter. A retry "
                "with the same key and body returns the first result (200); another body is 409.",
            )
        ],
        request=SettlementInputSerializer,
        responses={
            201: SettlementSerializer,
            200: OpenApiResponse(SettlementSerializer, description="a retry: the first result again"),
            **error_responses(400, 401, 403, 404, 409, 422),
        },
        operation_id="settlements_create",
        description="Refusals (422): binding_not_active, sharer_not_normal, insufficient_balance, "
        "binding_limit_exceeded, category_not_allowed. Unknown card: 404 card_not_found.",
    )
    def post(self, request: Request) -> Response:
        key = idempotency_key_parse(request.headers.get("Idempotency-Key"))
        data = SettlementInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values: dict[str, Any] = data.validated_data
        result = settlement_create(
            actor=_actor(request),
            sharer_card_number=values["sharer_card_number"],
            beneficiary_card_number=values["beneficiary_card_number"],
            category=values["category"],
            amount_fen=values["amount_fen"],
            description=values["description"],
            idempotency_key=key,
        )
        code = status.HTTP_200_OK if result.replayed else status.HTTP_201_CREATED
        return Response(settlement_data(result), status=code)


class SettlementReverseApi(APIView):
    """冲正: credits the settlement back, once; only the counter that settled may."""

    permission_classes = [IsCounterStaff]
    parser_classes = [JSONParser]

    @extend_schema(
        tags=TAG,
        parameters=[OpenApiParameter("settlement_id", OpenApiTypes.UUID, OpenApiParameter.PATH)],
        request=ReversalInputSerializer,
        responses={
            201: ReversalSerializer,
            **error_responses(400, 401, 403, 404, 409),
        },
        operation_id="settlements_reverse",
        description="Another counter's settlement is 404; a second reversal is 409 already_reversed.",
    )
    def post(self, request: Request, settlement_id: str) -> Response:
        settlement = settlement_get(viewer=_actor(request), settlement_id=settlement_id)
        if settlement is None:
            raise ApplicationError(NOT_FOUND)
        data = ReversalInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        reversal = settlement_reverse(
            actor=_actor(request), settlement=settlement, reason=data.validated_data["reason"]
        )
        return Response(ReversalSerializer(reversal).data, status=status.HTTP_201_CREATED)

"""Family-sharing API (API.md sections 2 and 3): bindings for residents, swipe-bind and card look-up
for counter staff. Each view parses its input, calls one service or selector, and renders; every
rule and every refusal comes from the services as an ApplicationError."""

from collections.abc import Callable

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    PolymorphicProxySerializer,
    extend_schema,
    extend_schema_view,
)
from rest_framework import serializers, status
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.errors import AccountsError
from accounts.identity import CARD_SHAPE, normalize_card_number
from accounts.models import User
from accounts.selectors import person_get_by_card_at_counter
from accounts.services import person_view_record
from family_sharing.errors import SharingError
from family_sharing.models import Binding
from family_sharing.permissions import IsCounterStaff, IsResidentWithPerson
from family_sharing.selectors import binding_get, binding_list, card_holder_sharers
from family_sharing.serializers import (
    BindingPageSerializer,
    BindingReasonSerializer,
    BindingSerializer,
    CardNumberField,
    IdNumberField,
    IsoDateField,
    MonthlyLimitField,
    UploadField,
)
from family_sharing.services import (
    binding_check,
    binding_consent,
    binding_counter_create,
    binding_evidence_upload,
    binding_leave,
    binding_request,
    binding_revoke,
    binding_set_limit,
)
from family_sharing.suggestions.apis import BindingSuggestionInputSerializer
from family_sharing.suggestions.services import binding_request_suggested
from portal.api import Pagination
from portal.core.errors import INVALID, NOT_FOUND, ApplicationError
from portal.core.ratelimit import hit
from portal.schema import error_responses

BINDING_ID = OpenApiParameter("binding_id", OpenApiTypes.UUID, OpenApiParameter.PATH)
TAG_RESIDENT = ["bindings"]
TAG_COUNTER = ["counter"]


def _actor(request: Request) -> User:
    user = request.user
    assert isinstance(user, User)  # the permission classes let only our users through
    return user


def _visible_binding(request: Request, binding_id: str) -> Binding:
    """The binding if the caller may see it; otherwise 404, whether or not it exists."""
    binding = binding_get(viewer=_actor(request), binding_id=binding_id)
    if binding is None:
        raise ApplicationError(NOT_FOUND)
    return binding


def _binding_response(binding: Binding, code: int = status.HTTP_200_OK) -> Response:
    return Response(BindingSerializer(binding).data, status=code)


class BindingRequestInputSerializer(serializers.Serializer):
    """What the sharer says about the relative: number, name, relation (GB/T 4761), optional date."""

    beneficiary_id_number = IdNumberField()
    beneficiary_name = serializers.CharField(max_length=50)
    relation_code = serializers.CharField(max_length=8)
    as_of = IsoDateField(error=SharingError.AS_OF_FORMAT, required=False, allow_null=True)


class BindingCheckApi(APIView):
    """Read-only eligibility of the caller (as sharer) paying for a relative: every reason that applies."""

    permission_classes = [IsResidentWithPerson]
    parser_classes = [JSONParser]

    class InputSerializer(BindingRequestInputSerializer):
        pass

    class OutputSerializer(serializers.Serializer):
        eligible = serializers.BooleanField()
        needs_evidence = serializers.BooleanField()
        derived_relation_code = serializers.CharField(allow_null=True)
        reasons = BindingReasonSerializer(many=True)

    @extend_schema(
        tags=TAG_RESIDENT,
        request=InputSerializer,
        responses={200: OutputSerializer, **error_responses(400, 401, 403, 429)},
        operation_id="bindings_check",
    )
    def post(self, request: Request) -> Response:
        actor = _actor(request)
        hit("binding_check", request=request, key=str(actor.pk))
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        result = binding_check(
            actor=actor,
            beneficiary_id_number=data.validated_data["beneficiary_id_number"],
            beneficiary_name=data.validated_data["beneficiary_name"],
            relation_code=data.validated_data["relation_code"],
            as_of=data.validated_data.get("as_of"),
        )
        out = {
            "eligible": result.eligible,
            "needs_evidence": result.needs_evidence,
            "derived_relation_code": result.derived_relation_code,
            "reasons": [{"code": r.code, "message": r.message} for r in result.reasons],
        }
        return Response(self.OutputSerializer(out).data)


class BindingListCreateApi(APIView):
    """GET: the caller's bindings as sharer and as beneficiary. POST: ask to pay for a relative."""

    permission_classes = [IsResidentWithPerson]
    parser_classes = [JSONParser]

    class FilterSerializer(serializers.Serializer):
        role = serializers.ChoiceField(choices=["sharer", "beneficiary"], required=False)

    class InputSerializer(BindingRequestInputSerializer):
        pass

    @extend_schema(
        tags=TAG_RESIDENT,
        parameters=[
            OpenApiParameter("role", str, enum=["sharer", "beneficiary"], description="only one side"),
            OpenApiParameter("page", int, description="from 1; a page past the last is 404"),
        ],
        responses={200: BindingPageSerializer, **error_responses(400, 401, 403, 404)},
        operation_id="bindings_list",
        description="The caller's bindings as sharer and as beneficiary (and those of a ward under 16), "
        "newest first, 100 a page.",
    )
    def get(self, request: Request) -> Response:
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        bindings = binding_list(viewer=_actor(request), role=filters.validated_data.get("role"))
        paginator = Pagination()
        page = paginator.paginate_queryset(bindings, request, view=self)
        return paginator.get_paginated_response(BindingSerializer(page, many=True).data)

    @extend_schema(
        tags=TAG_RESIDENT,
        request=PolymorphicProxySerializer(
            component_name="BindingCreateInput",
            serializers=[InputSerializer, BindingSuggestionInputSerializer],
            resource_type_field_name=None,
        ),
        responses={
            201: BindingSerializer,
            **error_responses(400, 401, 403, 404, 409, 422, 429),
        },
        operation_id="bindings_create",
        description="The caller (the sharer) asks to pay for a relative, named by number, name and "
        "relation, or by a suggestion_id from family/suggestions/ (404 suggestion_not_found or "
        "suggestion_expired): 201 pending_consent (or pending_verification for a registry parent "
        "binding a child under 16), 422 with every reason, 409 duplicate_binding.",
    )
    def post(self, request: Request) -> Response:
        if isinstance(request.data, dict) and "suggestion_id" in request.data:
            suggested = BindingSuggestionInputSerializer(data=request.data)
            suggested.is_valid(raise_exception=True)
            binding = binding_request_suggested(
                actor=_actor(request), suggestion_id=suggested.validated_data["suggestion_id"]
            )
            return _binding_response(binding, status.HTTP_201_CREATED)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        binding = binding_request(
            actor=_actor(request),
            beneficiary_id_number=data.validated_data["beneficiary_id_number"],
            beneficiary_name=data.validated_data["beneficiary_name"],
            relation_code=data.validated_data["relation_code"],
            as_of=data.validated_data.get("as_of"),
        )
        return _binding_response(binding, status.HTTP_201_CREATED)


class BindingDetailApi(APIView):
    """GET: one binding the caller may see. PATCH: the sharer sets or clears the monthly cap."""

    permission_classes = [IsResidentWithPerson]
    parser_classes = [JSONParser]

    class UpdateInputSerializer(serializers.Serializer):
        monthly_limit_fen = MonthlyLimitField(allow_null=True, help_text="fen; null clears the cap")

    @extend_schema(
        tags=TAG_RESIDENT,
        parameters=[BINDING_ID],
        responses={200: BindingSerializer, **error_responses(401, 403, 404)},
        operation_id="bindings_retrieve",
        description="One binding the caller may see; anyone else gets 404.",
    )
    def get(self, request: Request, binding_id: str) -> Response:
        return _binding_response(_visible_binding(request, binding_id))

    @extend_schema(
        tags=TAG_RESIDENT,
        parameters=[BINDING_ID],
        request=UpdateInputSerializer,
        responses={
            200: BindingSerializer,
            **error_responses(400, 401, 403, 404, 409),
        },
        operation_id="bindings_update",
        description="The sharer sets (integer fen) or clears (null) the monthly cap.",
    )
    def patch(self, request: Request, binding_id: str) -> Response:
        binding = _visible_binding(request, binding_id)
        data = self.UpdateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        binding = binding_set_limit(
            actor=_actor(request), binding=binding, monthly_limit_fen=data.validated_data["monthly_limit_fen"]
        )
        return _binding_response(binding)


class BindingConsentApi(APIView):
    """The beneficiary (or the guardian of one under 16) accepts or declines a binding."""

    permission_classes = [IsResidentWithPerson]
    parser_classes = [JSONParser]

    class InputSerializer(serializers.Serializer):
        accept = serializers.BooleanField()

    @extend_schema(
        tags=TAG_RESIDENT,
        parameters=[BINDING_ID],
        request=InputSerializer,
        responses={
            200: BindingSerializer,
            **error_responses(400, 401, 403, 404, 409),
        },
        operation_id="bindings_consent",
    )
    def post(self, request: Request, binding_id: str) -> Response:
        binding = _visible_binding(request, binding_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        binding = binding_consent(
            actor=_actor(request), binding=binding, accept=data.validated_data["accept"]
        )
        return _binding_response(binding)


# What revoke and leave answer (both end a binding; which side may do it is the service's rule).
_END_RESPONSES = {200: BindingSerializer, **error_responses(401, 403, 404, 409)}


class _BindingEndApi(APIView):
    """A side of the binding ends it (no body); 200 with the binding."""

    permission_classes = [IsResidentWithPerson]
    end: Callable[..., Binding]  # the service: binding_revoke or binding_leave

    def post(self, request: Request, binding_id: str) -> Response:
        binding = self.end(actor=_actor(request), binding=_visible_binding(request, binding_id))
        return _binding_response(binding)


@extend_schema_view(
    post=extend_schema(
        tags=TAG_RESIDENT,
        parameters=[BINDING_ID],
        request=None,
        responses=_END_RESPONSES,
        operation_id="bindings_revoke",
    )
)
class BindingRevokeApi(_BindingEndApi):
    """The sharer ends the binding; it stops paying at once."""

    end = staticmethod(binding_revoke)


@extend_schema_view(
    post=extend_schema(
        tags=TAG_RESIDENT,
        parameters=[BINDING_ID],
        request=None,
        responses=_END_RESPONSES,
        operation_id="bindings_leave",
    )
)
class BindingLeaveApi(_BindingEndApi):
    """The beneficiary leaves the binding (revoked with beneficiary_left)."""

    end = staticmethod(binding_leave)


class BindingEvidenceUploadApi(APIView):
    """户口本 / 结婚证 / 出生医学证明 for a binding the registry could not confirm (PDF, JPEG or PNG by
    content, at most 5 MB); bureau staff review it."""

    permission_classes = [IsResidentWithPerson]
    parser_classes = [MultiPartParser]

    class InputSerializer(serializers.Serializer):
        file = UploadField()

    class OutputSerializer(serializers.Serializer):
        id = serializers.UUIDField()
        content_type = serializers.CharField()
        size = serializers.IntegerField()
        review = serializers.CharField(help_text="pending | approved | rejected")

    @extend_schema(
        tags=TAG_RESIDENT,
        parameters=[BINDING_ID],
        request={"multipart/form-data": InputSerializer},
        responses={
            201: OutputSerializer,
            **error_responses(400, 401, 403, 404, 409, 507),
        },
        operation_id="bindings_evidence_upload",
    )
    def post(self, request: Request, binding_id: str) -> Response:
        binding = _visible_binding(request, binding_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        evidence = binding_evidence_upload(
            actor=_actor(request), binding=binding, file=data.validated_data["file"]
        )
        return Response(self.OutputSerializer(evidence).data, status=status.HTTP_201_CREATED)


class CounterBindingCreateApi(APIView):
    """Swipe-bind at a hospital office or bureau window: the sharer is present with the card and the
    beneficiary's card is presented, so the binding goes straight to verification."""

    permission_classes = [IsCounterStaff]
    parser_classes = [JSONParser]

    class InputSerializer(serializers.Serializer):
        sharer_card_number = CardNumberField()
        beneficiary_card_number = CardNumberField()
        relation_code = serializers.CharField(max_length=8)

    @extend_schema(
        tags=TAG_COUNTER,
        request=InputSerializer,
        responses={
            201: BindingSerializer,
            **error_responses(400, 401, 403, 409, 422),
        },
        operation_id="counter_bindings_create",
    )
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        binding = binding_counter_create(
            actor=_actor(request),
            sharer_card_number=data.validated_data["sharer_card_number"],
            beneficiary_card_number=data.validated_data["beneficiary_card_number"],
            relation_code=data.validated_data["relation_code"],
        )
        return _binding_response(binding, status.HTTP_201_CREATED)


class CardSharerSerializer(serializers.Serializer):
    """A sharer who may pay for the card holder, through the active binding `binding_id`."""

    card_number_masked = serializers.CharField(source="sharer.card_number_masked")
    name_masked = serializers.CharField(source="sharer.name_masked")
    relation_name = serializers.CharField(source="relation_code.name_zh")
    binding_id = serializers.UUIDField(source="id")


class CounterCardApi(APIView):
    """A card holder's insurance status and the sharers whose active bindings may pay for them.
    Every look-up is recorded as a staff view of the person."""

    permission_classes = [IsCounterStaff]

    class OutputSerializer(serializers.Serializer):
        name_masked = serializers.CharField()
        id_number_masked = serializers.CharField()
        insurance_type = serializers.CharField(help_text="employee | resident | none")
        status = serializers.CharField(help_text="normal | arrears | interrupted | terminated")
        region_code = serializers.CharField()
        sharers = CardSharerSerializer(many=True)

    @extend_schema(
        tags=TAG_COUNTER,
        parameters=[OpenApiParameter("card_number", str, OpenApiParameter.PATH, description="社会保障卡号")],
        responses={200: OutputSerializer, **error_responses(400, 401, 403, 404)},
        operation_id="counter_cards_retrieve",
    )
    def get(self, request: Request, card_number: str) -> Response:
        card = normalize_card_number(card_number)
        if not CARD_SHAPE.match(card):
            raise ApplicationError.of(INVALID, AccountsError.CARD_NUMBER_FORMAT, field="card_number")
        person = person_get_by_card_at_counter(staff=_actor(request), card_number=card)
        if person is None:
            raise ApplicationError(
                NOT_FOUND, [SharingError.CARD_NOT_FOUND.reason("card_number")], code="not_found"
            )
        person_view_record(staff=_actor(request), person=person, surface="counter")
        out = {
            "name_masked": person.name_masked,
            "id_number_masked": person.id_number_masked,
            "insurance_type": person.insurance_type,
            "status": person.status,
            "region_code": person.region.code,
            "sharers": card_holder_sharers(person=person),
        }
        return Response(self.OutputSerializer(out).data)

"""`GET /api/v1/family/suggestions/` (API.md section 2) and the `{"suggestion_id"}` body that
`POST /api/v1/bindings/` also takes (family_sharing.apis.BindingListCreateApi)."""

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User
from family_sharing.permissions import IsResidentWithPerson
from family_sharing.serializers import BindingReasonSerializer
from family_sharing.suggestions.errors import SuggestionError
from family_sharing.suggestions.models import ListingSurface
from family_sharing.suggestions.services import suggestion_list_logged
from portal.core.errors import INVALID, ApplicationError
from portal.schema import error_responses

# What a body naming a relative by number says; a suggestion names the relative without them.
NUMBER_FIELDS = ("beneficiary_id_number", "beneficiary_name", "relation_code", "as_of")


class BindingSuggestionInputSerializer(serializers.Serializer):
    """A relative from `family/suggestions/`, named by its `suggestion_id` only (valid for a day,
    for the resident it was listed to)."""

    suggestion_id = serializers.CharField(max_length=64)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        given = self.initial_data if isinstance(self.initial_data, dict) else {}
        if any(name in given for name in NUMBER_FIELDS):
            raise ApplicationError.of(INVALID, SuggestionError.SUGGESTION_WITH_NUMBER, field="suggestion_id")
        return attrs


class FamilySuggestionListApi(APIView):
    """The near relatives the registry records for the caller; every listing is logged."""

    permission_classes = [IsResidentWithPerson]

    class OutputSerializer(serializers.Serializer):
        suggestion_id = serializers.CharField(
            help_text="opaque; for POST /api/v1/bindings/ by this caller, valid for one day"
        )
        name_masked = serializers.CharField()
        relation_code = serializers.CharField(
            help_text="derived from the registry: what the relative is to you"
        )
        relation_name = serializers.CharField()
        insured = serializers.BooleanField()
        bound = serializers.BooleanField(help_text="you already have a binding for them that is not over")
        bindable = serializers.BooleanField(help_text="not bound, and no reason stands in the way")
        reasons = BindingReasonSerializer(many=True, help_text="every reason that blocks binding them")

    @extend_schema(
        tags=["bindings"],
        responses={200: OutputSerializer(many=True), **error_responses(401, 403)},
        operation_id="family_suggestions_list",
        description="The near relatives the registry records for the caller (民法典 第1045条), masked, "
        "with the derived relation; relatives the region's policy does not cover are listed with "
        "relation_out_of_policy_scope. Every listing is logged.",
    )
    def get(self, request: Request) -> Response:
        user = request.user
        assert isinstance(user, User)  # IsResidentWithPerson
        suggestions = suggestion_list_logged(viewer=user, surface=ListingSurface.API)
        out = [
            {
                "suggestion_id": s.suggestion_id,
                "name_masked": s.name_masked,
                "relation_code": s.relation.code,
                "relation_name": s.relation.name_zh,
                "insured": s.insured,
                "bound": s.bound,
                "bindable": suggestions.bindable(s),
                "reasons": [r.as_dict() for r in suggestions.reasons_of(s)],
            }
            for s in suggestions.items
        ]
        return Response(self.OutputSerializer(out, many=True).data)

"""`POST /api/v1/bindings/{id}/reconsent/` `{"accept": bool}`: the beneficiary, asked at 16, confirms
or declines the binding; 200 with the binding, as `consent/` answers. A binding the caller may not
see is 404; the sharer (who sees it) is 403 `reconsent_not_allowed`; nothing open to answer is 409
`reconsent_not_pending`."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.parsers import JSONParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User
from family_sharing.apis import BINDING_ID, TAG_RESIDENT
from family_sharing.permissions import IsResidentWithPerson
from family_sharing.reconsent.services import binding_reconsent
from family_sharing.selectors import binding_get
from family_sharing.serializers import BindingSerializer
from portal.core.errors import NOT_FOUND, ApplicationError
from portal.schema import error_responses


class BindingReconsentApi(APIView):
    """The young person's answer at 16 to a binding a guardian consented to for them."""

    permission_classes = [IsResidentWithPerson]
    parser_classes = [JSONParser]

    class InputSerializer(serializers.Serializer):
        accept = serializers.BooleanField()

    @extend_schema(
        tags=TAG_RESIDENT,
        parameters=[BINDING_ID],
        request=InputSerializer,
        responses={200: BindingSerializer, **error_responses(400, 401, 403, 404, 409)},
        operation_id="bindings_reconsent",
    )
    def post(self, request: Request, binding_id: str) -> Response:
        actor = request.user
        assert isinstance(actor, User)  # IsResidentWithPerson lets only our residents through
        binding = binding_get(viewer=actor, binding_id=binding_id)
        if binding is None:
            raise ApplicationError(NOT_FOUND)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        binding = binding_reconsent(actor=actor, binding=binding, accept=data.validated_data["accept"])
        return Response(BindingSerializer(binding).data)

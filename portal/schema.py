"""drf-spectacular's AutoSchema with component names taken from the API class
(RegisterApi.InputSerializer -> RegisterApiInput), so nested serializers never collide; and the
API.md error body every 4xx answers with, for the `responses` of each endpoint."""

from typing import Any

from drf_spectacular.openapi import AutoSchema as _SpectacularAutoSchema
from drf_spectacular.utils import inline_serializer
from rest_framework import serializers

ERROR_BODY = inline_serializer(
    "ErrorBody",
    {
        "error": serializers.CharField(),
        "message": serializers.CharField(),
        "details": serializers.ListField(child=serializers.DictField()),
    },
)


def error_responses(*statuses: int) -> dict[int, Any]:
    """`responses` entries saying that each of these statuses answers with the error body."""
    return dict.fromkeys(statuses, ERROR_BODY)


class AutoSchema(_SpectacularAutoSchema):
    def get_serializer_name(self, serializer: Any, direction: Any) -> str:
        name = type(serializer).__qualname__.replace(".", "")
        return name.removesuffix("Serializer")

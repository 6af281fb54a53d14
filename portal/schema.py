"""drf-spectacular's AutoSchema with component names taken from the API class
(RegisterApi.InputSerializer -> RegisterApiInput), so nested serializers never collide."""

from typing import Any

from drf_spectacular.openapi import AutoSchema as _SpectacularAutoSchema


class AutoSchema(_SpectacularAutoSchema):
    def get_serializer_name(self, serializer: Any, direction: Any) -> str:
        name = type(serializer).__qualname__.replace(".", "")
        return name.removesuffix("Serializer")

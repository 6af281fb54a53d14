"""drf-spectacular's AutoSchema with component names taken from the API class
(RegisterApi.InputSerializer -> RegisterApiInput), so nested serializers never collide; and the
API.md error body every 4xx answers with, for the `responses` of each endpoint.

The errors that the framework itself answers are documented for every operation that can meet them
(`implied_errors`), so that an integrator's client knows every status it may receive: 400 and 415
for a request body (malformed JSON, another content type), 401 wherever a Bearer token is read
(also a wrong one sent to an open endpoint), 403 behind a permission beyond "signed in", 404 for a
path with an identifier, 429 behind a throttle. An endpoint's own `responses` come on top."""

from typing import Any

from drf_spectacular.openapi import AutoSchema as _SpectacularAutoSchema
from drf_spectacular.utils import inline_serializer
from rest_framework import permissions, serializers

ERROR_BODY = inline_serializer(
    "ErrorBody",
    {
        "error": serializers.CharField(),
        "message": serializers.CharField(),
        "details": serializers.ListField(child=serializers.DictField()),
    },
)
_SIGNED_IN_ONLY = (permissions.AllowAny, permissions.IsAuthenticated)


def error_responses(*statuses: int) -> dict[int, Any]:
    """`responses` entries saying that each of these statuses answers with the error body."""
    return dict.fromkeys(statuses, ERROR_BODY)


class AutoSchema(_SpectacularAutoSchema):
    def get_serializer_name(self, serializer: Any, direction: Any) -> str:
        name = type(serializer).__qualname__.replace(".", "")
        return name.removesuffix("Serializer")

    def _get_response_bodies(self, direction: Any = "response") -> dict[str, Any]:
        # drf-spectacular's own builder (extend_schema overrides get_response_serializers, so the
        # implied errors are added to what it built); an endpoint's own entries win
        responses: dict[str, Any] = super()._get_response_bodies(direction)
        for code in map(str, self.implied_errors()):
            if code not in responses:
                responses[code] = self._get_response_for_code(ERROR_BODY, code, direction=direction)
        return responses

    def implied_errors(self) -> list[int]:
        """The 4xx statuses the framework can answer on this operation, whatever its code does."""
        view = self.view
        codes = []
        if self.method in ("POST", "PUT", "PATCH"):
            codes += [400, 415]
        if view.get_authenticators():
            codes.append(401)
        if any(not isinstance(p, _SIGNED_IN_ONLY) for p in view.get_permissions()):
            codes.append(403)
        if "{" in self.path:
            codes.append(404)
        if view.get_throttles():
            codes.append(429)
        return codes

"""Bearer tokens that expire (django-rest-knox with AUTH_HEADER_PREFIX "Bearer" and TOKEN_TTL in
settings.REST_KNOX): stored hashed, revoked on sign-out."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.plumbing import build_bearer_security_scheme_object
from knox.auth import TokenAuthentication


class BearerTokenAuthentication(TokenAuthentication):
    """knox's authentication; its `authenticate_header` ("Bearer") is also the expected prefix."""


class BearerTokenScheme(OpenApiAuthenticationExtension):
    """Tells drf-spectacular that our subclass is an HTTP bearer scheme."""

    target_class = "accounts.authentication.BearerTokenAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema: object) -> dict[str, str]:
        return build_bearer_security_scheme_object(header_name="Authorization", token_prefix="Bearer")  # noqa: S106  # type: ignore[no-any-return]

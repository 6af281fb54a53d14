"""Bearer tokens that expire (django-rest-knox, prefix `Bearer`, TTL in settings.REST_KNOX)."""

from knox.auth import TokenAuthentication


class BearerTokenAuthentication(TokenAuthentication):
    def authenticate_header(self, request: object) -> str:
        return 'Bearer realm="api"'

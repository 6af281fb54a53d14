"""Bearer tokens that expire (django-rest-knox with AUTH_HEADER_PREFIX "Bearer" and TOKEN_TTL in
settings.REST_KNOX): stored hashed, revoked on sign-out."""

import binascii
from functools import cache
from hmac import compare_digest

from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.plumbing import build_bearer_security_scheme_object
from knox.auth import TokenAuthentication
from knox.crypto import hash_token
from knox.models import AuthToken
from knox.settings import CONSTANTS, knox_settings
from knox.signals import token_expired
from rest_framework import exceptions

from accounts.models import User
from portal.core.db import prepared_cursor


class BearerTokenAuthentication(TokenAuthentication):
    """knox's authentication; its `authenticate_header` ("Bearer") is also the expected prefix.

    One query per request (decision record 0012), read from the database on every request, so an
    expired or signed-out token is refused at once: the tokens under the key's first characters with
    their user, as knox reads them, but written out once (`_token_sql`) instead of compiled by the
    ORM on every request (half a millisecond of a worker's Python). Then, as knox: an expired token
    is deleted and refused, the digest is compared in constant time, an inactive user is refused.
    knox also read all of the user's other tokens on every request to delete the expired ones; that
    housekeeping moved to sign-in (`tokens_expired_purge`)."""

    def authenticate_credentials(self, token: bytes) -> tuple[User, AuthToken]:
        msg = _("Invalid token.")
        text = token.decode("utf-8")
        for auth_token in _tokens_with_user(text[: CONSTANTS.TOKEN_KEY_LENGTH]):
            if self._cleanup_token(auth_token):
                continue
            try:
                digest = hash_token(text)
            except (TypeError, binascii.Error) as exc:
                raise exceptions.AuthenticationFailed(msg) from exc
            if compare_digest(digest, auth_token.digest):
                if knox_settings.AUTO_REFRESH and auth_token.expiry:
                    self.renew_token(auth_token)
                return self.validate_user(auth_token)
        raise exceptions.AuthenticationFailed(msg)

    def _cleanup_token(self, auth_token: AuthToken) -> bool:
        """This token only: an expired one is deleted and refused, as knox does."""
        if auth_token.expiry is not None and auth_token.expiry < timezone.now():
            username = auth_token.user.get_username()
            auth_token.delete()
            token_expired.send(sender=self.__class__, username=username, source="auth_token")
            return True
        return False


@cache
def _token_sql() -> str:
    columns = [f"t.{f.column}" for f in AuthToken._meta.concrete_fields]
    columns += [f"u.{f.column}" for f in User._meta.concrete_fields]
    return (
        f"SELECT {', '.join(columns)} FROM {AuthToken._meta.db_table} t "  # noqa: S608 (model metadata; the key is a parameter)
        f"JOIN {User._meta.db_table} u ON u.{User._meta.pk.column} = t.user_id WHERE t.token_key = %s::text"
    )


def _tokens_with_user(token_key: str) -> list[AuthToken]:
    """AuthToken.objects.filter(token_key=...).select_related("user"), as one prepared text. The
    columns are loaded as they come from psycopg: no field of either model converts its database
    value (a test holds that)."""
    with prepared_cursor() as cursor:
        cursor.execute(_token_sql(), [token_key])
        rows = cursor.fetchall()
    token_names = [f.attname for f in AuthToken._meta.concrete_fields]
    user_names = [f.attname for f in User._meta.concrete_fields]
    tokens = []
    for row in rows:
        auth_token = AuthToken.from_db(connection.alias, token_names, row[: len(token_names)])
        auth_token.user = User.from_db(connection.alias, user_names, row[len(token_names) :])
        tokens.append(auth_token)
    return tokens


def tokens_expired_purge(*, user: User) -> None:
    """Deletes the user's expired tokens (called at sign-in; they are refused anyway)."""
    AuthToken.objects.filter(user=user, expiry__lt=timezone.now()).delete()


class BearerTokenScheme(OpenApiAuthenticationExtension):
    """Tells drf-spectacular that our subclass is an HTTP bearer scheme."""

    target_class = "accounts.authentication.BearerTokenAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema: object) -> dict[str, str]:
        return build_bearer_security_scheme_object(header_name="Authorization", token_prefix="Bearer")  # noqa: S106  # type: ignore[no-any-return]

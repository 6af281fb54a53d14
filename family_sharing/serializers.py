"""Shapes shared by several family-sharing APIs: the binding object of API.md section 2 and the input
fields whose failures carry our own codes. Shape only — every rule lives in the services."""

import datetime as dt
import re
from collections.abc import Iterable
from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.errors import AccountsError
from accounts.identity import CARD_SHAPE, id_number_problem, normalize_card_number
from family_sharing.errors import SharingError
from family_sharing.models import Binding
from portal.core.errors import INVALID, ApplicationError, ErrorCode

REASON_MESSAGES: dict[str, str] = {code.value: code.message for code in SharingError}
_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
BIGINT_MAX = 2**63 - 1


def _fail(code: ErrorCode) -> serializers.ValidationError:
    return serializers.ValidationError(code.message, code=code.value)


def reasons_render(codes: Iterable[str]) -> list[dict[str, str]]:
    """Stored reason codes -> [{code, message}]; a code we do not know keeps an empty message."""
    return [{"code": code, "message": REASON_MESSAGES.get(code, "")} for code in codes]


class IsoDateField(serializers.DateField):
    """Exactly YYYY-MM-DD (API.md section 1); anything else fails with the given code."""

    def __init__(self, *, error: ErrorCode, **kwargs: Any) -> None:
        self.error = error
        super().__init__(**kwargs)

    def to_internal_value(self, value: Any) -> dt.date:
        if isinstance(value, str) and _DATE.match(value.strip()):
            try:
                return dt.date.fromisoformat(value.strip())
            except ValueError:
                pass
        raise _fail(self.error)


class IdNumberField(serializers.CharField):
    """A resident identity number; a malformed one is named (id_number_format, _checksum, ...).
    It is returned as typed: the service normalises it."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(max_length=32, **kwargs)

    def to_internal_value(self, value: Any) -> str:
        number = super().to_internal_value(value)
        problem = id_number_problem(number)
        if problem is not None:
            raise _fail(problem)
        return number


class CardNumberField(serializers.CharField):
    """A social security card number (a capital letter and 8 digits), normalised to upper case."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(max_length=16, **kwargs)

    def to_internal_value(self, value: Any) -> str:
        card = normalize_card_number(super().to_internal_value(value))
        if not CARD_SHAPE.match(card):
            raise _fail(AccountsError.CARD_NUMBER_FORMAT)
        return card


class MonthlyLimitField(serializers.IntegerField):
    """A JSON integer number of fen, or null for no cap. Strings, fractions and booleans fail with
    limit_invalid; whether the amount is allowed (not negative) is the service's rule. The failure is
    raised as the service raises it, so that a client sees one answer (`error: limit_invalid`) for
    "abc" and for -1 alike."""

    def to_internal_value(self, value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or abs(value) > BIGINT_MAX:
            raise ApplicationError.of(INVALID, SharingError.LIMIT_INVALID, field=self.field_name)
        return value


@extend_schema_field(OpenApiTypes.BINARY)
class UploadField(serializers.FileField):
    """An uploaded file, documented as the binary part of a multipart body."""


class BindingPartySerializer(serializers.Serializer):
    name_masked = serializers.CharField()
    id_number_masked = serializers.CharField()


class BindingReasonSerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField(allow_blank=True)


class BindingSerializer(serializers.Serializer):
    """The binding object of API.md section 2. Numbers only masked; times in Asia/Shanghai."""

    id = serializers.UUIDField()
    status = serializers.CharField(
        help_text="pending_consent | pending_verification | needs_evidence | active | suspended | "
        "rejected | revoked | ended"
    )
    channel = serializers.CharField(help_text="web | app | bureau | hospital | system")
    relation_code = serializers.CharField(source="relation_code_id", help_text="GB/T 4761-2008 家庭关系代码")
    relation_name = serializers.CharField(source="relation_code.name_zh")
    sharer = BindingPartySerializer()
    beneficiary = BindingPartySerializer()
    monthly_limit_fen = serializers.IntegerField(allow_null=True)
    created_at = serializers.DateTimeField()
    activated_at = serializers.DateTimeField(allow_null=True)
    ended_at = serializers.DateTimeField(allow_null=True)
    reasons = serializers.SerializerMethodField()

    @extend_schema_field(BindingReasonSerializer(many=True))
    def get_reasons(self, binding: Binding) -> list[dict[str, str]]:
        return reasons_render(binding.reasons or [])


class BindingPageSerializer(serializers.Serializer):
    """One page of bindings (API.md section 1: every list is paginated)."""

    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = BindingSerializer(many=True)

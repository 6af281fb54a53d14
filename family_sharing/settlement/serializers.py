"""Shapes of the settlement API (API.md section 3) and of the resident's account entries: the fields
that check shape with our own codes. Every rule lives in the services."""

import re
from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from family_sharing.serializers import CardNumberField
from family_sharing.settlement.errors import SettlementError
from family_sharing.settlement.models import AMOUNT_MAX_FEN, Category
from portal.core.errors import INVALID, ApplicationError

IDEMPOTENCY_KEY = re.compile(r"^[\x21-\x7e]{1,64}$")


def _fail(code: SettlementError) -> serializers.ValidationError:
    return serializers.ValidationError(code.message, code=code.value)


def idempotency_key_parse(value: str | None) -> str:
    """The Idempotency-Key header: 1 to 64 visible ASCII characters (a UUID is the usual choice)."""
    if value is None or value == "":
        raise ApplicationError.of(INVALID, SettlementError.IDEMPOTENCY_KEY_MISSING, field="Idempotency-Key")
    if not IDEMPOTENCY_KEY.match(value):
        raise ApplicationError.of(INVALID, SettlementError.IDEMPOTENCY_KEY_INVALID, field="Idempotency-Key")
    return value


@extend_schema_field(OpenApiTypes.INT64)
class AmountFenField(serializers.Field):
    """A JSON integer number of fen, at least 1 and at most AMOUNT_MAX_FEN. Strings, fractions and
    booleans are `amount_not_integer`."""

    def validate_empty_values(self, data: Any) -> tuple[bool, Any]:
        if data is None:
            raise _fail(SettlementError.AMOUNT_NOT_INTEGER)
        return super().validate_empty_values(data)

    def to_internal_value(self, value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise _fail(SettlementError.AMOUNT_NOT_INTEGER)
        if value <= 0:
            raise _fail(SettlementError.AMOUNT_NOT_POSITIVE)
        if value > AMOUNT_MAX_FEN:
            raise _fail(SettlementError.AMOUNT_TOO_LARGE)
        return value

    def to_representation(self, value: int) -> int:
        return value


class CategoryField(serializers.ChoiceField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=Category.choices, **kwargs)

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str) or data not in Category.values:
            raise _fail(SettlementError.CATEGORY_UNKNOWN)
        return data


class SettlementInputSerializer(serializers.Serializer):
    sharer_card_number = CardNumberField(help_text="共济人社会保障卡号")
    beneficiary_card_number = CardNumberField(help_text="被共济人（患者）社会保障卡号")
    category = CategoryField(
        help_text="medical_self_pay (hospital) | pharmacy | resident_contribution (bureau)"
    )
    amount_fen = AmountFenField(help_text="positive integer, fen")
    description = serializers.CharField(max_length=200, allow_blank=True, required=False, default="")


class SettlementSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    status = serializers.CharField(help_text="settled")
    amount_fen = serializers.IntegerField()
    sharer_balance_after_fen = serializers.IntegerField()
    binding_id = serializers.UUIDField()
    institution_code = serializers.CharField(allow_null=True, help_text="null at a bureau window")
    created_at = serializers.DateTimeField()


_CREATED_AT = serializers.DateTimeField()


def settlement_data(result: Any) -> dict[str, Any]:
    """SettlementSerializer(result).data, written out: the settlement API answers every request with
    it, and building a serializer (a deep copy of its fields) cost more than the rest of the rendering
    (decision record 0012). SettlementSerializer stays the schema; a test holds the two equal."""
    return {
        "id": str(result.id),
        "status": result.status,
        "amount_fen": result.amount_fen,
        "sharer_balance_after_fen": result.sharer_balance_after_fen,
        "binding_id": str(result.binding_id),
        "institution_code": result.institution_code,
        "created_at": _CREATED_AT.to_representation(result.created_at),
    }


class ReversalInputSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")

    def validate_reason(self, value: str) -> str:
        if not value.strip():
            raise _fail(SettlementError.REVERSAL_REASON_REQUIRED)
        return value.strip()


class ReversalSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    settlement_id = serializers.UUIDField()
    status = serializers.CharField(default="reversed", help_text="reversed")
    amount_fen = serializers.IntegerField(source="entry.amount_fen", help_text="credited back, fen")
    sharer_balance_after_fen = serializers.IntegerField(source="entry.balance_after_fen")
    reason = serializers.CharField()
    created_at = serializers.DateTimeField()

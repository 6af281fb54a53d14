"""Filters every page uses to show money and personal numbers (STYLE.md habit 8, DESIGN.md section 3).

Amounts are integer fen until this edge; personal numbers reach a page only through the masking
functions of portal.core.masking."""

from django import template

from portal.core import masking
from portal.core.money import fen_to_yuan_text

register = template.Library()


@register.filter
def yuan(fen: int | None) -> str:
    """{{ account.balance_fen|yuan }} → '1,234.56' (integer arithmetic, never float)."""
    return fen_to_yuan_text(fen)


@register.filter
def mask_id_number(value: str | None) -> str:
    return masking.mask_id_number(value)


@register.filter
def mask_card(value: str | None) -> str:
    return masking.mask_card(value)


@register.filter
def mask_phone(value: str | None) -> str:
    return masking.mask_phone(value)


@register.filter
def mask_name(value: str | None) -> str:
    return masking.mask_name(value)

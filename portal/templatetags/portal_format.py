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
def yuan_abs(fen: int | None) -> str:
    """{{ entry.amount_fen|yuan_abs }} → '123.45' for -12345: an amount without its ledger sign."""
    return fen_to_yuan_text(None if fen is None else abs(fen))


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


@register.simple_tag
def lang_if_untranslated(msgid: str) -> str:
    """` lang="zh-Hans"` when the page is not Chinese and `msgid` has no translation yet, so that a
    screen reader reads the Chinese text as Chinese (and the page says honestly what it is)."""
    from django.utils.safestring import mark_safe
    from django.utils.translation import get_language, gettext

    untranslated = not (get_language() or "zh").startswith("zh") and gettext(msgid) == msgid
    return mark_safe(' lang="zh-Hans"') if untranslated else ""  # noqa: S308 (a constant)

"""Masking for everything a person can be identified by. Every template, serializer and admin list
shows personal numbers only through these functions (DESIGN.md section 3, API.md section 7)."""


def mask_id_number(value: str | None) -> str:
    """110101199003074477 -> 110101********4477."""
    if not value:
        return ""
    if len(value) <= 10:
        return "*" * len(value)
    return value[:6] + "*" * (len(value) - 10) + value[-4:]


def mask_phone(value: str | None) -> str:
    """13812345678 -> 138****5678."""
    if not value:
        return ""
    if len(value) <= 7:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


def mask_name(value: str | None) -> str:
    """张三 -> 张*, 欧阳娜娜 -> 欧***: the first character only."""
    if not value:
        return ""
    return value[0] + "*" * (len(value) - 1)


def mask_card(value: str | None) -> str:
    """A12345678 -> A1*****78: the first and the last two characters."""
    if not value:
        return ""
    if len(value) <= 4:
        return "*" * len(value)
    return value[:2] + "*" * (len(value) - 4) + value[-2:]

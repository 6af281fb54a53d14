"""Money is integer fen everywhere; yuan appear only when a page shows an amount."""


def fen_to_yuan_text(fen: int | None) -> str:
    """12345 -> '123.45', -5 -> '-0.05'. Exact: integer arithmetic, never float."""
    if fen is None:
        return ""
    sign = "-" if fen < 0 else ""
    yuan, cents = divmod(abs(int(fen)), 100)
    return f"{sign}{yuan:,}.{cents:02d}"

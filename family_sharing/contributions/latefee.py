"""The late fee of 社会保险法 第86条: 0.05% of the unpaid amount per day (decision record 0009).

    fee of one period = round_half_up(unpaid_fen × days × 5 / 10000) fen
    days = calendar days from the day after the due date up to and including the end day
           (the day it was paid in full, or the as-of day while it is unpaid); 0 when not late.

Everything is integer arithmetic: 5/10000 is exact, so the only rounding is the one at the end of
each period's fee, half a fen rounding up (四舍五入 to the fen, as on the bureau's notices). A case's
fee is the sum of its periods' rounded fees, so the total always equals the lines it shows."""

import datetime as dt

RATE_NUMERATOR = 5  # 0.05% per day = 5 / 10000
RATE_DENOMINATOR = 10_000


def late_days(*, due_date: dt.date, until: dt.date) -> int:
    """Days late: paid (or judged) on the due date itself is on time."""
    return max(0, (until - due_date).days)


def late_fee_fen(*, unpaid_fen: int, due_date: dt.date, until: dt.date) -> int:
    if unpaid_fen <= 0:
        return 0
    exact_numerator = unpaid_fen * late_days(due_date=due_date, until=until) * RATE_NUMERATOR
    return (exact_numerator * 2 + RATE_DENOMINATOR) // (2 * RATE_DENOMINATOR)

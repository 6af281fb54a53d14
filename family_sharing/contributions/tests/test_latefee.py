"""The late fee of 社会保险法 第86条: 0.05% per day of the unpaid amount, exactly, in fen
(decision record 0009)."""

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from family_sharing.contributions.latefee import late_days, late_fee_fen

DUE = dt.date(2026, 1, 15)


@pytest.mark.parametrize(
    ("unpaid_fen", "until", "fee"),
    [
        (100_000, dt.date(2026, 1, 15), 0),  # paid on the due date: on time
        (100_000, dt.date(2026, 1, 14), 0),  # before it
        (100_000, dt.date(2026, 1, 16), 50),  # 1,000 yuan one day late: 0.50 yuan
        (100_000, dt.date(2026, 2, 14), 1_500),  # 30 days: 15.00 yuan
        (1_000, dt.date(2026, 1, 16), 1),  # 0.5 fen rounds half up to 1 fen
        (999, dt.date(2026, 1, 16), 0),  # 0.4995 fen rounds down
        (3_333, dt.date(2026, 1, 18), 5),  # 3 days: 4.9995 fen -> 5
        (123_456, dt.date(2027, 1, 15), 22_531),  # 365 days: 22,530.72 fen -> 22,531
        (0, dt.date(2027, 1, 15), 0),
    ],
)
def test_known_late_fees(unpaid_fen, until, fee):
    assert late_fee_fen(unpaid_fen=unpaid_fen, due_date=DUE, until=until) == fee


def test_days_are_counted_from_the_day_after_the_due_date_across_a_leap_february():
    assert late_days(due_date=dt.date(2028, 2, 15), until=dt.date(2028, 3, 15)) == 29


@given(st.integers(min_value=0, max_value=10**9), st.integers(min_value=0, max_value=4000))
def test_the_fee_is_the_exact_amount_rounded_half_up_to_the_fen(unpaid, days):
    from fractions import Fraction

    exact = Fraction(unpaid * days * 5, 10_000)
    fee = late_fee_fen(unpaid_fen=unpaid, due_date=DUE, until=DUE + dt.timedelta(days=days))
    assert fee - Fraction(1, 2) <= exact < fee + Fraction(1, 2)

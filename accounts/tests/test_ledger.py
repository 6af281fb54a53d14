"""The personal account's ledger (DESIGN.md section 8): the balance always equals the sum of the
entries and is never negative, whatever happens to it; the monthly credit (划入) is paid once per
account and month."""

import datetime as dt

import pytest
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.db.models import Sum
from freezegun import freeze_time
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from accounts.ledger import accounts_credit, entry_post
from accounts.models import AccountEntry, PersonalAccount
from accounts.tests.factories import AccountFactory
from portal.core.errors import ApplicationError

pytestmark = pytest.mark.django_db


def assert_ledger_explains_balance(account: PersonalAccount) -> None:
    account.refresh_from_db()
    entries = list(AccountEntry.objects.filter(account=account).order_by("id"))
    running = 0
    for entry in entries:
        running += entry.amount_fen
        assert entry.balance_after_fen == running
        assert running >= 0
    assert account.balance_fen == running


class LedgerMachine(RuleBasedStateMachine):
    """Random credits, debits (own and family settlements), reversals and monthly credits."""

    def __init__(self) -> None:
        super().__init__()
        self.account: PersonalAccount = AccountFactory(balance_fen=0, monthly_credit_fen=0)
        self.expected = 0
        self.debits: list[int] = []

    @rule(amount=st.integers(min_value=1, max_value=500_000))
    def credit(self, amount: int) -> None:
        entry_post(account=self.account, kind="credit", amount_fen=amount)
        self.expected += amount

    @rule(
        amount=st.integers(min_value=1, max_value=600_000),
        kind=st.sampled_from(["own_settlement", "family_settlement"]),
    )
    def debit(self, amount: int, kind: str) -> None:
        try:
            entry_post(account=self.account, kind=kind, amount_fen=-amount)
        except ApplicationError as exc:
            assert exc.code == "insufficient_balance"
            assert amount > self.expected
        else:
            self.expected -= amount
            self.debits.append(amount)

    @rule()
    def reverse_last_debit(self) -> None:
        if self.debits:
            amount = self.debits.pop()
            entry_post(account=self.account, kind="reversal", amount_fen=amount)
            self.expected += amount

    @rule(month=st.integers(min_value=1, max_value=3), amount=st.integers(min_value=0, max_value=100_000))
    def monthly_credit(self, month: int, amount: int) -> None:
        PersonalAccount.objects.filter(pk=self.account.pk).update(monthly_credit_fen=amount)
        already = AccountEntry.objects.filter(
            account=self.account, kind="credit", period=dt.date(2026, month, 1)
        )
        was_credited = already.exists()
        accounts_credit(month=dt.date(2026, month, 1))
        if amount and not was_credited:
            self.expected += amount

    @rule(amount=st.integers(min_value=-(10**9), max_value=-1))
    def a_raw_overdraft_is_stopped_by_the_database(self, amount: int) -> None:
        if -amount <= self.expected:
            return
        with pytest.raises(IntegrityError), transaction.atomic():
            PersonalAccount.objects.filter(pk=self.account.pk).update(balance_fen=self.expected + amount)

    @invariant()
    def balance_is_the_sum_of_entries_and_never_negative(self) -> None:
        account = PersonalAccount.objects.get(pk=self.account.pk)
        total = AccountEntry.objects.filter(account=account).aggregate(s=Sum("amount_fen"))["s"] or 0
        assert account.balance_fen == total == self.expected
        assert account.balance_fen >= 0
        assert not AccountEntry.objects.filter(account=account, balance_after_fen__lt=0).exists()


def test_balance_equals_the_sum_of_entries_after_any_workload():
    run_state_machine_as_test(
        LedgerMachine,
        settings=settings(
            max_examples=25,
            stateful_step_count=20,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
        ),
    )
    for account in PersonalAccount.objects.all():
        assert_ledger_explains_balance(account)


def test_a_debit_the_balance_cannot_cover_changes_nothing():
    account = AccountFactory(balance_fen=1_000)
    with pytest.raises(ApplicationError) as refused:
        entry_post(account=account, kind="own_settlement", amount_fen=-1_001)
    assert refused.value.code == "insufficient_balance"
    assert_ledger_explains_balance(account)
    assert account.balance_fen == 1_000


def test_the_monthly_credit_is_paid_once_per_account_and_month():
    # given two accounts with a monthly credit and one without
    paid = AccountFactory(balance_fen=1_000, monthly_credit_fen=25_000)
    other = AccountFactory(balance_fen=0, monthly_credit_fen=8_000)
    none = AccountFactory(balance_fen=500, monthly_credit_fen=0)
    # when the credit runs for November twice, and once for December
    first = accounts_credit(month=dt.date(2026, 11, 1))
    again = accounts_credit(month=dt.date(2026, 11, 15))
    accounts_credit(month=dt.date(2026, 12, 1))
    # then each account got it once a month
    assert (first.credited, first.total_fen) == (2, 33_000)
    assert again.credited == 0
    paid.refresh_from_db()
    assert paid.balance_fen == 1_000 + 2 * 25_000
    assert list(
        AccountEntry.objects.filter(account=paid, kind="credit", period__isnull=False).values_list(
            "period", flat=True
        )
    ) == [dt.date(2026, 12, 1), dt.date(2026, 11, 1)]
    for account in (paid, other, none):
        assert_ledger_explains_balance(account)


def test_the_database_refuses_a_second_credit_for_the_same_month():
    account = AccountFactory(balance_fen=0, monthly_credit_fen=100)
    accounts_credit(month=dt.date(2026, 11, 1))
    with pytest.raises(IntegrityError), transaction.atomic():
        entry_post(account=account, kind="credit", amount_fen=100, period=dt.date(2026, 11, 1))


def test_credit_accounts_command_takes_a_month_and_is_idempotent(capsys):
    account = AccountFactory(balance_fen=0, monthly_credit_fen=12_300)
    call_command("credit_accounts", "--month", "2026-10")
    call_command("credit_accounts", "--month", "2026-10")
    out = capsys.readouterr().out.splitlines()
    assert out == ["2026-10: credited 1 accounts, 12300 fen", "2026-10: credited 0 accounts, 0 fen"]
    account.refresh_from_db()
    assert account.balance_fen == 12_300


@pytest.mark.parametrize("month", ["2026-13", "0000-01"])
def test_credit_accounts_command_refuses_a_bad_month(capsys, month):
    with pytest.raises(SystemExit) as exit_:
        call_command("credit_accounts", "--month", month)
    assert exit_.value.code == 1
    assert capsys.readouterr().err.startswith("month_format ")


def test_the_beat_task_credits_the_current_month():
    from accounts.tasks import credit_accounts

    account = AccountFactory(balance_fen=0, monthly_credit_fen=5_000)
    with freeze_time("2026-11-30T16:30:00Z"):  # 2026-12-01 00:30 in Asia/Shanghai
        assert credit_accounts.delay().get() == "2026-12: credited 1 accounts, 5000 fen"
    assert AccountEntry.objects.get(account=account, period__isnull=False).period == dt.date(2026, 12, 1)


def test_the_monthly_credit_is_scheduled_in_beat():
    from django_celery_beat.models import PeriodicTask

    task = PeriodicTask.objects.get(name="monthly personal account credit")
    assert task.task == "accounts.credit_accounts"
    assert task.crontab is not None and task.crontab.day_of_month == "1,2"

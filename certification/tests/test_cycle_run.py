"""run_certification_cycle on known dates: reminders once per cycle and threshold however often it
runs, suspension of overdue pensions, resumption with the months paid back."""

import datetime as dt

import pytest
from django.core.management import call_command

from accounts.models import Message, SmsOutbox
from accounts.tests.factories import PersonFactory
from certification.cycle_run import certification_cycle_run
from certification.cycles import CycleStatus, back_pay_months, person_cycle
from certification.models import PaymentEvent, PensionPayment, Reminder
from certification.services import certification_record
from certification.tests.conftest import pensioner
from portal.core.notify import MemorySmsSender

pytestmark = pytest.mark.django_db

D = dt.date
SHANGHAI = dt.timezone(dt.timedelta(hours=8))


def run(day: dt.date, capture) -> tuple[int, int, int]:
    with capture(execute=True):
        result = certification_cycle_run(as_of=day)
    return result.reminded_30, result.reminded_7, result.suspended


@pytest.fixture(autouse=True)
def _empty_outbox():
    MemorySmsSender.outbox.clear()


def test_the_cycle_ends_on_the_same_day_twelve_months_later_and_is_due_in_its_last_30_days():
    person = pensioner(last=D(2025, 6, 15))
    assert person_cycle(person, on=D(2026, 5, 15)).status == CycleStatus.CERTIFIED
    assert person_cycle(person, on=D(2026, 5, 16)).status == CycleStatus.DUE
    assert person_cycle(person, on=D(2026, 6, 15)).status == CycleStatus.DUE
    assert person_cycle(person, on=D(2026, 6, 16)).status == CycleStatus.OVERDUE
    leap = pensioner(last=D(2024, 2, 29))
    assert person_cycle(leap, on=D(2025, 1, 1)).end == D(2025, 2, 28)


def test_each_reminder_is_sent_exactly_once_however_often_the_cycle_runs(django_capture_on_commit_callbacks):
    # given a pensioner whose cycle ends on 2026-06-15
    person = pensioner(last=D(2025, 6, 15))
    # when the cycle runs every few days, some days twice
    runs = {day: run(day, django_capture_on_commit_callbacks) for day in [D(2026, 5, 10), D(2026, 5, 15)]}
    first, second = (
        run(D(2026, 5, 16), django_capture_on_commit_callbacks),
        run(D(2026, 5, 16), django_capture_on_commit_callbacks),
    )
    runs[D(2026, 5, 20)] = run(D(2026, 5, 20), django_capture_on_commit_callbacks)
    runs[D(2026, 6, 7)] = run(D(2026, 6, 7), django_capture_on_commit_callbacks)
    runs[D(2026, 6, 8)] = run(D(2026, 6, 8), django_capture_on_commit_callbacks)
    again = run(D(2026, 6, 8), django_capture_on_commit_callbacks)
    runs[D(2026, 6, 15)] = run(D(2026, 6, 15), django_capture_on_commit_callbacks)
    # then the 30-day reminder went on 2026-05-16 and the 7-day one on 2026-06-08, once each
    assert runs[D(2026, 5, 10)] == runs[D(2026, 5, 15)] == (0, 0, 0)
    assert (first, second, runs[D(2026, 5, 20)]) == ((1, 0, 0), (0, 0, 0), (0, 0, 0))
    assert sorted(Reminder.objects.values_list("threshold", "sent_on")) == [
        (7, D(2026, 6, 8)),
        (30, D(2026, 5, 16)),
    ]
    assert runs[D(2026, 6, 8)] == (0, 1, 0) and again == (0, 0, 0) and runs[D(2026, 6, 15)] == (0, 0, 0)
    # each as an in-app message and one SMS, every outbox row delivered
    assert Message.objects.filter(person=person).count() == 2
    assert [phone for phone, _ in MemorySmsSender.outbox] == [person.phone, person.phone]
    assert "2026-06-15" in MemorySmsSender.outbox[0][1]
    assert list(SmsOutbox.objects.values_list("result", flat=True)) == ["sent", "sent"]


def test_a_late_first_run_sends_only_the_reminder_of_its_window(django_capture_on_commit_callbacks):
    pensioner(last=D(2025, 6, 15))
    assert run(D(2026, 6, 10), django_capture_on_commit_callbacks) == (0, 1, 0)
    assert list(Reminder.objects.values_list("threshold", flat=True)) == [7]


def test_an_overdue_pension_is_suspended_once_and_resumes_with_back_pay(django_capture_on_commit_callbacks):
    # given a pensioner whose cycle ended on 2026-06-15
    person = pensioner(last=D(2025, 6, 15))
    # when the cycle runs the day after, and again later
    assert run(D(2026, 6, 15), django_capture_on_commit_callbacks)[2] == 0
    assert run(D(2026, 6, 16), django_capture_on_commit_callbacks)[2] == 1
    assert run(D(2026, 7, 1), django_capture_on_commit_callbacks)[2] == 0
    # then payment is suspended from 2026-06-16, once
    payment = PensionPayment.objects.get(person=person)
    assert (payment.status, payment.suspended_on) == ("suspended", D(2026, 6, 16))
    assert PaymentEvent.objects.filter(person=person, kind="suspended").count() == 1
    assert Message.objects.filter(person=person, subject="养老金已暂停发放").count() == 1
    # when the pensioner certifies on 2026-09-10
    recorded = certification_record(
        person=person,
        channel="bureau",
        method="in_person",
        result="pass",
        certified_at=dt.datetime(2026, 9, 10, 10, 0, tzinfo=SHANGHAI),
        documents_seen="身份证",
    )
    # then payment resumes and June, July and August are paid back
    payment.refresh_from_db()
    person.refresh_from_db()
    assert (payment.status, payment.resumed_on, payment.back_pay_months) == ("paying", D(2026, 9, 10), 3)
    assert recorded.certification.back_pay_months == 3
    assert PaymentEvent.objects.get(person=person, kind="resumed").back_pay_months == 3
    assert person.last_certified_on == D(2026, 9, 10)
    # and the next runs leave the resumed pension alone until the new cycle ends
    assert run(D(2026, 12, 1), django_capture_on_commit_callbacks) == (0, 0, 0)
    assert run(D(2027, 9, 11), django_capture_on_commit_callbacks)[2] == 1


def test_back_pay_counts_the_months_from_suspension_to_the_month_before_certifying():
    assert back_pay_months(suspended_on=D(2026, 6, 16), certified_on=D(2026, 6, 30)) == 0
    assert back_pay_months(suspended_on=D(2026, 6, 16), certified_on=D(2026, 7, 1)) == 1
    assert back_pay_months(suspended_on=D(2026, 11, 30), certified_on=D(2027, 2, 1)) == 3


def test_non_pensioners_and_pensioners_never_certified_are_left_alone(django_capture_on_commit_callbacks):
    PersonFactory(is_pensioner=False, last_certified_on=D(2020, 1, 1))
    pensioner(last=None)
    assert run(D(2026, 6, 16), django_capture_on_commit_callbacks) == (0, 0, 0)
    assert not PensionPayment.objects.exists()


def test_the_run_is_set_based_its_query_count_does_not_grow_with_pensioners(django_assert_max_num_queries):
    for i in range(30):
        pensioner(last=D(2025, 5, 1) + dt.timedelta(days=i * 3))
    with django_assert_max_num_queries(6):
        result = certification_cycle_run(as_of=D(2026, 5, 20))
    assert result.suspended > 0 and result.reminded_30 + result.reminded_7 > 0


def test_the_command_prints_a_summary_and_refuses_a_bad_date(capsys):
    pensioner(last=D(2025, 6, 15))
    call_command("run_certification_cycle", "--as-of", "2026-06-16")
    assert "pensions suspended 1" in capsys.readouterr().out
    with pytest.raises(SystemExit) as exit_:
        call_command("run_certification_cycle", "--as-of", "2026-13-01")
    assert exit_.value.code == 1


def test_the_daily_run_and_the_sms_outbox_sweep_are_scheduled_in_beat():
    from django_celery_beat.models import PeriodicTask

    tasks = dict(PeriodicTask.objects.values_list("task", "enabled"))
    assert tasks["certification.run_certification_cycle"] is True
    assert tasks["accounts.deliver_sms"] is True
    assert "certification.send_queued_sms" not in tasks  # the one outbox replaced its own drain


def test_the_task_runs_the_same_cycle_and_old_nonces_are_purged(django_capture_on_commit_callbacks):
    from django.utils import timezone

    from certification.models import ChannelNonce
    from certification.tasks import run_certification_cycle

    old = ChannelNonce.objects.create(channel="alipay", nonce="old")
    ChannelNonce.objects.filter(pk=old.pk).update(received_at=timezone.now() - dt.timedelta(days=2))
    fresh = ChannelNonce.objects.create(channel="alipay", nonce="fresh")
    with django_capture_on_commit_callbacks(execute=True):
        summary = run_certification_cycle()
    assert "reminders 30-day 0" in summary
    assert list(ChannelNonce.objects.values_list("pk", flat=True)) == [fresh.pk]

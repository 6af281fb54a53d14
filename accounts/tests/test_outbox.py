"""The one SMS outbox (issue 19; decision record 0018): queued in the transaction of the change, sent
at least once after commit, never twice under one key, nothing lost when the broker is down."""

import datetime as dt
import json
import threading
from typing import Any

import pytest
from django.db import connection, transaction
from django.db.models.functions import Now
from django.utils import timezone

from accounts import outbox
from accounts.models import Message, SmsOutbox
from accounts.notifications import message_send
from accounts.outbox import outbox_deliver, outbox_sweep, sms_queue
from accounts.outbox_selectors import outbox_lag_seconds, outbox_pending_count
from accounts.tests.factories import PersonFactory
from portal.core.notify import MemorySmsSender, SmsSendError

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _memory(settings: Any) -> None:
    settings.SMS_BACKEND = "memory"
    MemorySmsSender.outbox.clear()


def _broker_down(monkeypatch: pytest.MonkeyPatch) -> None:
    from accounts import tasks

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise ConnectionRefusedError("redis is down")

    monkeypatch.setattr(tasks.deliver_sms, "delay", refuse)


def test_a_message_and_its_sms_are_written_together_and_sent_after_commit(django_capture_on_commit_callbacks):
    person = PersonFactory()
    with django_capture_on_commit_callbacks(execute=True):
        message_send(person=person, subject="家庭共济", body="您的家庭共济绑定已生效。")
    assert MemorySmsSender.outbox == [(person.phone, "【医保家庭共济】您的家庭共济绑定已生效。")]
    row = SmsOutbox.objects.get()
    assert (row.message_id, row.result, row.attempts) == (Message.objects.get().pk, "sent", 1)


def test_a_change_rolled_back_leaves_no_message_and_sends_nothing(django_capture_on_commit_callbacks):
    person = PersonFactory()
    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(RuntimeError), transaction.atomic():
            message_send(person=person, subject="s", body="b")
            raise RuntimeError("the change failed")
    assert not Message.objects.exists() and not SmsOutbox.objects.exists()
    assert MemorySmsSender.outbox == []


def test_a_person_without_a_number_gets_the_message_and_no_outbox_row(django_capture_on_commit_callbacks):
    person = PersonFactory(phone="")
    with django_capture_on_commit_callbacks(execute=True):
        message_send(person=person, subject="s", body="b")
    assert Message.objects.filter(person=person).exists() and not SmsOutbox.objects.exists()


def test_with_the_broker_down_a_notice_waits_for_the_sweep_and_a_code_goes_at_once(
    monkeypatch, django_capture_on_commit_callbacks
):
    # given Redis refusing every publish
    _broker_down(monkeypatch)
    person = PersonFactory()
    # when a notice and a sign-in code are queued and committed
    with django_capture_on_commit_callbacks(execute=True):
        message_send(person=person, subject="s", body="通知")
        sms_queue(phone=person.phone, text="验证码123456", template="sms_code", urgent=True)
    # then the code went at once (a resident is waiting), the notice waits in the outbox
    assert MemorySmsSender.outbox == [(person.phone, "验证码123456")]
    assert outbox_pending_count() == 1
    # and the sweep, once the broker is back, sends it
    assert outbox_sweep() == 1
    assert [text for _, text in MemorySmsSender.outbox] == ["验证码123456", "【医保家庭共济】通知"]
    assert outbox_pending_count() == 0


def test_a_code_is_not_sent_after_it_expired(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        row = sms_queue(
            phone="13800000001",
            text="验证码",
            template="sms_code",
            urgent=True,
            valid_for=dt.timedelta(minutes=5),
        )
    SmsOutbox.objects.filter(pk=row.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert outbox_sweep() == 0
    assert MemorySmsSender.outbox == []
    assert SmsOutbox.objects.get().result == "expired"


def test_a_deliverer_that_died_after_the_gateway_accepted_resends_under_the_same_key(
    monkeypatch, django_capture_on_commit_callbacks
):
    # given a deliverer that dies between the gateway's OK and marking the row sent
    with django_capture_on_commit_callbacks(execute=False):
        row = sms_queue(phone="13800000001", text="通知")
    real_finish = outbox._finish

    def die(*args: Any, **kwargs: Any) -> None:
        raise SystemExit("killed")

    monkeypatch.setattr(outbox, "_finish", die)
    with pytest.raises(SystemExit):
        outbox_deliver()
    monkeypatch.setattr(outbox, "_finish", real_finish)
    assert len(MemorySmsSender.outbox) == 1
    # then the row is leased: another deliverer does not take it before the lease ends
    assert outbox_deliver() == 0
    # when the lease has ended, the sweep sends it again with the same key, which the gateway ignores
    SmsOutbox.objects.filter(pk=row.pk).update(next_attempt_at=Now())
    outbox_sweep()
    assert len(MemorySmsSender.outbox) == 1
    row.refresh_from_db()
    assert (row.result, row.attempts) == ("sent", 2)
    assert str(row.key) in MemorySmsSender.keys


def test_the_file_gateway_writes_a_key_once(
    settings, tmp_path, monkeypatch, django_capture_on_commit_callbacks
):
    settings.SMS_BACKEND = "file"
    settings.SMS_FILE_PATH = tmp_path / "sms.jsonl"
    with django_capture_on_commit_callbacks(execute=False):
        row = sms_queue(phone="13800000001", text="通知")
    from portal.core.notify import sms_send

    sms_send("13800000001", "通知", key=str(row.key))  # the first attempt reached the gateway
    outbox_sweep()  # the retry
    lines = [json.loads(line) for line in settings.SMS_FILE_PATH.read_text(encoding="utf-8").splitlines()]
    assert [(line["to"], line["key"]) for line in lines] == [("13800000001", str(row.key))]


def test_a_failing_gateway_is_retried_with_backoff_then_given_up(
    monkeypatch, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        row = sms_queue(phone="13800000001", text="通知")

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise SmsSendError("isv.BUSINESS_LIMIT_CONTROL")

    monkeypatch.setattr(outbox, "sms_send", refuse)
    assert outbox_deliver() == 0
    row.refresh_from_db()
    assert row.done_at is None and row.attempts == 1 and row.last_error == "isv.BUSINESS_LIMIT_CONTROL"
    assert row.next_attempt_at > timezone.now() + dt.timedelta(seconds=20)
    for _ in range(outbox.MAX_ATTEMPTS - 1):
        SmsOutbox.objects.filter(pk=row.pk).update(next_attempt_at=Now())
        outbox_deliver()
    row.refresh_from_db()
    assert (row.result, row.attempts) == ("failed", outbox.MAX_ATTEMPTS)


def test_the_lag_is_the_age_of_the_oldest_undelivered_row(django_capture_on_commit_callbacks):
    assert outbox_lag_seconds() == 0
    with django_capture_on_commit_callbacks(execute=False):
        row = sms_queue(phone="13800000001", text="通知")
    SmsOutbox.objects.filter(pk=row.pk).update(created_at=timezone.now() - dt.timedelta(minutes=15))
    assert 899 <= outbox_lag_seconds() <= 960


def test_readyz_reports_a_late_outbox_without_going_unready(
    client, settings, django_capture_on_commit_callbacks
):
    settings.OUTBOX_LAG_ALERT_SECONDS = 600
    with django_capture_on_commit_callbacks(execute=False):
        row = sms_queue(phone="13800000001", text="通知")
    SmsOutbox.objects.filter(pk=row.pk).update(created_at=timezone.now() - dt.timedelta(minutes=15))
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["outbox"]["late"] is True and response.json()["outbox"]["pending"] == 1


@pytest.mark.django_db(transaction=True)
def test_two_deliverers_at_once_send_every_row_exactly_once():
    # given 60 queued notices and two deliverers racing on their own connections
    for n in range(60):
        sms_queue(phone=f"1380000{n:04d}", text=f"通知{n}")
    MemorySmsSender.outbox.clear()  # the after-commit dispatch (eager) already sent them: queue them again
    SmsOutbox.objects.update(done_at=None, result="", attempts=0, next_attempt_at=Now())
    MemorySmsSender.keys.clear()
    barrier = threading.Barrier(2)
    sent: list[int] = []

    def run() -> None:
        barrier.wait()
        try:
            sent.append(outbox_deliver(batch=7))
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # then together they sent 60, each number once
    assert sum(sent) == 60
    assert sorted(phone for phone, _ in MemorySmsSender.outbox) == [f"1380000{n:04d}" for n in range(60)]
    assert SmsOutbox.objects.filter(result="sent").count() == 60

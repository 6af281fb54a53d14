"""The sharer's payment notice cannot be lost (issue 19; decision record 0018): the settlement function
queues its SMS copy in the outbox in the same statement as the payment, so a process that dies between
commit and send leaves a row that the beat's sweep delivers, once."""

import pytest

from accounts.models import SmsOutbox
from accounts.outbox import outbox_sweep
from family_sharing.settlement.tests.conftest import body
from portal.core.notify import MemorySmsSender

pytestmark = pytest.mark.django_db(transaction=False)


@pytest.fixture(autouse=True)
def _outbox():
    MemorySmsSender.outbox.clear()


def test_a_notice_whose_process_died_after_commit_is_sent_by_the_sweep_once(
    api, family, hospital_staff, django_capture_on_commit_callbacks
):
    # given a settlement whose process dies right after commit (its after-commit dispatch never runs)
    son, father, _ = family
    api.force_authenticate(hospital_staff)
    with django_capture_on_commit_callbacks(execute=False):
        assert (
            api.post(
                "/api/v1/settlements/", body(son, father), format="json", HTTP_IDEMPOTENCY_KEY="k"
            ).status_code
            == 201
        )
    # then nothing was sent, but the notice waits in the outbox, written with the payment
    assert MemorySmsSender.outbox == []
    row = SmsOutbox.objects.get()
    assert row.done_at is None and row.message is not None and row.message.person == son
    # when the beat's sweep runs, twice
    assert outbox_sweep() == 1
    assert outbox_sweep() == 0
    # then the sharer got the notice exactly once
    assert [phone for phone, _ in MemorySmsSender.outbox] == [son.phone]
    assert "123.45" in MemorySmsSender.outbox[0][1]
    assert SmsOutbox.objects.get().result == "sent"


def test_a_refused_settlement_queues_nothing(api, family, hospital_staff, django_capture_on_commit_callbacks):
    son, father, _ = family
    api.force_authenticate(hospital_staff)
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(
            "/api/v1/settlements/",
            body(son, father, amount_fen=200_000),
            format="json",
            HTTP_IDEMPOTENCY_KEY="k",
        )
    assert response.status_code == 422
    assert not SmsOutbox.objects.exists() and MemorySmsSender.outbox == []

"""The SMS outbox's services (decision record 0018): queue in the caller's transaction, dispatch after
commit, deliver at least once with one idempotency key per message.

- `sms_queue` queues an explicit SMS (a code, or a notice to a number not on file any more).
- `sms_queue_for_messages` queues the SMS copies of in-app messages already written.
- Statements that write messages in SQL (the settlement function, binding moves, the certification
  cycle) insert their outbox rows in the same statement and call `outbox_dispatch_after_commit`.
- `outbox_deliver` claims due rows with a lease (SKIP LOCKED), sends each, and marks it done. A
  process that dies after the gateway accepted a message and before the mark resends it after the
  lease, with the same key: at least once, and never twice at a gateway that honours the key.

After commit, one Celery task delivers what was queued. When the broker is down, a code (`urgent`) is
delivered in the same process at once, since a resident is waiting for it; any other notice waits
for the beat's sweep (`accounts.deliver_sms` every minute), which sends everything due once the
broker is back."""

import datetime as dt
import json
import logging
from collections.abc import Sequence

from django.db import connection, transaction
from django.db.models.functions import Now
from django.utils import timezone

from accounts.outbox_models import SmsOutbox, SmsResult
from portal.core.notify import NOTICE, SIGNATURE, SmsSendError, sms_send

log = logging.getLogger(__name__)

LEASE = dt.timedelta(minutes=2)  # a claimed row is not claimed again before this (the deliverer died)
MAX_ATTEMPTS = 8  # then the row is given up as `failed` (logged as an error)
BATCH = 200
RETENTION = dt.timedelta(days=30)  # done rows kept this long for the admin's view, then deleted


def _backoff(attempts: int) -> dt.timedelta:
    return dt.timedelta(seconds=min(30 * 2 ** max(attempts - 1, 0), 3600))


def sms_queue(
    *,
    phone: str,
    text: str,
    template: str = NOTICE,
    params: dict[str, str] | None = None,
    urgent: bool = False,
    valid_for: dt.timedelta | None = None,
) -> SmsOutbox:
    """Queues one SMS to `phone` in the caller's transaction; it is dispatched after commit. A code
    (`urgent`) is not sent after `valid_for`: a late code is useless, and it would only confuse."""
    row = SmsOutbox.objects.create(
        payload=json.dumps({"phone": phone, "text": text, "params": params}, ensure_ascii=False),
        template=template,
        urgent=urgent,
        expires_at=timezone.now() + valid_for if valid_for else None,
    )
    outbox_dispatch_after_commit(ids=[row.pk], urgent=urgent)
    return row


def sms_queue_for_messages(*, message_ids: Sequence[int]) -> int:
    """Queues the SMS copies of these in-app messages (to recipients with a number on file): one
    INSERT ... SELECT, dispatched after commit."""
    if not message_ids:
        return 0
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO accounts_smsoutbox (message_id)
            SELECT m.id FROM accounts_message AS m JOIN accounts_person AS p ON p.id = m.person_id
             WHERE m.id = ANY(%s::bigint[]) AND p.phone <> ''
            """,
            [list(message_ids)],
        )
        queued = cursor.rowcount
    if queued:
        outbox_dispatch_after_commit(ids=None)
    return queued


def outbox_dispatch_after_commit(*, ids: Sequence[int] | None, urgent: bool = False) -> None:
    """After commit, one task delivers `ids` (None: everything due)."""
    wanted = list(ids) if ids is not None else None
    transaction.on_commit(lambda: _dispatch(wanted, urgent), robust=True)


def _dispatch(ids: list[int] | None, urgent: bool) -> None:
    from accounts.tasks import deliver_sms

    try:
        deliver_sms.delay(ids)
    except Exception:  # the broker is down: a code now, in this process; the rest by the sweep
        log.warning(
            "could not enqueue SMS delivery; %s", "delivering the code here" if urgent else "the sweep will"
        )
        if urgent:
            outbox_deliver(ids=ids)


# Due and lease times are the database's clock, as the rows' own defaults are (Django's Now(), which is
# statement_timestamp(): inside a transaction `now()` would stay at its start): one clock for every
# process, whatever each host's says.
_CLAIM_SQL = """
UPDATE accounts_smsoutbox AS o
   SET next_attempt_at = statement_timestamp() + %(lease)s::interval, attempts = o.attempts + 1
  FROM (SELECT id FROM accounts_smsoutbox
         WHERE done_at IS NULL AND next_attempt_at <= statement_timestamp() {only}
         ORDER BY urgent DESC, id
         LIMIT %(batch)s
           FOR UPDATE SKIP LOCKED) AS due
 WHERE o.id = due.id
RETURNING o.id
"""


def _claim(*, ids: list[int] | None, batch: int) -> list[int]:
    only = "AND id = ANY(%(ids)s::bigint[])" if ids is not None else ""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            _CLAIM_SQL.format(only=only),
            {"lease": f"{int(LEASE.total_seconds())} seconds", "batch": batch, "ids": ids},
        )
        return sorted(row[0] for row in cursor.fetchall())


def _finish(row: SmsOutbox, result: SmsResult, error: str = "") -> None:
    SmsOutbox.objects.filter(pk=row.pk).update(done_at=timezone.now(), result=result, last_error=error[:120])


def _deliver_one(row: SmsOutbox) -> bool:
    now = timezone.now()
    if row.expires_at is not None and row.expires_at <= now:
        _finish(row, SmsResult.EXPIRED)
        return False
    if row.message_id is not None:
        assert row.message is not None
        phone, text, params = row.message.person.phone, f"{SIGNATURE}{row.message.body}", None
    else:
        content = json.loads(row.payload)
        phone, text, params = content["phone"], content["text"], content.get("params")
    if not phone:
        _finish(row, SmsResult.NO_PHONE)
        return False
    try:
        sms_send(phone, text, template=row.template, params=params, key=str(row.key))
    except (SmsSendError, OSError) as exc:
        if row.attempts >= MAX_ATTEMPTS:
            log.error("sms %s given up after %s attempts", row.pk, row.attempts)
            _finish(row, SmsResult.FAILED, str(exc))
        else:
            SmsOutbox.objects.filter(pk=row.pk).update(
                next_attempt_at=Now() + _backoff(row.attempts), last_error=str(exc)[:120]
            )
        return False
    _finish(row, SmsResult.SENT)
    return True


def outbox_deliver(*, ids: Sequence[int] | None = None, batch: int = BATCH) -> int:
    """Delivers the due rows (only `ids` when given), batch by batch; returns how many were sent."""
    wanted = list(ids) if ids is not None else None
    sent = 0
    while True:
        claimed = _claim(ids=wanted, batch=batch)
        if not claimed:
            return sent
        for row in SmsOutbox.objects.filter(pk__in=claimed).select_related("message__person").order_by("id"):
            sent += _deliver_one(row)
        if wanted is not None:
            return sent


def outbox_sweep() -> int:
    """The beat's sweep: everything due (lost dispatches, retries, expired leases), then the done rows
    past retention."""
    sent = outbox_deliver()
    SmsOutbox.objects.filter(done_at__lt=timezone.now() - RETENTION).delete()
    return sent

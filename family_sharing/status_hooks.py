"""Bindings follow the insurance status of the people in them (DESIGN.md sections 6 and 7). The
arrears sweep calls these set-based hooks with the persons whose status changed:

- a sharer who is no longer `normal`: their active bindings are suspended;
- a sharer who is `normal` again: bindings suspended for that cause resume;
- a person who is `terminated`: every live binding they are in ends, both sides notified.

Each move is one statement (decision record 0008): the bindings are locked in id order, updated with
RETURNING, and in the same statement get one BindingEvent each and one in-app message for each side;
the SMS copies go to the encrypted phone numbers the statement returns, decrypted only to send after
commit. No binding or person is loaded into Python."""

import json
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from django.db import connection, transaction
from django.utils import timezone

from accounts.outbox import outbox_dispatch_after_commit
from family_sharing.errors import SharingError
from family_sharing.models import LIVE_STATUSES, BindingStatus

S = BindingStatus


@dataclass(frozen=True)
class Transition:
    """Where the bindings go, the reason recorded on them and their event, and what both sides are told."""

    to: str
    reason: SharingError
    subject: str
    text: str


SUSPEND_FOR_SHARER = Transition(
    S.SUSPENDED,
    SharingError.SHARER_STATUS_CHANGED,
    "家庭共济绑定已暂停",
    "您的职工医保参保状态不正常（欠费或中断），家庭共济暂停支付；状态恢复后自动恢复。",
)
RESUME_FOR_SHARER = Transition(
    S.ACTIVE,
    SharingError.SHARER_STATUS_RESTORED,
    "家庭共济绑定已恢复",
    "您的职工医保参保状态已恢复正常，家庭共济恢复支付。",
)
END_FOR_PERSON = Transition(
    S.ENDED,
    SharingError.PERSON_TERMINATED,
    "家庭共济绑定已终止",
    "因一方参保关系终止，家庭共济绑定已结束。",
)

# {where} is one of the constant conditions below (never user input). `locked` takes the row locks
# in id order (as the ORM version did, so two movers never deadlock) and keeps the old status for
# the event; the UPDATE, the events, the messages and their SMS copies in the outbox (accounts.outbox)
# are data-modifying CTEs of the same statement. It returns the number moved and the number of SMS
# queued (a primary-key probe per person told finds who has a number on file: a join would make the
# planner hash or scan every person of the table).
_MOVE_SQL = """
WITH locked AS (
    SELECT b.id, b.status FROM family_sharing_binding AS b
     WHERE {where}
     ORDER BY b.id
       FOR UPDATE OF b
), moved AS (
    UPDATE family_sharing_binding AS b
       SET status = %(to)s, reasons = %(reasons)s::jsonb, updated_at = %(now)s,
           ended_at = CASE WHEN %(ends)s THEN %(now)s ELSE b.ended_at END
      FROM locked
     WHERE b.id = locked.id
    RETURNING b.id, locked.status AS from_status, b.sharer_id, b.beneficiary_id
), events AS (
    INSERT INTO family_sharing_bindingevent (binding_id, from_status, to_status, actor_id, channel, reasons, at)
    SELECT id, from_status, %(to)s, NULL, 'system', %(reasons)s::jsonb, %(now)s FROM moved
), told AS (
    INSERT INTO accounts_message (person_id, subject, body, created_at, read_at)
    SELECT side.person_id, %(subject)s, %(text)s, %(now)s, NULL
      FROM moved CROSS JOIN LATERAL (VALUES (moved.sharer_id), (moved.beneficiary_id)) AS side(person_id)
    RETURNING id, person_id
), queued AS (
    INSERT INTO accounts_smsoutbox (message_id)
    SELECT told.id FROM told
     WHERE (SELECT p.phone FROM accounts_person AS p WHERE p.id = told.person_id) <> ''
    RETURNING id
)
SELECT (SELECT count(*) FROM moved), (SELECT count(*) FROM queued)
"""
_BY_ID = "b.id = ANY(%(ids)s::uuid[])"
_ACTIVE_OF_SHARERS = "b.sharer_id = ANY(%(persons)s::bigint[]) AND b.status = 'active'"
_SUSPENDED_FOR_SHARERS = (
    "b.sharer_id = ANY(%(persons)s::bigint[]) AND b.status = 'suspended'"
    " AND b.reasons @> '[\"sharer_status_changed\"]'::jsonb"
)
_LIVE_OF_PERSONS = (
    "(b.sharer_id = ANY(%(persons)s::bigint[]) OR b.beneficiary_id = ANY(%(persons)s::bigint[]))"
    " AND b.status = ANY(%(live)s::text[])"
)


def _move(where: str, params: dict[str, list[Any]], transition: Transition) -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            _MOVE_SQL.format(where=where),
            {
                **params,
                "to": transition.to,
                "reasons": json.dumps([transition.reason.value]),
                "now": timezone.now(),
                "ends": transition.to == S.ENDED,
                "subject": transition.subject,
                "text": transition.text,
            },
        )
        moved, queued = cursor.fetchone()
    if queued:
        outbox_dispatch_after_commit(ids=None)
    return int(moved)


@transaction.atomic
def bindings_move(*, binding_ids: Sequence[UUID], transition: Transition) -> int:
    """Moves the given bindings (the caller has locked them) to `transition.to`: one UPDATE, one
    event each, both sides notified."""
    if not binding_ids:
        return 0
    return _move(_BY_ID, {"ids": list(binding_ids)}, transition)


@transaction.atomic
def bindings_suspend_for_sharers(*, sharer_ids: Collection[int]) -> int:
    if not sharer_ids:
        return 0
    return _move(_ACTIVE_OF_SHARERS, {"persons": list(sharer_ids)}, SUSPEND_FOR_SHARER)


@transaction.atomic
def bindings_resume_for_sharers(*, sharer_ids: Collection[int]) -> int:
    if not sharer_ids:
        return 0
    return _move(_SUSPENDED_FOR_SHARERS, {"persons": list(sharer_ids)}, RESUME_FOR_SHARER)


@transaction.atomic
def bindings_end_for_persons(*, person_ids: Collection[int]) -> int:
    if not person_ids:
        return 0
    return _move(_LIVE_OF_PERSONS, {"persons": list(person_ids), "live": LIVE_STATUSES}, END_FOR_PERSON)

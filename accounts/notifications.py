"""Notifications to persons: an in-app message stored in the same transaction as the change it
reports, and its SMS copy queued in the outbox (accounts.outbox) in that same transaction."""

from collections.abc import Iterable

from accounts.models import Message, Person
from accounts.outbox import sms_queue_for_messages


def message_send(*, person: Person, subject: str, body: str, sms: bool = True) -> Message:
    message = Message.objects.create(person=person, subject=subject, body=body)
    if sms and person.phone:
        sms_queue_for_messages(message_ids=[message.pk])
    return message


def messages_send_many(*, items: Iterable[tuple[Person, str, str]], sms: bool = True) -> int:
    """One INSERT for many messages (workers), and one for their SMS copies."""
    rows = [Message(person=p, subject=s, body=b) for p, s, b in items]
    Message.objects.bulk_create(rows, batch_size=1000)
    if sms:
        sms_queue_for_messages(message_ids=[m.pk for m in rows if m.person.phone])
    return len(rows)

"""Notifications to persons: an in-app message stored in the same transaction as the change it
reports, and an SMS copy handed to the pluggable sender only after that transaction commits."""

from collections.abc import Iterable

from django.db import transaction

from accounts.models import Message, Person
from portal.core.notify import sms_sender


def _send_sms(phone: str, text: str) -> None:
    sms_sender().send(phone, text)


def message_send(*, person: Person, subject: str, body: str, sms: bool = True) -> Message:
    message = Message.objects.create(person=person, subject=subject, body=body)
    if sms and person.phone:
        phone, text = person.phone, f"【医保家庭共济】{body}"
        transaction.on_commit(lambda: _send_sms(phone, text))
    return message


def messages_send_many(*, items: Iterable[tuple[Person, str, str]], sms: bool = True) -> int:
    """One INSERT for many messages (workers); SMS copies after commit."""
    rows = [Message(person=p, subject=s, body=b) for p, s, b in items]
    Message.objects.bulk_create(rows, batch_size=1000)
    if sms:
        outgoing = [(m.person.phone, f"【医保家庭共济】{m.body}") for m in rows if m.person.phone]

        def send_all() -> None:
            for phone, text in outgoing:
                _send_sms(phone, text)

        transaction.on_commit(send_all)
    return len(rows)


def sms_send_after_commit(*, phone_token: str, body: str) -> None:
    """The SMS copy of a message another statement stored (the settlement's SQL function writes the
    in-app message itself); `phone_token` is the encrypted phone column, decrypted only to send."""
    from portal.core import crypto

    text = f"【医保家庭共济】{body}"
    transaction.on_commit(lambda: _send_sms(crypto.decrypt(phone_token), text))


def sms_send_many_after_commit(*, phone_tokens: list[str], body: str) -> None:
    """The SMS copies of one message that a statement stored for many persons (the binding moves of
    family_sharing.status_hooks): decrypted and sent after commit, in one callback."""
    if not phone_tokens:
        return
    from portal.core import crypto

    text = f"【医保家庭共济】{body}"

    def send_all() -> None:
        for token in phone_tokens:
            _send_sms(crypto.decrypt(token), text)

    transaction.on_commit(send_all)

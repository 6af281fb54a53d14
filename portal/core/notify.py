"""Pluggable SMS senders. The class named by settings.SMS_SENDER is used; a real gateway is one
more class with a `send(phone, text)` method and a secret in the environment."""

import logging
from functools import cache
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string

from portal.core.masking import mask_phone

log = logging.getLogger(__name__)


class SmsSender(Protocol):
    def send(self, phone: str, text: str) -> None: ...


class LoggingSmsSender:
    """Development sender: logs the masked number and the text."""

    def send(self, phone: str, text: str) -> None:
        log.info("sms to %s: %s", mask_phone(phone), text)


class MemorySmsSender:
    """Test sender: keeps what was sent, so tests can assert it."""

    outbox: list[tuple[str, str]] = []

    def send(self, phone: str, text: str) -> None:
        self.outbox.append((phone, text))


@cache
def sms_sender() -> SmsSender:
    sender: SmsSender = import_string(settings.SMS_SENDER)()
    return sender

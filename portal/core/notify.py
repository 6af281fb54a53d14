"""Pluggable SMS senders, chosen by settings.SMS_BACKEND (API.md section 2; decision record 0015).

`console` prints the masked number and the text (development), `file` appends one JSON line per
message to SMS_FILE_PATH (what an API client or a test reads its code from), `memory` keeps messages
in a list (tests), `aliyun` sends through Alibaba Cloud SMS. A dotted path names any other class with
the same `send` method.

Every message has a `template` name (`notice`, `sms_code`, `login_created`, `login_notice`) and its
`params`: a gateway sends the template its operator registered with those parameters, the development
senders the ready-made `text`. Logs name only the masked number and the template, never the text: a
text may hold a one-time code."""

import datetime as dt
import json
import logging
import threading
from functools import cache
from pathlib import Path
from typing import Protocol

from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string

from portal.core.masking import mask_phone

log = logging.getLogger(__name__)

NOTICE = "notice"


class SmsSendError(Exception):
    """The gateway refused or could not be reached; the message was not sent."""


class SmsSender(Protocol):
    def send(
        self,
        phone: str,
        text: str,
        *,
        template: str = NOTICE,
        params: dict[str, str] | None = None,
        key: str | None = None,
    ) -> None: ...


class ConsoleSmsSender:
    """Development sender: prints the masked number and the text (a code must reach the developer)."""

    def send(
        self,
        phone: str,
        text: str,
        *,
        template: str = NOTICE,
        params: dict[str, str] | None = None,
        key: str | None = None,
    ) -> None:
        print(f"[sms {template}] to {mask_phone(phone)}: {text}", flush=True)  # noqa: T201


class LoggingSmsSender:
    """Production without a gateway (and settings that still name it): logs the masked number and the
    template name only, never the text."""

    def send(
        self,
        phone: str,
        text: str,
        *,
        template: str = NOTICE,
        params: dict[str, str] | None = None,
        key: str | None = None,
    ) -> None:
        log.info("sms %s to %s", template, mask_phone(phone))


class FileSmsSender:
    """Appends `{"to", "text", "sent_at"}` as one JSON line to SMS_FILE_PATH (API.md section 2)."""

    _lock = threading.Lock()

    def send(
        self,
        phone: str,
        text: str,
        *,
        template: str = NOTICE,
        params: dict[str, str] | None = None,
        key: str | None = None,
    ) -> None:
        record = {"to": phone, "text": text, "sent_at": timezone.localtime().isoformat(timespec="seconds")}
        if key:
            record["key"] = key
        line = json.dumps(record, ensure_ascii=False)
        path = Path(settings.SMS_FILE_PATH)
        path.parent.mkdir(parents=True, exist_ok=True)
        with self._lock, path.open("a+", encoding="utf-8") as out:
            if key:  # a gateway that honours the key: a retry of a message already sent sends nothing
                out.seek(0)
                if any(f'"key": "{key}"' in seen for seen in out):
                    return
            out.write(line + "\n")


class MemorySmsSender:
    """Test sender: keeps what was sent, so tests can assert it."""

    outbox: list[tuple[str, str]] = []
    keys: set[str] = set()

    def send(
        self,
        phone: str,
        text: str,
        *,
        template: str = NOTICE,
        params: dict[str, str] | None = None,
        key: str | None = None,
    ) -> None:
        if key:  # a retry of a message already sent sends nothing, as a gateway honouring the key
            if key in self.keys:
                return
            self.keys.add(key)
        self.outbox.append((phone, text))


class AliyunSmsSender:
    """Alibaba Cloud SMS (dysmsapi 2017-05-25 SendSms) through its official SDK. The access key, the
    sign name and one approved template code per template name come from the environment
    (settings.ALIYUN_SMS); a `notice` template carries the text in its `content` parameter."""

    def __init__(self) -> None:
        from alibabacloud_dysmsapi20170525.client import Client
        from alibabacloud_tea_openapi.models import Config

        self.conf = settings.ALIYUN_SMS
        self.client = Client(
            Config(
                access_key_id=self.conf["access_key_id"],
                access_key_secret=self.conf["access_key_secret"],
                endpoint=self.conf["endpoint"],
                protocol=self.conf.get("protocol", "https"),
                connect_timeout=5000,
                read_timeout=10000,
            )
        )

    def send(
        self,
        phone: str,
        text: str,
        *,
        template: str = NOTICE,
        params: dict[str, str] | None = None,
        key: str | None = None,
    ) -> None:
        from alibabacloud_dysmsapi20170525.models import SendSmsRequest
        from alibabacloud_tea_util.models import RuntimeOptions

        code = self.conf["templates"].get(template) or self.conf["templates"].get(NOTICE)
        if not code:
            raise SmsSendError(f"no Alibaba Cloud template code for {template!r}")
        request = SendSmsRequest(
            phone_numbers=phone,
            sign_name=self.conf["sign_name"],
            template_code=code,
            template_param=json.dumps(
                params if params is not None else {"content": text}, ensure_ascii=False
            ),
            out_id=key,  # the outbox row's key, echoed in the delivery receipt
        )
        try:
            response = self.client.send_sms_with_options(request, RuntimeOptions(autoretry=False))
        except Exception as exc:  # the SDK raises its own exception types for HTTP and network errors
            log.warning("sms %s to %s failed: %s", template, mask_phone(phone), type(exc).__name__)
            raise SmsSendError(str(getattr(exc, "code", "") or type(exc).__name__)) from exc
        body = response.body
        if body is None or body.code != "OK":
            result = body.code if body is not None else "no body"
            log.warning("sms %s to %s refused: %s", template, mask_phone(phone), result)
            raise SmsSendError(str(result))
        log.info("sms %s to %s sent", template, mask_phone(phone))


BACKENDS = {
    "console": "portal.core.notify.ConsoleSmsSender",
    "file": "portal.core.notify.FileSmsSender",
    "memory": "portal.core.notify.MemorySmsSender",
    "aliyun": "portal.core.notify.AliyunSmsSender",
    "logging": "portal.core.notify.LoggingSmsSender",
}


@cache
def _sender(path: str) -> SmsSender:
    sender: SmsSender = import_string(path)()
    return sender


def sms_sender() -> SmsSender:
    """The sender named by SMS_BACKEND (one instance per backend, so settings overrides in tests apply)."""
    backend = str(settings.SMS_BACKEND)
    return _sender(BACKENDS.get(backend, backend))


def sms_send(
    phone: str,
    text: str,
    *,
    template: str = NOTICE,
    params: dict[str, str] | None = None,
    key: str | None = None,
) -> None:
    """Hands one message to the gateway now. Only the outbox's deliverer calls it (accounts.outbox);
    everything else queues its SMS in the outbox, in its own transaction."""
    sms_sender().send(phone, text, template=template, params=params, key=key)


SIGNATURE = "【医保家庭共济】"  # the sign every text starts with (the operator registers it with the gateway)


def sent_at_text(when: dt.datetime | None = None) -> str:
    """A time for a notice, in the portal's zone, minutes only."""
    return timezone.localtime(when or timezone.now()).strftime("%Y-%m-%d %H:%M")

"""SMS backends (portal/core/notify.py, API.md section 2, decision record 0015). The Alibaba Cloud
sender runs its official SDK against a local stub of the SendSms endpoint."""

import json
import logging
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlparse

import pytest

from portal.core.notify import AliyunSmsSender, SmsSendError, sms_send

TEXT = "【医保家庭共济】您正在注册医保家庭共济门户，验证码123456，5分钟内有效。"


class _SendSms(BaseHTTPRequestHandler):
    requests: ClassVar[list[dict[str, str]]] = []
    answer: ClassVar[tuple[int, dict[str, str]]] = (
        200,
        {"Code": "OK", "Message": "OK", "BizId": "1", "RequestId": "r"},
    )

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        length = int(self.headers.get("Content-Length") or 0)
        form = parse_qs(self.rfile.read(length).decode()) if length else {}
        query = parse_qs(urlparse(self.path).query)
        fields = {k: v[0] for k, v in {**query, **form}.items()}
        fields["action"] = self.headers.get("x-acs-action", "")
        fields["authorization"] = self.headers.get("Authorization", "")
        self.requests.append(fields)
        status, payload = self.answer
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def stub(settings: Any) -> Iterator[type[_SendSms]]:
    server = HTTPServer(("127.0.0.1", 0), _SendSms)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _SendSms.requests = []
    _SendSms.answer = (200, {"Code": "OK", "Message": "OK", "BizId": "1", "RequestId": "r"})
    settings.ALIYUN_SMS = {
        "access_key_id": "test-key-id",
        "access_key_secret": "test-key-secret",
        "sign_name": "医保家庭共济",
        "endpoint": f"127.0.0.1:{server.server_port}",
        "protocol": "http",
        "templates": {"notice": "SMS_100", "sms_code": "SMS_200"},
    }
    yield _SendSms
    server.shutdown()
    server.server_close()


def test_the_aliyun_sender_sends_the_phone_template_and_its_parameters(stub):
    AliyunSmsSender().send("13800000001", TEXT, template="sms_code", params={"code": "123456"})
    [request] = stub.requests
    assert request["action"] == "SendSms"
    assert request["PhoneNumbers"] == "13800000001"
    assert request["SignName"] == "医保家庭共济"
    assert request["TemplateCode"] == "SMS_200"
    assert json.loads(request["TemplateParam"]) == {"code": "123456"}
    assert request["authorization"].startswith("ACS3-HMAC-SHA256 Credential=test-key-id,")


def test_a_notice_goes_through_the_notice_template_with_its_text(stub):
    AliyunSmsSender().send("13800000001", "【医保家庭共济】您的账号已登录。", template="login_notice")
    [request] = stub.requests
    assert request["TemplateCode"] == "SMS_100"
    assert json.loads(request["TemplateParam"]) == {"content": "【医保家庭共济】您的账号已登录。"}


def test_a_refusal_in_the_body_is_an_error_and_the_log_has_no_text(stub, caplog):
    stub.answer = (200, {"Code": "isv.BUSINESS_LIMIT_CONTROL", "Message": "触发流控", "RequestId": "r"})
    with caplog.at_level(logging.INFO), pytest.raises(SmsSendError, match="BUSINESS_LIMIT_CONTROL"):
        AliyunSmsSender().send("13800000001", TEXT, template="sms_code", params={"code": "123456"})
    assert "138****0001" in caplog.text
    assert "13800000001" not in caplog.text and "123456" not in caplog.text


def test_an_http_error_of_the_gateway_is_an_error(stub):
    stub.answer = (
        400,
        {"Code": "InvalidAccessKeyId.NotFound", "Message": "Specified access key is not found."},
    )
    with pytest.raises(SmsSendError):
        AliyunSmsSender().send("13800000001", TEXT, template="sms_code", params={"code": "123456"})


def test_the_file_backend_appends_one_json_line_per_message(settings, tmp_path):
    settings.SMS_BACKEND = "file"
    settings.SMS_FILE_PATH = tmp_path / "sms.jsonl"
    sms_send("13800000001", TEXT, template="sms_code", params={"code": "123456"})
    sms_send("13800000002", "【医保家庭共济】第二条")
    lines = [json.loads(line) for line in settings.SMS_FILE_PATH.read_text(encoding="utf-8").splitlines()]
    assert [(line["to"], line["text"]) for line in lines] == [
        ("13800000001", TEXT),
        ("13800000002", "【医保家庭共济】第二条"),
    ]
    assert all(line["sent_at"] for line in lines)


def test_the_console_backend_prints_the_masked_number(settings, capsys):
    settings.SMS_BACKEND = "console"
    sms_send("13800000001", TEXT, template="sms_code")
    out = capsys.readouterr().out
    assert "138****0001" in out and "13800000001" not in out and "123456" in out


def test_the_production_logging_backend_logs_masked_number_and_template_only(settings, caplog):
    settings.SMS_BACKEND = "logging"
    with caplog.at_level(logging.INFO, logger="portal.core.notify"):
        sms_send("13800000001", TEXT, template="sms_code", params={"code": "123456"})
    assert "sms_code" in caplog.text and "138****0001" in caplog.text
    assert "123456" not in caplog.text and "13800000001" not in caplog.text and "注册" not in caplog.text

"""Enrolment of an API client from an empty database, over HTTP only (issue 15, API.md section 2).

The bureau loads reference data and persons with its commands; everything after that is what an
e-card app does: register, read the SMS (the `file` backend's JSON lines), confirm, then a token with
the first code of the new authenticator, then /me/. Real commits (transaction=True): SMS leave only
after commit, as in production."""

import base64
import io
import json
import re
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
from django.core.management import call_command
from django_otp.oath import totp
from rest_framework.test import APIClient

from accounts.models import Person, User
from accounts.tests.factories import make_id_number

pytestmark = pytest.mark.django_db(transaction=True)

HEADER = "id_number,name,card_number,phone,region_code,insurance_type,status,balance_fen,pensioner,last_certified_on"
PASSWORD = "Lantern-River-2026"


def sms_lines(path: Path) -> list[dict[str, str]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def only_code(text: str) -> str:
    codes = re.findall(r"(?<!\d)\d{6}(?!\d)", text)
    assert len(codes) == 1, text
    return codes[0]


def test_an_api_client_enrols_from_an_empty_database_with_http_and_the_sms_file(tmp_path, settings):
    settings.SMS_BACKEND = "file"
    settings.SMS_FILE_PATH = tmp_path / "sms.jsonl"
    assert Person.objects.count() == 0 and User.objects.count() == 0

    # given the bureau's reference data and one imported person (the bureau's CSV)
    call_command("load_reference_data", stdout=io.StringIO())
    number = make_id_number()
    csv_path = tmp_path / "persons.csv"
    csv_path.write_text(
        f"{HEADER}\n{number},王小明,B12345678,13800000001,110100,employee,normal,52000,,\n", encoding="utf-8"
    )
    call_command("import_persons", str(csv_path), stdout=io.StringIO())
    api = APIClient()

    # when the app registers with the four fields
    response = api.post(
        "/api/v1/auth/register/",
        {
            "id_number": number.lower(),
            "name": "王小明",
            "card_number": "B12345678",
            "phone": "13800000001",
            "password": PASSWORD,
        },
        format="json",
    )
    # then a code went to the number on file
    assert response.status_code == 202, response.json()
    started = response.json()
    assert started["sms_sent_to"] == "138****0001" and started["expires_in"] == 300
    [sms] = sms_lines(settings.SMS_FILE_PATH)
    assert sms["to"] == "13800000001" and sms["sent_at"]

    # when it confirms with that code
    response = api.post(
        "/api/v1/auth/register/confirm/",
        {"registration_id": started["registration_id"], "sms_code": only_code(sms["text"])},
        format="json",
    )
    assert response.status_code == 201, response.json()
    uri = response.json()["otp_provisioning_uri"]
    # and the number on file is told that a login was created
    told = sms_lines(settings.SMS_FILE_PATH)[-1]
    assert told["to"] == "13800000001" and "注册了登录账号" in told["text"]

    # when it asks for a token with the first code of the new authenticator
    query = parse_qs(urlparse(uri).query)
    secret = query["secret"][0]
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    code = f"{totp(key, step=int(query.get('period', ['30'])[0]), digits=int(query.get('digits', ['6'])[0])):06d}"
    response = api.post(
        "/api/v1/auth/token/", {"login": number, "password": PASSWORD, "otp": code}, format="json"
    )

    # then it gets a token that works, and the authenticator is now confirmed
    assert response.status_code == 200, response.json()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {response.json()['token']}")
    me = api.get("/api/v1/me/")
    assert me.status_code == 200
    assert me.json()["name"] == "王小明" and me.json()["balance_fen"] == 52000
    assert User.objects.get(person__card_number="B12345678").totpdevice_set.get().confirmed
    # and the number on file was told of the sign-in
    assert "登录" in sms_lines(settings.SMS_FILE_PATH)[-1]["text"]

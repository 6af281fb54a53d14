"""Registration proves possession of the phone on file (issue 15, DESIGN.md section 3, API.md section 2),
tried through the API as the resident and as someone holding only what is printed on the card."""

import datetime as dt
import re
import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.test import APIClient

from accounts.models import PendingRegistration, Person, SmsDevice, User
from accounts.tests.factories import PersonFactory, ResidentFactory, StaffFactory, make_id_number, totp_now
from portal.core.notify import MemorySmsSender

pytestmark = pytest.mark.django_db

PASSWORD = "Lantern-River-2026"
OTHER_PASSWORD = "Meadow-Copper-2027"


def body(person: Person, **overrides: str) -> dict[str, str]:
    data = {
        "id_number": person.id_number,
        "name": person.name,
        "card_number": person.card_number,
        "phone": person.phone,
        "password": PASSWORD,
    }
    data.update(overrides)
    return data


def sent_to(phone: str) -> list[str]:
    return [text for to, text in MemorySmsSender.outbox if to == phone]


def code_of(text: str) -> str:
    [code] = re.findall(r"(?<!\d)\d{6}(?!\d)", text)
    return code


def wrong_code(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def start(post: Callable[..., Any], person: Person, **overrides: str) -> tuple[str, str]:
    response = post("/api/v1/auth/register/", body(person, **overrides))
    assert response.status_code == 202, response.json()
    return response.json()["registration_id"], code_of(sent_to(person.phone)[-1])


def confirm(post: Callable[..., Any], registration_id: str, code: str) -> Any:
    return post("/api/v1/auth/register/confirm/", {"registration_id": registration_id, "sms_code": code})


def allow_resend(person: Person) -> None:
    """As if the minute between two codes had passed."""
    SmsDevice.objects.filter(person=person).update(
        last_generated_timestamp=timezone.now() - dt.timedelta(minutes=2)
    )


# --- the phone on file ------------------------------------------------------------------------


def test_a_typed_phone_other_than_the_one_on_file_is_identity_mismatch_and_changes_nothing(post):
    # given a person whose number on file is not the attacker's
    person = PersonFactory()
    before = Person.objects.get(pk=person.pk)
    # when someone with the card registers with their own phone
    response = post("/api/v1/auth/register/", body(person, phone="13900009999"))
    # then the same identity_mismatch as any wrong field; no SMS, no login, the number on file kept
    assert response.status_code == 400
    assert response.json()["error"] == "identity_mismatch"
    assert [d.get("field") for d in response.json()["details"]] == [None]
    assert MemorySmsSender.outbox == []
    assert not User.objects.filter(person=person).exists()
    assert not PendingRegistration.objects.exists()
    after = Person.objects.get(pk=person.pk)
    assert (after.phone, after.phone_hash) == (before.phone, before.phone_hash)
    assert after.history.count() == before.history.count()


def test_a_person_without_a_phone_on_file_is_sent_to_a_bureau_window(post):
    person = PersonFactory(phone="", phone_hash="")
    response = post("/api/v1/auth/register/", body(person, phone="13900009999"))
    assert response.status_code == 400
    assert response.json()["error"] == "phone_not_on_file"
    assert "医保经办窗口" in response.json()["message"]
    assert MemorySmsSender.outbox == [] and Person.objects.get(pk=person.pk).phone == ""


def test_the_code_goes_to_the_number_on_file_and_finishing_never_changes_it(post):
    person = PersonFactory()
    registration_id, code = start(post, person, phone=f" {person.phone[:3]}-{person.phone[3:]} ")
    assert confirm(post, registration_id, code).status_code == 201
    assert [to for to, _ in MemorySmsSender.outbox] == [person.phone, person.phone]
    assert Person.objects.get(pk=person.pk).phone == person.phone


# --- the SMS code -----------------------------------------------------------------------------


def test_a_wrong_code_is_sms_code_invalid_and_creates_nothing(post):
    person = PersonFactory()
    registration_id, code = start(post, person)
    response = confirm(post, registration_id, wrong_code(code))
    assert response.status_code == 400
    assert response.json()["error"] == "sms_code_invalid"
    assert not User.objects.filter(person=person).exists()


def test_after_five_wrong_codes_even_the_right_one_is_expired(post):
    person = PersonFactory()
    registration_id, code = start(post, person)
    errors = [confirm(post, registration_id, wrong_code(code)).json()["error"] for _ in range(5)]
    assert errors == ["sms_code_invalid"] * 5
    # the sixth attempt, with the right code
    response = confirm(post, registration_id, code)
    assert response.status_code == 400
    assert response.json()["error"] == "sms_code_expired"
    assert not User.objects.filter(person=person).exists()


def test_a_code_older_than_five_minutes_is_expired(post):
    person = PersonFactory()
    registration_id, code = start(post, person)
    SmsDevice.objects.filter(person=person).update(valid_until=timezone.now() - dt.timedelta(seconds=1))
    response = confirm(post, registration_id, code)
    assert response.status_code == 400
    assert response.json()["error"] == "sms_code_expired"
    assert not User.objects.filter(person=person).exists()


def test_a_code_works_once(post):
    person = PersonFactory()
    registration_id, code = start(post, person)
    assert confirm(post, registration_id, code).status_code == 201
    assert confirm(post, registration_id, code).json()["error"] == "sms_code_expired"


def test_an_unknown_or_malformed_registration_id_is_expired(post):
    for registration_id in ["00000000-0000-0000-0000-000000000000", "not-a-uuid"]:
        response = confirm(post, registration_id, "123456")
        assert response.status_code == 400
        assert response.json()["error"] == "sms_code_expired"


def test_a_new_code_at_most_once_a_minute(post):
    person = PersonFactory()
    start(post, person)
    response = post("/api/v1/auth/register/", body(person))
    assert response.status_code == 429
    assert response.json()["error"] == "throttled"
    assert 0 < int(response.headers["Retry-After"]) <= 61
    assert len(sent_to(person.phone)) == 1


def test_a_code_sent_for_one_start_finishes_no_other(post):
    # given a resident's registration, then someone who knows card and phone starting again
    person = PersonFactory()
    first_id, first_code = start(post, person)
    allow_resend(person)
    second_id, second_code = start(post, person, password=OTHER_PASSWORD)
    # then the first start is dead, and the second's id does not take the first's code
    assert confirm(post, first_id, second_code).json()["error"] == "sms_code_expired"
    assert confirm(post, second_id, first_code).json()["error"] == "sms_code_invalid"


# --- an unfinished enrolment started again ------------------------------------------------------


def test_restarting_an_unfinished_enrolment_changes_nothing_until_the_sms_code_is_confirmed(post):
    # given a registration confirmed by SMS whose authenticator was never confirmed
    person = PersonFactory()
    registration_id, code = start(post, person)
    assert confirm(post, registration_id, code).status_code == 201
    user = User.objects.get(person=person)
    key = TOTPDevice.objects.get(user=user).key
    # when someone with the card and the phone number starts again with another password
    allow_resend(person)
    second_id, second_code = start(post, person, password=OTHER_PASSWORD)
    # then the login keeps its password and secret while the new code is unconfirmed
    user.refresh_from_db()
    assert user.check_password(PASSWORD) and not user.check_password(OTHER_PASSWORD)
    assert list(TOTPDevice.objects.filter(user=user).values_list("key", flat=True)) == [key]
    assert confirm(post, second_id, wrong_code(second_code)).status_code == 400
    user.refresh_from_db()
    assert user.check_password(PASSWORD)
    # when the code that went to the number on file is confirmed
    assert confirm(post, second_id, second_code).status_code == 201
    # then the password and secret are replaced and the number on file is told of the re-enrolment
    user.refresh_from_db()
    assert user.check_password(OTHER_PASSWORD)
    assert TOTPDevice.objects.get(user=user).key != key
    assert "重新设置了登录密码和身份验证器" in sent_to(person.phone)[-1]


def test_an_enrolled_resident_is_already_registered_and_nothing_is_sent(post):
    resident = ResidentFactory()
    response = post("/api/v1/auth/register/", body(resident.person))
    assert response.status_code == 409
    assert response.json()["error"] == "already_registered"
    assert MemorySmsSender.outbox == []
    assert resident.check_password("Correct-Horse-42")


def test_enrolment_finished_through_a_token_refuses_a_later_registration(post, api):
    person = PersonFactory()
    registration_id, code = start(post, person)
    assert confirm(post, registration_id, code).status_code == 201
    device = TOTPDevice.objects.get(user__person=person)
    token = post(
        "/api/v1/auth/token/", {"login": person.id_number, "password": PASSWORD, "otp": totp_now(device)}
    )
    assert token.status_code == 200
    assert post("/api/v1/auth/register/", body(person)).status_code == 409


# --- the first authenticator code confirms it (web page or token) -------------------------------


def test_the_first_code_of_the_new_authenticator_gives_a_token_and_confirms_it(post):
    person = PersonFactory()
    registration_id, code = start(post, person)
    confirm(post, registration_id, code)
    device = TOTPDevice.objects.get(user__person=person)
    assert not device.confirmed
    response = post(
        "/api/v1/auth/token/", {"login": person.id_number, "password": PASSWORD, "otp": totp_now(device)}
    )
    assert response.status_code == 200
    device.refresh_from_db()
    assert device.confirmed


def test_an_unconfirmed_leftover_device_of_an_enrolled_resident_never_signs_in(post):
    resident = ResidentFactory()
    spare = TOTPDevice.objects.create(user=resident, name="spare", confirmed=False)
    response = post(
        "/api/v1/auth/token/",
        {"login": resident.person.id_number, "password": "Correct-Horse-42", "otp": totp_now(spare)},
    )
    assert response.status_code == 401
    spare.refresh_from_db()
    assert not spare.confirmed


# --- sign-in notices --------------------------------------------------------------------------


def test_every_resident_sign_in_is_told_to_the_number_on_file(
    post, client, django_capture_on_commit_callbacks
):
    resident = ResidentFactory()
    phone = resident.person.phone
    # through the API
    response = post(
        "/api/v1/auth/token/",
        {"login": resident.person.id_number, "password": "Correct-Horse-42", "otp": totp_now(resident.totp)},
    )
    assert response.status_code == 200
    # and through the web page
    with django_capture_on_commit_callbacks(execute=True):
        page = client.post(
            "/login/",
            {
                "login": resident.person.id_number,
                "password": "Correct-Horse-42",
                "otp": totp_now(resident.totp, steps_ahead=1),
            },
        )
    assert page.status_code == 302
    notices = sent_to(phone)
    assert len(notices) == 2
    assert "通过接口登录" in notices[0] and "通过网页登录" in notices[1]


def test_a_failed_sign_in_and_a_staff_sign_in_send_nothing(post):
    resident = ResidentFactory()
    post(
        "/api/v1/auth/token/",
        {"login": resident.person.id_number, "password": "Wrong-Password-1", "otp": "000000"},
    )
    staff = StaffFactory(role="bureau")
    assert (
        post(
            "/api/v1/auth/token/", {"login": staff.username, "password": "Staff-Password-42", "otp": "123456"}
        ).status_code
        == 200
    )
    assert MemorySmsSender.outbox == []


# --- rate limits ------------------------------------------------------------------------------


def test_registration_is_limited_per_identity_number_with_a_chinese_429(post):
    person = PersonFactory()
    statuses = [
        post("/api/v1/auth/register/", body(person, phone="13900009999")).status_code for _ in range(6)
    ]
    assert statuses == [400] * 5 + [429]
    response = post("/api/v1/auth/register/", body(person, phone="13900009999"), REMOTE_ADDR="10.9.9.9")
    assert response.status_code == 429
    assert response.json()["message"] == "操作过于频繁，请稍后再试"
    assert int(response.headers["Retry-After"]) > 0


def test_a_forged_x_forwarded_for_does_not_reset_the_address_count(post, settings):
    settings.RATE_LIMITS = {"register": {"key": None, "address": (3, 3600)}}
    statuses = [
        post(
            "/api/v1/auth/register/",
            body(PersonFactory(), phone="13900009999"),
            HTTP_X_FORWARDED_FOR=f"203.0.113.{n}",
        ).status_code
        for n in range(5)
    ]
    assert statuses == [400, 400, 400, 429, 429]


def test_sms_codes_are_limited_per_registration(post, settings):
    settings.RATE_LIMITS = {"sms_code": {"key": (3, 3600), "address": None}}
    person = PersonFactory()
    registration_id, code = start(post, person)
    statuses = [confirm(post, registration_id, wrong_code(code)).status_code for _ in range(3)]
    assert statuses == [400, 400, 400]
    response = confirm(post, registration_id, code)
    assert response.status_code == 429
    assert not User.objects.filter(person=person).exists()


def test_token_requests_are_limited_per_login(post, settings):
    settings.RATE_LIMITS = {"login": {"key": (2, 3600), "address": None}}
    resident = ResidentFactory()
    for _ in range(2):
        post(
            "/api/v1/auth/token/",
            {"login": resident.person.id_number, "password": "Wrong-Password-1", "otp": "0"},
        )
    response = post(
        "/api/v1/auth/token/",
        {
            "login": resident.person.id_number.lower(),
            "password": "Correct-Horse-42",
            "otp": totp_now(resident.totp),
        },
    )
    assert response.status_code == 429
    assert response.json()["error"] == "throttled"


@pytest.mark.django_db(transaction=True)
def test_parallel_registrations_cannot_exceed_the_limit(settings):
    settings.RATE_LIMITS = {"register": {"key": None, "address": (3, 3600)}}
    statuses: list[int] = []
    lock = threading.Lock()
    barrier = threading.Barrier(10)

    def attempt() -> None:
        client = APIClient()
        barrier.wait()
        response = client.post(
            "/api/v1/auth/register/",
            {
                "id_number": make_id_number(),
                "name": "王五",
                "card_number": "A00000001",
                "phone": "13900009999",
                "password": PASSWORD,
            },
            format="json",
        )
        with lock:
            statuses.append(response.status_code)
        from django.db import connection

        connection.close()

    threads = [threading.Thread(target=attempt) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [400] * 3 + [429] * 7

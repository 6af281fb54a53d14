"""SMS sign-in (issue 17, DESIGN.md section 3, API.md section 2, decision record 0017): a code to the
number on file as the second factor where the region allows it, the password still required. Tried
over HTTP as the resident, and as someone who holds the password but not the phone, or only a login."""

import datetime as dt
import json
import re
import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from rest_framework.test import APIClient

from accounts.enrolment import person_phone_change
from accounts.models import Person, PoolingRegion, SmsDevice, User
from accounts.tests.factories import PersonFactory, RegionFactory, ResidentFactory, StaffFactory, totp_now
from portal.core.notify import MemorySmsSender

pytestmark = pytest.mark.django_db

PASSWORD = "Correct-Horse-42"
REGISTRATION_PASSWORD = "Lantern-River-2026"


@pytest.fixture
def page_post(client: Any, django_capture_on_commit_callbacks: Any) -> Callable[..., Any]:
    def _post(path: str, data: dict[str, str], **extra: str) -> Any:
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(path, data, **extra)

    return _post


def sent_to(phone: str) -> list[str]:
    return [text for to, text in MemorySmsSender.outbox if to == phone]


def code_of(text: str) -> str:
    [code] = re.findall(r"(?<!\d)\d{6}(?!\d)", text)
    return code


def wrong_code(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def request_code(post: Callable[..., Any], login: str, **extra: str) -> Any:
    return post("/api/v1/auth/sms-code/", {"login": login}, **extra)


def code_for(post: Callable[..., Any], resident: User) -> str:
    assert resident.person is not None
    response = request_code(post, resident.person.id_number)
    assert response.status_code == 202
    return code_of(sent_to(resident.person.phone)[-1])


def token(post: Callable[..., Any], resident: User, otp: str, password: str = PASSWORD) -> Any:
    assert resident.person is not None
    return post("/api/v1/auth/token/", {"login": resident.person.id_number, "password": password, "otp": otp})


def allow_resend(person: Person) -> None:
    """As if the minute between two codes had passed."""
    SmsDevice.objects.filter(person=person).update(
        last_generated_timestamp=timezone.now() - dt.timedelta(minutes=2)
    )


# --- the resident signs in with a code sent to the number on file --------------------------------


def test_password_and_an_sms_code_give_a_token_and_the_number_on_file_is_told(post, api):
    resident = ResidentFactory()
    code = code_for(post, resident)
    response = token(post, resident, code)
    assert response.status_code == 200
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {response.json()['token']}")
    assert api.get("/api/v1/me/").json()["name"] == resident.person.name
    texts = sent_to(resident.person.phone)
    assert len(texts) == 2 and "通过接口（短信验证码）登录" in texts[1]


def test_sms_sign_in_through_the_file_backend(post, settings, tmp_path):
    settings.SMS_BACKEND, settings.SMS_FILE_PATH = "file", tmp_path / "sms.jsonl"
    resident = ResidentFactory()
    assert request_code(post, resident.person.id_number).status_code == 202
    [line] = (tmp_path / "sms.jsonl").read_text(encoding="utf-8").splitlines()
    message = json.loads(line)
    assert message["to"] == resident.person.phone
    assert token(post, resident, code_of(message["text"])).status_code == 200


def test_the_password_is_still_required(post):
    resident = ResidentFactory()
    code = code_for(post, resident)
    assert token(post, resident, code, password="Wrong-Password-1").status_code == 401
    assert token(post, resident, code).status_code == 200


def test_a_code_works_once(post):
    resident = ResidentFactory()
    code = code_for(post, resident)
    assert token(post, resident, code).status_code == 200
    response = token(post, resident, code)
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_credentials"


def test_a_code_older_than_five_minutes_does_not_sign_in(post):
    resident = ResidentFactory()
    code = code_for(post, resident)
    SmsDevice.objects.filter(person=resident.person).update(
        valid_until=timezone.now() - dt.timedelta(seconds=1)
    )
    assert token(post, resident, code).status_code == 401


def test_the_authenticator_still_signs_in_and_leaves_a_live_sms_code_untouched(post):
    resident = ResidentFactory()
    code = code_for(post, resident)
    assert token(post, resident, totp_now(resident.totp)).status_code == 200
    assert SmsDevice.objects.get(person=resident.person).failures == 0
    assert token(post, resident, code).status_code == 200


# --- asking for a code never says whether the login exists ------------------------------------------


def test_unknown_staff_unregistered_phoneless_and_switched_off_logins_get_the_same_202_and_nothing(post):
    resident = ResidentFactory()
    answer = request_code(post, resident.person.id_number)
    MemorySmsSender.outbox.clear()
    off = PoolingRegion.objects.create(
        code="120100", name="天津市", level="prefecture", province=RegionFactory().province
    )
    off.sms_sign_in_allowed = False
    off.save()
    logins = {
        "unknown": PersonFactory.build().id_number,
        "staff": StaffFactory().username,
        "imported, not registered": PersonFactory().id_number,
        "no phone on file": ResidentFactory(person=PersonFactory(phone="", phone_hash="")).person.id_number,
        "region switched off": ResidentFactory(person=PersonFactory(region=off)).person.id_number,
        "deactivated": ResidentFactory(is_active=False).person.id_number,
        "not an identity number": "hello",
    }
    for what, login in logins.items():
        response = request_code(post, login)
        assert (response.status_code, response.json()) == (answer.status_code, answer.json()), what
    assert answer.status_code == 202
    assert MemorySmsSender.outbox == []
    assert not SmsDevice.objects.filter(purpose="sign_in").exclude(person=resident.person).exists()


def test_a_second_request_within_a_minute_sends_nothing_new_and_the_first_code_still_works(post):
    resident = ResidentFactory()
    code = code_for(post, resident)
    again = request_code(post, resident.person.id_number)
    assert again.status_code == 202
    assert len(sent_to(resident.person.phone)) == 1
    assert token(post, resident, code).status_code == 200


def test_a_code_a_minute_later_replaces_the_first(post):
    resident = ResidentFactory()
    first = code_for(post, resident)
    allow_resend(resident.person)
    second = code_for(post, resident)
    if first != second:  # one in a million they are equal
        assert token(post, resident, first).status_code == 401
    assert token(post, resident, second).status_code == 200


def test_ten_requests_a_day_per_login_then_429_for_a_real_and_an_unknown_login_alike(post):
    resident = ResidentFactory()
    unknown = PersonFactory.build().id_number
    for login in (resident.person.id_number, unknown):
        statuses = [request_code(post, login, REMOTE_ADDR=f"10.0.0.{n}").status_code for n in range(10)]
        assert statuses == [202] * 10
    refused = [
        request_code(post, login, REMOTE_ADDR="10.0.1.1") for login in (resident.person.id_number, unknown)
    ]
    assert [r.status_code for r in refused] == [429, 429]
    assert refused[0].json() == refused[1].json() and refused[0].json()["error"] == "throttled"
    assert int(refused[0].headers["Retry-After"]) > 0
    # the same login spelt with a lower-case x or spaces is the same login
    lower = f" {resident.person.id_number.lower()} "
    assert request_code(post, lower, REMOTE_ADDR="10.0.1.2").status_code == 429


# --- someone with the password but not the phone -------------------------------------------------


def test_a_sixth_attempt_fails_even_with_the_right_code(post, settings):
    settings.AXES_FAILURE_LIMIT = 100  # the device's own limit, not the login lockout
    resident = ResidentFactory()
    code = code_for(post, resident)
    assert [token(post, resident, wrong_code(code)).status_code for _ in range(5)] == [401] * 5
    assert token(post, resident, code).status_code == 401


def test_five_wrong_codes_lock_the_login_and_the_code_is_dead_after_the_lockout(post):
    resident = ResidentFactory()
    code = code_for(post, resident)
    statuses = [token(post, resident, wrong_code(code)).status_code for _ in range(5)]
    assert statuses == [401] * 4 + [429]
    from axes.models import AccessAttempt
    from django.core.management import call_command

    # the lockout is stored under the login's keyed hash, never the identity number in clear
    assert not AccessAttempt.objects.filter(username__contains=resident.person.id_number[:12]).exists()
    call_command("unlock_login", resident.person.id_number)  # an officer lifts the lockout
    assert token(post, resident, code).status_code == 401


def test_the_registration_code_never_signs_in(post):
    # given a registered resident whose authenticator was never confirmed, registering again
    person = PersonFactory()
    body = {
        "id_number": person.id_number,
        "name": person.name,
        "card_number": person.card_number,
        "phone": person.phone,
        "password": REGISTRATION_PASSWORD,
    }
    started = post("/api/v1/auth/register/", body)
    first = code_of(sent_to(person.phone)[-1])
    assert (
        post(
            "/api/v1/auth/register/confirm/",
            {"registration_id": started.json()["registration_id"], "sms_code": first},
        ).status_code
        == 201
    )
    allow_resend(person)
    assert post("/api/v1/auth/register/", body).status_code == 202
    registration_code = code_of(sent_to(person.phone)[-1])
    # when the registration's code is offered as the sign-in code with the right password
    response = post(
        "/api/v1/auth/token/",
        {"login": person.id_number, "password": REGISTRATION_PASSWORD, "otp": registration_code},
    )
    # then it does not sign in
    assert response.status_code == 401


def test_another_persons_code_never_signs_in(post):
    victim, holder = ResidentFactory(), ResidentFactory()
    victim_code = code_for(post, victim)
    holder_code = code_for(post, holder)
    if victim_code != holder_code:  # one in a million they are equal
        assert token(post, victim, holder_code).status_code == 401
        assert token(post, holder, victim_code).status_code == 401


def test_a_code_sent_before_the_region_switched_sms_sign_in_off_does_not_sign_in(post):
    resident = ResidentFactory()
    code = code_for(post, resident)
    call_command("set_sms_sign_in", resident.person.region.code, "off")
    assert token(post, resident, code).status_code == 401
    call_command("set_sms_sign_in", resident.person.region.code, "on")
    assert token(post, resident, code).status_code == 401  # switched on again: the old code stays dead
    allow_resend(resident.person)
    assert token(post, resident, code_for(post, resident)).status_code == 200


def test_a_code_sent_to_the_old_number_does_not_sign_in_after_the_bureau_changes_it(post):
    resident = ResidentFactory()
    code = code_for(post, resident)
    person_phone_change(
        staff=StaffFactory(), person=resident.person, new_phone="13999990000", reason="本人到窗口更换手机号"
    )
    assert token(post, resident, code).status_code == 401


# --- limits that hold when requests arrive together ----------------------------------------------


def _together(count: int, attempt: Callable[[APIClient], int]) -> list[int]:
    statuses: list[int] = []
    lock = threading.Lock()
    barrier = threading.Barrier(count)

    def run() -> None:
        client = APIClient()
        barrier.wait()
        try:
            status = attempt(client)
            with lock:
                statuses.append(status)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sorted(statuses)


@pytest.mark.django_db(transaction=True)
def test_requests_together_send_one_code():
    resident = ResidentFactory()
    login = resident.person.id_number
    statuses = _together(
        8, lambda c: c.post("/api/v1/auth/sms-code/", {"login": login}, format="json").status_code
    )
    assert statuses == [202] * 8
    assert len(sent_to(resident.person.phone)) == 1


@pytest.mark.django_db(transaction=True)
def test_requests_together_cannot_pass_the_limit_per_login(settings):
    settings.RATE_LIMITS = {"sms_send": {"key": (3, 86400), "address": None}}
    login = PersonFactory.build().id_number
    statuses = _together(
        8, lambda c: c.post("/api/v1/auth/sms-code/", {"login": login}, format="json").status_code
    )
    assert statuses == [202] * 3 + [429] * 5


@pytest.mark.django_db(transaction=True)
def test_one_code_sent_together_gives_one_token(settings):
    settings.RATE_LIMITS = {"login": {"key": None, "address": None}}
    settings.AXES_FAILURE_LIMIT = 100
    resident = ResidentFactory()
    login = resident.person.id_number
    assert APIClient().post("/api/v1/auth/sms-code/", {"login": login}, format="json").status_code == 202
    code = code_of(sent_to(resident.person.phone)[-1])

    def sign_in(client: APIClient) -> int:
        body = {"login": login, "password": PASSWORD, "otp": code}
        return int(client.post("/api/v1/auth/token/", body, format="json").status_code)

    assert _together(6, sign_in) == [200] + [401] * 5


@pytest.mark.django_db(transaction=True)
def test_a_sign_in_while_the_code_is_being_used_elsewhere_waits_and_finds_it_used(settings):
    """One sign-in holds the code's row (it is using the code, not yet committed); a second one with
    the same code must wait for it and then find the code gone, not read the old row and pass."""
    settings.AXES_FAILURE_LIMIT = 100
    resident = ResidentFactory()
    login = resident.person.id_number
    APIClient().post("/api/v1/auth/sms-code/", {"login": login}, format="json")
    code = code_of(sent_to(resident.person.phone)[-1])
    holding, release = threading.Event(), threading.Event()
    statuses: list[int] = []

    def first() -> None:
        try:
            with transaction.atomic():
                device = SmsDevice.objects.select_for_update().get(person=resident.person, purpose="sign_in")
                assert device.verify_token(code)
                holding.set()
                release.wait(60)
        finally:
            connection.close()

    def second() -> None:
        try:
            body = {"login": login, "password": PASSWORD, "otp": code}
            statuses.append(APIClient().post("/api/v1/auth/token/", body, format="json").status_code)
        finally:
            connection.close()

    holder = threading.Thread(target=first)
    holder.start()
    assert holding.wait(60)
    other = threading.Thread(target=second)
    other.start()
    with connection.cursor() as cursor:  # wait until the second sign-in waits on a lock
        for _ in range(600):
            cursor.execute(
                "SELECT count(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database"
                " WHERE NOT l.granted AND d.datname = current_database()"
            )
            if cursor.fetchone()[0]:
                break
            threading.Event().wait(0.05)
    release.set()
    holder.join()
    other.join()
    assert statuses == [401]


@pytest.mark.django_db(transaction=True)
def test_wrong_codes_together_count_every_one(settings):
    settings.RATE_LIMITS = {"login": {"key": None, "address": None}}
    settings.AXES_FAILURE_LIMIT = 100
    resident = ResidentFactory()
    login = resident.person.id_number
    APIClient().post("/api/v1/auth/sms-code/", {"login": login}, format="json")
    code = code_of(sent_to(resident.person.phone)[-1])

    def guess(client: APIClient) -> int:
        body = {"login": login, "password": PASSWORD, "otp": wrong_code(code)}
        return int(client.post("/api/v1/auth/token/", body, format="json").status_code)

    assert _together(8, guess) == [401] * 8
    body = {"login": login, "password": PASSWORD, "otp": code}
    assert APIClient().post("/api/v1/auth/token/", body, format="json").status_code == 401


# --- the sign-in page -------------------------------------------------------------------------------


def test_the_sign_in_page_sends_a_code_and_signs_in_with_it(client, page_post):
    resident = ResidentFactory()
    page = client.get("/login/").content.decode()
    assert 'name="send_sms"' in page
    # the button reads the number only; a password typed already is not checked
    sent = page_post(
        "/login/", {"login": resident.person.id_number, "password": "x", "otp": "", "send_sms": "1"}
    )
    assert sent.status_code == 200
    html = sent.content.decode()
    assert 'data-code="sms_code_requested"' in html
    assert f'value="{resident.person.id_number}"' in html
    code = code_of(sent_to(resident.person.phone)[-1])
    signed_in = page_post("/login/", {"login": resident.person.id_number, "password": PASSWORD, "otp": code})
    assert signed_in.status_code == 302
    assert client.session[DEVICE_ID_SESSION_KEY].startswith("accounts.smsdevice/")
    assert client.get("/me/").status_code == 200
    assert "通过网页（短信验证码）登录" in sent_to(resident.person.phone)[-1]


def _comparable(response: Any, login: str) -> str:
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", response.content.decode())
    return html.replace(login, "<login>")


def test_the_button_answers_an_unknown_number_exactly_as_a_registered_one(client, page_post):
    resident, stranger = ResidentFactory(), PersonFactory.build().id_number
    known = page_post("/login/", {"login": resident.person.id_number, "send_sms": "1"})
    unknown = page_post("/login/", {"login": stranger, "send_sms": "1"})
    assert known.status_code == unknown.status_code == 200
    assert _comparable(known, resident.person.id_number) == _comparable(unknown, stranger)
    assert len(MemorySmsSender.outbox) == 1


def test_the_button_without_a_number_says_so_beside_the_field_and_sends_nothing(page_post):
    response = page_post("/login/", {"login": "", "send_sms": "1"})
    html = response.content.decode()
    assert re.search(r'id="id_login_error">\s*<p class="field-error" data-code="field_required"', html)
    assert "sms_code_requested" not in html
    assert MemorySmsSender.outbox == []


def test_the_button_is_limited_per_login_with_a_429_and_retry_after(page_post, settings):
    settings.RATE_LIMITS = {"sms_send": {"key": (2, 86400), "address": None}}
    login = ResidentFactory().person.id_number
    statuses = [page_post("/login/", {"login": login, "send_sms": "1"}).status_code for _ in range(2)]
    refused = page_post("/login/", {"login": login, "send_sms": "1"})
    assert statuses == [200, 200] and refused.status_code == 429
    assert int(refused["Retry-After"]) > 0
    assert 'data-code="throttled"' in refused.content.decode()


def test_enter_in_any_field_signs_in_rather_than_sending_a_code(client):
    html = client.get("/login/").content.decode()
    form = html[html.index('<form method="post" action="/login/"') :]
    first_submit = re.search(r"<button[^>]*type=\"submit\"[^>]*>", form)
    assert first_submit is not None and "send_sms" not in first_submit.group(0)


def test_after_a_code_is_requested_the_code_field_is_focused_and_first_in_large_text_mode(client, page_post):
    login = ResidentFactory().person.id_number
    html = page_post("/login/", {"login": login, "send_sms": "1"}).content.decode()
    assert html.index('id="id_login"') < html.index('id="id_otp"')
    assert re.search(r'<input[^>]*id="id_otp"[^>]*autofocus|<input[^>]*autofocus[^>]*id="id_otp"', html)
    client.cookies["large_text"] = "1"
    large = page_post("/login/", {"login": login, "send_sms": "1"}).content.decode()
    assert large.index('id="id_otp"') < large.index('id="id_login"')
    labels = re.findall(r'<label for="id_[a-z_]+">([^<]+)</label>', large)
    assert sorted(labels) == sorted(["身份证号", "密码", "动态验证码"])


# --- the region's switch ----------------------------------------------------------------------------


def test_set_sms_sign_in_switches_a_region_idempotently_and_refuses_an_unknown_one(capsys):
    region = RegionFactory()
    call_command("set_sms_sign_in", region.code, "off")
    call_command("set_sms_sign_in", region.code, "off")
    assert capsys.readouterr().out.splitlines() == [
        f"SMS sign-in in {region.code}: off (updated)",
        f"SMS sign-in in {region.code}: off (unchanged)",
    ]
    region.refresh_from_db()
    assert region.sms_sign_in_allowed is False
    with pytest.raises(SystemExit) as exit_:
        call_command("set_sms_sign_in", "999999", "on")
    assert exit_.value.code == 1
    assert "region_not_found" in capsys.readouterr().err

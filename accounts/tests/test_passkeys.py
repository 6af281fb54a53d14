"""Passkeys as a second factor (issue 17, DESIGN.md section 3, decision record 0019): a resident adds
one on /me/security/, then signs in with the password and the passkey; another login's passkey or a
bad signature signs nobody in. Driven over HTTP with a software passkey (soft_passkey.py) answering
django-otp-webauthn's options as a browser would; tests/browser/test_passkeys.py does it in Chromium."""

import json
import os
import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.admin.models import LogEntry
from django.db import connection, transaction
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp_webauthn.models import WebAuthnCredential

from accounts.factors import authenticator_remove, passkey_remove
from accounts.passkeys import STEP_SESSION_KEY
from accounts.tests.factories import PersonFactory, RegionFactory, ResidentFactory, StaffFactory, totp_now
from accounts.tests.soft_passkey import SoftPasskey, b64url
from portal.core.errors import ApplicationError
from portal.core.notify import MemorySmsSender

pytestmark = pytest.mark.django_db

PASSWORD = "Correct-Horse-42"
RP_ID, ORIGIN = "localhost", "http://localhost:8000"


@pytest.fixture(autouse=True)
def _relying_party(settings: Any) -> None:
    settings.OTP_WEBAUTHN_RP_ID = RP_ID
    settings.OTP_WEBAUTHN_ALLOWED_ORIGINS = [ORIGIN]


@pytest.fixture
def committed(django_capture_on_commit_callbacks: Any) -> Callable[..., Any]:
    """Runs a request with its after-commit work done (the SMS leave after commit)."""

    def run(call: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        with django_capture_on_commit_callbacks(execute=True):
            return call(*args, **kwargs)

    return run


def post_json(client: Client, path: str, body: dict[str, Any] | None = None) -> Any:
    return client.post(path, json.dumps(body or {}), content_type="application/json")


def sign_in_with_code(client: Client, resident: Any, steps_ahead: int = 0) -> None:
    code = totp_now(resident.totp, steps_ahead=steps_ahead)
    data = {"login": resident.person.id_number, "password": PASSWORD, "otp": code}
    assert client.post("/login/", data).status_code == 302


def enrol(client: Client) -> SoftPasskey:
    """Adds a passkey to the signed-in resident's login, as the browser script does."""
    passkey = SoftPasskey(rp_id=RP_ID, origin=ORIGIN)
    options = post_json(client, "/passkeys/registration/begin/")
    assert options.status_code == 200, options.content
    done = post_json(client, "/passkeys/registration/complete/", passkey.create(options.json()))
    assert done.status_code == 200, done.content
    return passkey


def resident_with_passkey(**person: Any) -> tuple[Any, SoftPasskey]:
    resident = ResidentFactory(person=PersonFactory(**person)) if person else ResidentFactory()
    client = Client()
    sign_in_with_code(client, resident)
    return resident, enrol(client)


def password_step(client: Client, resident: Any, password: str = PASSWORD) -> Any:
    data = {"login": resident.person.id_number, "password": password, "otp": "", "use_passkey": "1"}
    return client.post("/login/", data)


def assertion(client: Client, passkey: SoftPasskey, **forge: bool) -> Any:
    options = post_json(client, "/passkeys/authentication/begin/")
    assert options.status_code == 200, options.content
    return post_json(client, "/passkeys/authentication/complete/", passkey.get(options.json(), **forge))


def signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session and client.get("/me/").status_code == 200


def sent_to(phone: str) -> list[str]:
    return [text for to, text in MemorySmsSender.outbox if to == phone]


# --- adding a passkey ----------------------------------------------------------------------------


def test_a_signed_in_resident_adds_a_passkey_which_is_listed_recorded_and_told(client, committed):
    # given a resident signed in with password and authenticator code
    resident = ResidentFactory(person=PersonFactory(name="欧阳秀兰"))
    sign_in_with_code(client, resident)

    # when the browser asks for the options and answers them with a new passkey
    options = post_json(client, "/passkeys/registration/begin/")
    passkey = SoftPasskey(rp_id=RP_ID, origin=ORIGIN)
    done = committed(post_json, client, "/passkeys/registration/complete/", passkey.create(options.json()))

    # then the passkey is the resident's, listed on /me/security/, in the login's history, and told
    assert done.status_code == 200
    [stored] = WebAuthnCredential.objects.filter(user=resident)
    assert stored.credential_id == passkey.credential_id
    page = client.get("/me/security/").content.decode()
    assert page.count('data-testid="passkey"') == 1 and "通行密钥已添加" in page
    assert LogEntry.objects.filter(object_id=str(resident.pk), change_message="添加了一个通行密钥").exists()
    assert any("添加了一个通行密钥" in text for text in sent_to(resident.person.phone))
    # the authenticator is told masked names only (a shared phone lists them)
    user = options.json()["user"]
    assert user["displayName"] == resident.person.name_masked != resident.person.name
    assert user["name"] == resident.person.id_number_masked
    assert options.json()["rp"] == {"id": RP_ID, "name": "医保家庭共济"}


def test_adding_a_passkey_needs_a_resident_session_that_passed_a_second_factor(client):
    # anonymous: the sign-in page
    response = post_json(client, "/passkeys/registration/begin/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")
    # password only (no second factor yet): the sign-in page again, nothing offered
    resident = ResidentFactory()
    client.force_login(resident)
    response = post_json(client, "/passkeys/registration/begin/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")
    # staff signed in with their one-time code: 403
    staff = Client()
    officer = StaffFactory()
    data = {"username": officer.username, "password": "Staff-Password-42", "otp": "123456"}
    assert staff.post("/counter/login/", data).status_code == 302
    assert post_json(staff, "/passkeys/registration/begin/").status_code == 403
    assert not WebAuthnCredential.objects.exists()


def test_at_most_ten_passkeys_then_passkey_too_many(client):
    resident = ResidentFactory()
    for _ in range(10):
        WebAuthnCredential.objects.create(user=resident, credential_id=os.urandom(16), public_key=b"k")
    sign_in_with_code(client, resident)

    response = post_json(client, "/passkeys/registration/begin/")

    assert response.status_code == 409
    assert response.json()["error"] == "passkey_too_many"
    assert response.json()["detail"] == "最多可以添加10个通行密钥，请先删除不用的再添加"


# --- signing in with password + passkey ----------------------------------------------------------


def test_password_then_passkey_signs_in_and_the_number_on_file_is_told(committed):
    resident, passkey = resident_with_passkey()
    browser = Client()

    # when the resident types identity number and password and presses 使用通行密钥
    step = password_step(browser, resident)

    # then nobody is signed in yet; the next page asks for the passkey
    assert step.status_code == 302 and step["Location"] == "/login/passkey/"
    assert "_auth_user_id" not in browser.session
    page = browser.get("/login/passkey/").content.decode()
    assert 'id="passkey-verification-button"' in page
    options = post_json(browser, "/passkeys/authentication/begin/").json()
    assert [c["id"] for c in options["allowCredentials"]] == [b64url(passkey.credential_id)]

    # when the passkey answers
    done = committed(post_json, browser, "/passkeys/authentication/complete/", passkey.get(options))

    # then the session is signed in, verified by that passkey, and the number on file is told
    assert done.status_code == 200 and done.json()["redirect_url"] == "/me/"
    stored = WebAuthnCredential.objects.get(user=resident)
    assert browser.session[DEVICE_ID_SESSION_KEY] == stored.persistent_id
    assert STEP_SESSION_KEY not in browser.session
    assert signed_in(browser)
    assert any("通过网页（通行密钥）登录" in text for text in sent_to(resident.person.phone))
    assert stored.sign_count == passkey.sign_count and stored.last_used_at is not None


def test_the_step_keeps_where_the_resident_was_going():
    resident, passkey = resident_with_passkey()
    browser = Client()
    data = {"login": resident.person.id_number, "password": PASSWORD, "use_passkey": "1", "next": "/account/"}
    assert browser.post("/login/", data).status_code == 302
    assert assertion(browser, passkey).json()["redirect_url"] == "/account/"


def test_the_one_form_password_and_code_still_signs_in_a_resident_who_holds_a_passkey():
    resident, _ = resident_with_passkey()
    browser = Client()
    sign_in_with_code(browser, resident, steps_ahead=1)
    assert signed_in(browser)
    assert browser.session[DEVICE_ID_SESSION_KEY] == resident.totp.persistent_id


def test_another_residents_passkey_is_refused_with_passkey_not_yours_and_signs_nobody_in():
    # given two residents with a passkey each, and the first one's password typed
    resident, _ = resident_with_passkey()
    other, others_passkey = resident_with_passkey()
    browser = Client()
    password_step(browser, resident)

    # when the other resident's passkey answers the first one's step
    refused = assertion(browser, others_passkey)

    # then: refused with its code, nobody signed in, the other passkey untouched
    assert refused.status_code == 403
    assert refused.json()["error"] == "passkey_not_yours"
    assert refused.json()["detail"] == "这个通行密钥不属于正在登录的账号，没有登录。请用本人的通行密钥"
    assert not signed_in(browser)
    untouched = WebAuthnCredential.objects.get(user=other)
    assert (untouched.sign_count, untouched.last_used_at) == (0, None)


def test_a_bad_signature_is_refused_with_passkey_invalid_and_signs_nobody_in():
    resident, passkey = resident_with_passkey()
    browser = Client()
    password_step(browser, resident)

    refused = assertion(browser, passkey, forge_signature=True)

    assert refused.status_code == 400
    assert refused.json()["error"] == "passkey_invalid"
    assert refused.json()["details"] == [
        {"code": "passkey_invalid", "message": "通行密钥验证没有通过，没有登录。请再试一次，或改用动态验证码"}
    ]
    assert not signed_in(browser)
    assert WebAuthnCredential.objects.get(user=resident).last_used_at is None


def test_an_unknown_passkey_and_an_answer_without_a_fresh_challenge_sign_nobody_in():
    resident, passkey = resident_with_passkey()
    browser = Client()
    password_step(browser, resident)
    stranger = SoftPasskey(rp_id=RP_ID, origin=ORIGIN)
    assert assertion(browser, stranger).json()["error"] == "passkey_not_found"
    # the challenge of a begin is used up by one answer, right or wrong
    options = post_json(browser, "/passkeys/authentication/begin/").json()
    answer = passkey.get(options, forge_signature=True)
    assert (
        post_json(browser, "/passkeys/authentication/complete/", answer).json()["error"] == "passkey_invalid"
    )
    again = post_json(browser, "/passkeys/authentication/complete/", passkey.get(options))
    assert again.status_code == 400 and again.json()["error"] == "passkey_expired"
    assert not signed_in(browser)


@pytest.mark.parametrize("case", ["wrong password", "no passkey", "unknown login"])
def test_the_passkey_button_needs_the_right_password_of_a_login_with_a_passkey(client, case):
    # given a resident with a passkey, one without, and an identity number nobody registered
    with_passkey, _ = resident_with_passkey()
    without = ResidentFactory()
    login, password = {
        "wrong password": (with_passkey.person.id_number, "Wrong-Horse-42"),
        "no passkey": (without.person.id_number, PASSWORD),
        "unknown login": (PersonFactory.build().id_number, PASSWORD),
    }[case]

    # when the 使用通行密钥 button is pressed
    response = client.post("/login/", {"login": login, "password": password, "use_passkey": "1"})

    # then the same refusal, whichever part was wrong; no step begins
    page = response.content.decode()
    assert response.status_code == 200
    assert 'class="form-error" data-code="invalid_credentials"' in page
    assert "身份证号或密码不正确，或者这个账号还没有添加通行密钥" in page
    assert STEP_SESSION_KEY not in client.session
    begin = post_json(client, "/passkeys/authentication/begin/")
    assert begin.status_code == 400 and begin.json()["error"] == "passkey_sign_in_expired"
    assert client.get("/login/passkey/")["Location"] == "/login/"


def test_wrong_passwords_at_the_passkey_button_count_towards_the_lockout(client):
    resident, passkey = resident_with_passkey()
    statuses = [password_step(client, resident, "Wrong-Horse-42").status_code for _ in range(5)]
    assert statuses == [200, 200, 200, 200, 429]
    # locked: even the right password starts no step
    assert password_step(client, resident).status_code == 429
    assert STEP_SESSION_KEY not in client.session


def test_the_step_lasts_five_minutes():
    resident, passkey = resident_with_passkey()
    browser = Client()
    password_step(browser, resident)
    session = browser.session
    session[STEP_SESSION_KEY] = {
        **session[STEP_SESSION_KEY],
        "until": session[STEP_SESSION_KEY]["until"] - 301,
    }
    session.save()

    response = post_json(browser, "/passkeys/authentication/begin/")

    assert response.status_code == 400 and response.json()["error"] == "passkey_sign_in_expired"
    assert not signed_in(browser)


# --- /me/security/: hold several, remove down to one ---------------------------------------------


def remove(client: Client, factor: str, passkey: str = "") -> Any:
    return client.post("/me/security/", {"factor": factor, "passkey": passkey})


def test_a_resident_holds_authenticator_passkey_and_sms_at_once_and_the_page_lists_them(client):
    resident = ResidentFactory(person=PersonFactory(phone="13912345678"))
    sign_in_with_code(client, resident)
    enrol(client)

    page = client.get("/me/security/").content.decode()

    assert "已开通" in page and "删除身份验证器" in page
    assert page.count('data-testid="passkey"') == 1
    assert "可以使用" in page and "139****5678" in page


def test_removing_the_only_authenticator_is_refused_with_last_factor_and_changes_nothing(client, committed):
    # given a resident whose region allows SMS sign-in, holding the authenticator only
    resident = ResidentFactory()
    assert resident.person.region.sms_sign_in_allowed
    sign_in_with_code(client, resident)

    # when they remove the authenticator
    response = committed(remove, client, "authenticator")

    # then it is refused with last_factor (SMS does not count), and nothing changed or was sent
    assert response.status_code == 409
    assert 'data-code="last_factor"' in response.content.decode()
    assert resident.totp.__class__.objects.filter(user=resident, confirmed=True).count() == 1
    assert sent_to(resident.person.phone) == []


def test_remove_down_to_one_then_last_factor_and_the_session_stays_signed_in(client, committed):
    # given a resident with an authenticator and a passkey, signed in with the authenticator
    resident = ResidentFactory()
    sign_in_with_code(client, resident)
    enrol(client)
    passkey = WebAuthnCredential.objects.get(user=resident)

    # when they remove the authenticator they signed in with
    response = committed(remove, client, "authenticator")

    # then it is gone, told, and the session is still signed in (by the passkey they hold)
    assert response.status_code == 302 and response["Location"] == "/me/security/"
    assert not resident.totp.__class__.objects.filter(user=resident).exists()
    assert any("删除了身份验证器" in text for text in sent_to(resident.person.phone))
    assert client.get("/me/security/").status_code == 200
    assert client.session[DEVICE_ID_SESSION_KEY] == passkey.persistent_id

    # when they try to remove the passkey, now the last factor
    refused = remove(client, "passkey", str(passkey.pk))

    # then: last_factor, and it stays
    assert refused.status_code == 409
    assert 'data-code="last_factor"' in refused.content.decode()
    assert WebAuthnCredential.objects.filter(pk=passkey.pk).exists()


def test_removing_someone_elses_passkey_is_passkey_not_found_and_changes_nothing(client):
    other, _ = resident_with_passkey()
    theirs = WebAuthnCredential.objects.get(user=other)
    resident = ResidentFactory()
    sign_in_with_code(client, resident)
    enrol(client)

    for value in (str(theirs.pk), "99999999999999999999", "x"):
        response = remove(client, "passkey", value)
        assert response.status_code == 404, value
        assert 'data-code="passkey_not_found"' in response.content.decode()
    assert WebAuthnCredential.objects.filter(pk=theirs.pk).exists()
    assert WebAuthnCredential.objects.filter(user=resident).count() == 1


def test_a_resident_with_a_passkey_only_adds_an_authenticator_again(client, committed):
    resident = ResidentFactory()
    sign_in_with_code(client, resident)
    enrol(client)
    remove(client, "authenticator")

    # when they start a new authenticator and type the code it shows
    started = client.post("/me/security/authenticator/", {"start": "1"})
    assert started["Location"] == "/me/security/authenticator/"
    assert 'id="totp-secret"' in client.get("/me/security/authenticator/").content.decode()
    device = resident.totp.__class__.objects.get(user=resident)
    assert not device.confirmed
    done = committed(client.post, "/me/security/authenticator/", {"otp": totp_now(device)})

    # then it counts, and the number on file is told
    assert done["Location"] == "/me/security/"
    device.refresh_from_db()
    assert device.confirmed
    assert any("开通了身份验证器" in text for text in sent_to(resident.person.phone))
    # a second one while one is confirmed: refused, nothing replaced
    client.post("/me/security/authenticator/", {"start": "1"})
    assert list(resident.totp.__class__.objects.filter(user=resident)) == [device]


def test_sms_is_shown_as_off_where_the_region_switched_it_off(client):
    resident = ResidentFactory(person=PersonFactory(region=RegionFactory(sms_sign_in_allowed=False)))
    sign_in_with_code(client, resident)
    page = client.get("/me/security/").content.decode()
    assert "不能使用" in page


def test_the_library_script_texts_are_in_chinese(client):
    catalog = client.get("/passkeys/jsi18n/").content.decode()
    for text in ("正在验证……", "通行密钥添加成功！"):
        assert json.dumps(text)[1:-1] in catalog, text


@pytest.mark.django_db(transaction=True)
def test_two_removals_at_once_cannot_both_pass_the_last_factor_rule():
    """One removal holds the login's row (its factor deleted, not yet committed); a second removal
    of the other factor must wait, then count one factor left and refuse with last_factor."""
    resident = ResidentFactory()
    passkey = WebAuthnCredential.objects.create(user=resident, credential_id=os.urandom(16), public_key=b"k")
    holding, release = threading.Event(), threading.Event()
    outcomes: list[str] = []

    def first() -> None:
        try:
            with transaction.atomic():
                authenticator_remove(user=resident)
                holding.set()
                release.wait(60)
            outcomes.append("removed")
        finally:
            connection.close()

    def second() -> None:
        try:
            passkey_remove(user=resident, passkey_id=passkey.pk)
            outcomes.append("removed")
        except ApplicationError as error:
            outcomes.append(error.code)
        finally:
            connection.close()

    holder = threading.Thread(target=first)
    holder.start()
    assert holding.wait(60)
    other = threading.Thread(target=second)
    other.start()
    with connection.cursor() as cursor:  # until the second removal waits on a lock (or has finished)
        for _ in range(600):
            cursor.execute(
                "SELECT count(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database"
                " WHERE NOT l.granted AND d.datname = current_database()"
            )
            if cursor.fetchone()[0] or not other.is_alive():
                break
            threading.Event().wait(0.05)
    release.set()
    holder.join()
    other.join()
    assert sorted(outcomes) == ["last_factor", "removed"]
    assert WebAuthnCredential.objects.filter(pk=passkey.pk).exists()

"""The resident and counter pages (API.md section 6) through Django's test client."""

import base64
import re
from html.parser import HTMLParser
from typing import Any

import pytest
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from stdnum.cn import ric

from accounts.errors import AccountsError
from accounts.forms import REASON_MSGIDS
from accounts.models import Person, User
from accounts.tests.factories import (
    AccountFactory,
    InstitutionFactory,
    PersonFactory,
    ResidentFactory,
    StaffFactory,
    totp_now,
)
from accounts.views import PENDING_SESSION_KEY, REGISTRATION_SESSION_KEY
from portal.core.notify import MemorySmsSender

pytestmark = pytest.mark.django_db

PASSWORD = "Correct-Horse-42"


# --- helpers ---------------------------------------------------------------------------------


class _Elements(HTMLParser):
    """Collects (tag, attrs) of every start tag, and the text inside elements with an id."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, {k: v or "" for k, v in attrs}))


def elements(html: str) -> list[tuple[str, dict[str, str]]]:
    parser = _Elements()
    parser.feed(html)
    return parser.tags


def field_error_codes(html: str, field: str) -> list[str]:
    """Reason codes shown in the error block beside one field (`id_<field>_error`)."""
    block = re.search(rf'<div id="id_{field}_error">(.*?)</div>', html, re.S)
    return re.findall(r'class="field-error" data-code="([a-z_]+)"', block.group(1)) if block else []


def form_error_codes(html: str) -> list[str]:
    return re.findall(r'class="form-error" data-code="([a-z_]+)"', html)


def registration(person: Person, **overrides: str) -> dict[str, str]:
    data = {
        "id_number": person.id_number,
        "name": person.name,
        "card_number": person.card_number,
        "phone": person.phone,
        "password": PASSWORD,
        "password_confirm": PASSWORD,
    }
    data.update(overrides)
    return data


def last_sms_code(phone: str) -> str:
    """The code of the last SMS sent to `phone` (the only run of 6 digits in its text)."""
    texts = [text for to, text in MemorySmsSender.outbox if to == phone]
    return re.findall(r"(?<!\d)\d{6}(?!\d)", texts[-1])[0]


def register_through_sms(client: Client, person: Person, capture: Any, **overrides: str) -> Any:
    """Steps 1 and 2 of the web registration: the form, then the code sent to the number on file
    (`capture` is pytest-django's django_capture_on_commit_callbacks: SMS leave after commit)."""
    with capture(execute=True):
        response = client.post("/register/", registration(person, **overrides))
    assert response.status_code == 302 and response["Location"] == "/register/sms/"
    return client.post("/register/sms/", {"sms_code": last_sms_code(person.phone)})


def sign_in(client: Client, user: User, *, otp: str | None = None, password: str = PASSWORD) -> Any:
    """Posts the sign-in form with the resident's current code (or the given one)."""
    assert user.person is not None
    code = otp or totp_now(user.totp)
    return client.post("/login/", {"login": user.person.id_number, "password": password, "otp": code})


def with_check_digit(body17: str) -> str:
    return body17 + ric.calc_check_digit(body17 + "0")


# --- registration ----------------------------------------------------------------------------


def test_matching_identity_sends_a_code_then_leads_to_authenticator_enrolment(
    client, django_capture_on_commit_callbacks
):
    # given an imported person without an account
    person = PersonFactory()

    # when they register with their three identity fields and the phone on file
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/register/", registration(person))

    # then the SMS code page is next, naming the masked number; no account exists yet
    assert response.status_code == 302
    assert response["Location"] == "/register/sms/"
    assert not User.objects.filter(person=person).exists()
    page = client.get("/register/sms/").content.decode()
    assert person.phone_masked in page and person.phone not in page
    assert '<label for="id_sms_code">短信验证码</label>' in page

    # when they type the code sent to the number on file
    response = client.post("/register/sms/", {"sms_code": last_sms_code(person.phone)})

    # then the account exists, is not signed in yet, and the authenticator page is next
    assert response.status_code == 302
    assert response["Location"] == "/register/authenticator/"
    user = User.objects.get(person=person)
    assert client.session[REGISTRATION_SESSION_KEY] == user.pk
    assert PENDING_SESSION_KEY not in client.session
    assert "_auth_user_id" not in client.session


def test_wrong_sms_code_is_shown_beside_the_code_field(client, django_capture_on_commit_callbacks):
    person = PersonFactory()
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/register/", registration(person))
    code = last_sms_code(person.phone)
    wrong = "000000" if code != "000000" else "111111"

    page = client.post("/register/sms/", {"sms_code": wrong}).content.decode()

    assert field_error_codes(page, "sms_code") == ["sms_code_invalid"]
    assert not User.objects.filter(person=person).exists()


def test_sms_page_without_a_registration_goes_back_to_register(client):
    response = client.get("/register/sms/")
    assert response.status_code == 302
    assert response["Location"] == "/register/"


def test_authenticator_page_shows_qr_code_and_secret_and_confirms_the_code(
    client, django_capture_on_commit_callbacks
):
    # given a fresh registration
    person = PersonFactory()
    register_through_sms(client, person, django_capture_on_commit_callbacks)
    device = User.objects.get(person=person).totpdevice_set.get()

    # when the resident opens the enrolment page
    page = client.get("/register/authenticator/").content.decode()

    # then it shows the QR code inline as SVG, the secret for manual entry and the code field
    assert '<svg role="img"' in page
    secret = re.search(r'<code id="totp-secret">([A-Z2-7 ]+)</code>', page).group(1).replace(" ", "")
    assert base64.b32decode(secret) == device.bin_key
    assert '<label for="id_otp">动态验证码</label>' in page

    # when they type the code their authenticator shows
    response = client.post("/register/authenticator/", {"otp": totp_now(device)})

    # then enrolment is finished and they are sent to sign in, with a success message
    assert response.status_code == 302
    assert response["Location"] == "/login/"
    device.refresh_from_db()
    assert device.confirmed
    assert REGISTRATION_SESSION_KEY not in client.session
    assert "身份验证器已开通" in client.get("/login/").content.decode()


def test_wrong_authenticator_code_is_shown_beside_the_code_field(client, django_capture_on_commit_callbacks):
    # given a fresh registration
    person = PersonFactory()
    register_through_sms(client, person, django_capture_on_commit_callbacks)
    device = User.objects.get(person=person).totpdevice_set.get()
    wrong = "000000" if totp_now(device) != "000000" else "111111"

    # when a wrong code is typed
    page = client.post("/register/authenticator/", {"otp": wrong}).content.decode()

    # then otp_invalid is beside the field and the device stays unconfirmed
    assert field_error_codes(page, "otp") == ["otp_invalid"]
    device.refresh_from_db()
    assert not device.confirmed


def test_authenticator_page_without_a_registration_goes_back_to_register(client):
    # given no registration in this session
    # when the enrolment page is opened
    response = client.get("/register/authenticator/")

    # then the visitor is sent to the registration form
    assert response.status_code == 302
    assert response["Location"] == "/register/"


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("id_number", "12345", "id_number_format"),
        ("id_number", "", "field_required"),
        ("id_number", "CHECKSUM", "id_number_checksum"),
        ("id_number", with_check_digit("11010119801332001"), "id_number_birth_date"),
        ("name", "张三<b>", "name_invalid"),
        ("name", "", "field_required"),
        ("card_number", "12345678", "card_number_format"),
        ("phone", "2391234567", "phone_format"),
        ("password_confirm", "Another-Horse-43", "password_mismatch"),
    ],
)
def test_each_registration_error_is_shown_beside_its_field_with_its_code(client, field, value, code):
    # given an imported person
    person = PersonFactory()
    if value == "CHECKSUM":
        last = person.id_number[-1]
        value = person.id_number[:-1] + ("0" if last != "0" else "1")

    # when one field is wrong
    response = client.post("/register/", registration(person, **{field: value}))
    page = response.content.decode()

    # then its reason code is beside that field, the field is marked invalid, and nothing is stored
    assert response.status_code == 200
    assert field_error_codes(page, field) == [code]
    field_input = next(attrs for tag, attrs in elements(page) if attrs.get("id") == f"id_{field}")
    assert field_input["aria-invalid"] == "true"
    assert f"id_{field}_error" in field_input["aria-describedby"]
    assert not User.objects.filter(person=person).exists()


def test_every_shape_error_is_shown_at_once(client):
    # given an imported person
    person = PersonFactory()

    # when several fields are wrong together
    page = client.post(
        "/register/", registration(person, id_number="123", card_number="x", phone="1")
    ).content.decode()

    # then each shows its own reason beside itself
    assert field_error_codes(page, "id_number") == ["id_number_format"]
    assert field_error_codes(page, "card_number") == ["card_number_format"]
    assert field_error_codes(page, "phone") == ["phone_format"]


def test_weak_password_is_refused_beside_the_password_field(client):
    # given an imported person
    person = PersonFactory()

    # when the password is all digits and short
    page = client.post(
        "/register/", registration(person, password="12345678", password_confirm="12345678")
    ).content.decode()

    # then Django's validators' reasons are shown beside the password, coded password_invalid
    codes = field_error_codes(page, "password")
    assert codes and set(codes) == {"password_invalid"}
    assert not User.objects.filter(person=person).exists()


@pytest.mark.parametrize("wrong", ["name", "card_number", "id_number"])
def test_identity_mismatch_never_says_which_field(client, wrong):
    # given an imported person and another valid identity number nobody holds
    person = PersonFactory()
    other = PersonFactory.build().id_number
    bad = {"name": "李四", "card_number": "Z99999999", "id_number": other}[wrong]

    # when one of the three identity fields does not match
    response = client.post("/register/", registration(person, **{wrong: bad}))
    page = response.content.decode()

    # then one form-level identity_mismatch is shown and no field is singled out
    assert form_error_codes(page) == ["identity_mismatch"]
    assert 'class="field-error"' not in page
    assert "field--error" not in page
    assert 'aria-invalid="true"' not in page
    assert not User.objects.filter(person=person).exists()


def test_second_registration_is_already_registered(client):
    # given a resident who already registered
    resident = ResidentFactory()

    # when the same person registers again
    page = client.post("/register/", registration(resident.person)).content.decode()

    # then already_registered is shown with a way to sign in, and no second account exists
    assert form_error_codes(page) == ["already_registered"]
    assert 'href="/login/"' in page
    assert User.objects.filter(person=resident.person).count() == 1


def test_markup_in_the_name_is_refused_and_shown_escaped(client):
    # given an imported person
    person = PersonFactory()
    script = "<script>alert(1)</script>"

    # when the name field holds markup
    page = client.post("/register/", registration(person, name=script)).content.decode()

    # then it is refused beside the name, shown only escaped, and nothing is stored
    assert field_error_codes(page, "name") == ["name_invalid"]
    assert script not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert User.objects.count() == 0
    person.refresh_from_db()
    assert "<" not in person.name


def test_reason_msgids_are_the_accounts_error_messages():
    # given the Chinese texts the pages mark for translation
    # then each equals the message of its AccountsError, so the English catalogue stays in step
    for code, msgid in REASON_MSGIDS.items():
        assert msgid == code.message, code


# --- sign-in ---------------------------------------------------------------------------------


def test_sign_in_form_has_the_three_labels(client):
    # given the sign-in page
    page = client.get("/login/").content.decode()

    # then its visible labels are exactly 身份证号, 密码, 动态验证码
    labels = re.findall(r'<label for="id_[a-z_]+">([^<]+)</label>', page)
    assert labels == ["身份证号", "密码", "动态验证码"]


def test_sign_in_with_password_and_code_verifies_the_session(client):
    # given a registered resident
    resident = ResidentFactory()

    # when they sign in with identity number, password and the current code
    response = sign_in(client, resident)

    # then they are signed in with a verified second factor and sent to 我的
    assert response.status_code == 302
    assert response["Location"] == "/me/"
    assert client.session["_auth_user_id"] == str(resident.pk)
    assert client.session[DEVICE_ID_SESSION_KEY] == resident.totp.persistent_id


def test_lower_case_x_in_the_identity_number_signs_in(client):
    # given a resident whose identity number ends in X
    person = PersonFactory()
    while not person.id_number.endswith("X"):
        person = PersonFactory()
    resident = ResidentFactory(person=person)

    # when they type it with a lower-case x and spaces
    response = client.post(
        "/login/",
        {"login": f" {person.id_number.lower()} ", "password": PASSWORD, "otp": totp_now(resident.totp)},
    )

    # then they are signed in
    assert response.status_code == 302


@pytest.mark.parametrize("wrong", ["otp", "password", "login"])
def test_wrong_code_or_password_is_invalid_credentials_without_saying_which(client, wrong):
    # given a registered resident
    resident = ResidentFactory()
    right = totp_now(resident.totp)
    data = {"login": resident.person.id_number, "password": PASSWORD, "otp": right}
    data[wrong] = {
        "otp": "000000" if right != "000000" else "111111",
        "password": "Wrong-Horse-42",
        "login": PersonFactory.build().id_number,
    }[wrong]

    # when one part is wrong
    response = client.post("/login/", data)
    page = response.content.decode()

    # then invalid_credentials is shown above the form, no field singled out, nobody signed in
    assert response.status_code == 200
    assert form_error_codes(page) == ["invalid_credentials"]
    assert 'class="field-error"' not in page
    assert "_auth_user_id" not in client.session


def test_a_used_code_is_refused_the_second_time(client):
    # given a resident who signed in with a code and signed out
    resident = ResidentFactory()
    code = totp_now(resident.totp)
    assert sign_in(client, resident, otp=code).status_code == 302
    client.post("/logout/")

    # when the same code is used again
    page = sign_in(client, resident, otp=code).content.decode()

    # then it is refused
    assert form_error_codes(page) == ["invalid_credentials"]
    assert "_auth_user_id" not in client.session


def test_five_failures_lock_the_login_but_not_other_logins(client):
    # given two residents
    resident, neighbour = ResidentFactory(), ResidentFactory()

    # when one login fails five times
    statuses = [sign_in(client, resident, password="Wrong-Horse-42").status_code for _ in range(5)]

    # then the fifth failure locks it: even the right password and code get 429 locked_out
    assert statuses[:4] == [200, 200, 200, 200]
    assert statuses[4] == 429
    response = sign_in(client, resident)
    assert response.status_code == 429
    assert form_error_codes(response.content.decode()) == ["locked_out"]
    assert "_auth_user_id" not in client.session
    # and the lockout is per login, not per address: another resident signs in from the same place
    assert sign_in(client, neighbour).status_code == 302


def test_next_is_followed_only_on_this_site(client):
    # given a registered resident
    resident = ResidentFactory()
    data = {"login": resident.person.id_number, "password": PASSWORD, "otp": totp_now(resident.totp)}

    # when the sign-in form carries an outside `next`
    response = client.post("/login/?next=https://evil.example/", data)

    # then it is ignored
    assert response["Location"] == "/me/"


def test_sign_out_is_post_only_and_goes_home(client):
    # given a signed-in resident
    resident = ResidentFactory()
    sign_in(client, resident)

    # when sign-out is requested with GET, then with POST
    get = client.get("/logout/")
    post = client.post("/logout/")

    # then GET is refused and POST signs out and goes home
    assert get.status_code == 405
    assert post.status_code == 302
    assert post["Location"] == "/"
    assert "_auth_user_id" not in client.session


# --- 我的 ------------------------------------------------------------------------------------


def test_me_shows_only_masked_numbers(client):
    # given a signed-in employee resident with a personal account of 1,000.00 yuan
    account = AccountFactory(balance_fen=100_000)
    resident = ResidentFactory(person=account.person)
    person = resident.person
    sign_in(client, resident)

    # when they open 我的
    page = client.get("/me/").content.decode()

    # then numbers appear only masked, the balance in yuan
    assert person.id_number not in page
    assert person.card_number not in page
    assert person.phone not in page
    assert person.id_number_masked in page
    assert person.card_number_masked in page
    assert "1,000.00" in page
    assert person.name in page
    assert "正常" in page


def test_me_says_resident_insurance_has_no_personal_account(client):
    # given a signed-in resident insured under 城乡居民医保
    resident = ResidentFactory(person=PersonFactory(insurance_type="resident"))
    sign_in(client, resident)

    # when they open 我的
    page = client.get("/me/").content.decode()

    # then it says so in plain words
    assert "城乡居民医保没有个人账户" in page


@pytest.mark.parametrize(
    ("status", "label", "meaning"),
    [
        ("normal", "正常", "正常使用"),
        ("arrears", "欠费", "缴清"),
        ("interrupted", "中断", "连续3个月"),
        ("terminated", "终止", "终止"),
    ],
)
def test_me_explains_the_insurance_status(client, status, label, meaning):
    # given a signed-in resident with this status
    resident = ResidentFactory(person=PersonFactory(status=status))
    sign_in(client, resident)

    # when they open 我的
    page = client.get("/me/").content.decode()

    # then the status is named and explained in one sentence
    assert f'<p class="status status--{status}"><strong>{label}</strong></p>' in page
    assert meaning in page


def test_me_needs_a_signed_in_resident(client):
    # given nobody signed in
    # when 我的 is opened
    response = client.get("/me/")

    # then the visitor is sent to sign in and back
    assert response.status_code == 302
    assert response["Location"] == "/login/?next=/me/"


def test_me_needs_the_second_factor(client):
    # given a resident session that never passed the one-time code
    resident = ResidentFactory()
    client.force_login(resident)

    # when 我的 is opened
    response = client.get("/me/")

    # then the resident is sent to sign in properly
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_staff_get_403_on_me(client):
    # given signed-in bureau staff
    client.force_login(StaffFactory())

    # when they open 我的
    response = client.get("/me/")

    # then it is forbidden, explained in Chinese
    assert response.status_code == 403
    assert "没有权限" in response.content.decode()


# --- counter ---------------------------------------------------------------------------------


def test_counter_needs_an_otp_verified_staff_session(client):
    # given hospital staff signed in with a password only
    staff = StaffFactory(role="hospital", institution=InstitutionFactory(), is_staff=False)
    client.force_login(staff)

    # when they open the counter
    response = client.get("/counter/")

    # then they are sent to the counter sign-in
    assert response.status_code == 302
    assert response["Location"].startswith("/counter/login/")


def test_counter_sign_in_with_code_opens_the_counter_home(client):
    # given hospital staff with a one-time code
    institution = InstitutionFactory(name="北京协和医院")
    staff = StaffFactory(role="hospital", institution=institution, is_staff=False)

    # when they sign in at the counter
    response = client.post(
        "/counter/login/", {"username": staff.username, "password": "Staff-Password-42", "otp": "123456"}
    )

    # then the counter home says which institution they serve
    assert response.status_code == 302
    assert response["Location"] == "/counter/"
    page = client.get("/counter/").content.decode()
    assert "北京协和医院" in page
    assert "定点医院医保办" in page


def test_counter_sign_in_form_is_keyboard_first(client):
    # given the counter sign-in page
    tags = elements(client.get("/counter/login/").content.decode())

    # then the first field has focus and every field has a label
    username = next(attrs for tag, attrs in tags if attrs.get("id") == "id_username")
    assert "autofocus" in username
    labels = {attrs["for"] for tag, attrs in tags if tag == "label"}
    assert {"id_username", "id_password", "id_otp"} <= labels


def test_resident_cannot_sign_in_at_the_counter(client):
    # given a registered resident
    resident = ResidentFactory()

    # when they use the counter sign-in
    page = client.post(
        "/counter/login/",
        {"username": resident.person.id_number, "password": PASSWORD, "otp": totp_now(resident.totp)},
    ).content.decode()

    # then they are told to use the resident sign-in, and not signed in
    assert form_error_codes(page) == ["staff_only"]
    assert "_auth_user_id" not in client.session


def test_residents_get_403_at_the_counter(client):
    # given a signed-in resident
    resident = ResidentFactory()
    sign_in(client, resident)

    # when they open the counter
    response = client.get("/counter/")

    # then it is forbidden
    assert response.status_code == 403


# --- language, large text, error pages -------------------------------------------------------


def test_pages_are_chinese_first(client):
    # given no language chosen
    page = client.get("/").content.decode()

    # then the page is Simplified Chinese
    assert '<html lang="zh-Hans"' in page
    assert '<meta charset="utf-8">' in page
    assert "医保家庭共济" in page


def test_english_switch_shows_english_text(client):
    # given a visitor on the home page
    # when they switch to English
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/login/"})

    # then the pages are in English, labels and all
    assert response["Location"] == "/login/"
    page = client.get("/login/").content.decode()
    assert '<html lang="en"' in page
    assert '<label for="id_login">Identity card number</label>' in page
    assert '<label for="id_otp">One-time code</label>' in page
    assert "身份证号" not in page


def test_english_errors_keep_their_codes(client):
    # given an English-speaking visitor
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})

    # when they register with a malformed identity number
    page = client.post("/register/", registration(PersonFactory(), id_number="123")).content.decode()

    # then the reason is in English with the same code
    assert field_error_codes(page, "id_number") == ["id_number_format"]
    assert "18 characters" in page


def test_large_text_toggle_sets_the_class(client):
    # given the normal text size
    assert 'class="large-text"' not in client.get("/").content.decode()

    # when the large-text mode is switched on
    response = client.post("/display/", {"next": "/register/"})

    # then every page carries the large-text class and the switch shows it is on
    assert response["Location"] == "/register/"
    page = client.get("/register/").content.decode()
    assert '<html lang="zh-Hans" class="large-text">' in page
    assert 'aria-pressed="true"' in page


def test_every_field_on_every_form_has_a_visible_label(client):
    # given the forms of the resident and counter pages
    for url in ("/register/", "/login/", "/counter/login/"):
        tags = elements(client.get(url).content.decode())
        inputs = {a["id"] for t, a in tags if t == "input" and a.get("type") != "hidden" and "id" in a}
        labels = {a["for"] for t, a in tags if t == "label"}

        # then every visible input has a label
        assert inputs and inputs <= labels, url


def test_unknown_page_is_a_chinese_404(client):
    # when a page that does not exist is opened
    response = client.get("/no-such-page/")

    # then the 404 page explains in Chinese
    assert response.status_code == 404
    assert "找不到这个页面" in response.content.decode()


def test_server_error_page_renders_without_a_request():
    # given Django renders 500.html with no request and no context processors
    from django.template import loader

    # when it is rendered
    page = loader.get_template("500.html").render()

    # then it explains in Chinese
    assert "系统暂时出错" in page
    assert '<html lang="zh-Hans">' in page


def test_expired_form_is_explained_in_chinese():
    # given a browser whose form lost its CSRF token (page open too long, cookies blocked)
    client = Client(enforce_csrf_checks=True)

    # when it posts the sign-in form
    response = client.post("/login/", {"login": "x", "password": "y", "otp": "1"})

    # then the 403 says in plain Chinese what to do
    assert response.status_code == 403
    assert "页面已过期" in response.content.decode()


def test_staff_sign_out_returns_to_the_counter_sign_in(client):
    # given hospital staff signed in at the counter
    staff = StaffFactory(role="hospital", institution=InstitutionFactory(), is_staff=False)
    client.post(
        "/counter/login/", {"username": staff.username, "password": "Staff-Password-42", "otp": "123456"}
    )

    # when they press 退出登录 on the counter page
    page = client.get("/counter/").content.decode()
    assert 'name="next" value="/counter/login/"' in page
    response = client.post("/logout/", {"next": "/counter/login/"})

    # then they are signed out and back at the counter sign-in
    assert response["Location"] == "/counter/login/"
    assert client.get("/counter/").status_code == 302


def test_lockout_response_is_json_for_the_api(rf):
    # given a locked login on the API
    from accounts.views import lockout_response

    request = rf.post("/api/v1/auth/token/")

    # when django-axes asks for the lockout response
    response = lockout_response(request, None, {"username": "x"})

    # then it is the API's error body with 429
    assert response.status_code == 429
    assert response["Content-Type"] == "application/json"
    assert b'"error": "locked_out"' in response.content


def test_lockout_response_is_a_chinese_page_elsewhere(client):
    # given a staff login locked by five failures at the admin sign-in
    staff = StaffFactory()
    for _ in range(5):
        client.post(
            "/admin/login/", {"username": staff.username, "password": "wrong-one-42", "otp_token": "1"}
        )

    # when it is tried again
    response = client.post(
        "/admin/login/", {"username": staff.username, "password": "Staff-Password-42", "otp_token": "123456"}
    )

    # then the answer is a 429 page with the locked_out reason in Chinese
    page = response.content.decode()
    assert response.status_code == 429
    assert response["Retry-After"] == "900"
    assert '<html lang="zh-Hans"' in page
    assert form_error_codes(page) == ["locked_out"]
    assert AccountsError.LOCKED_OUT.message in page


def test_the_ledger_lines_the_portal_describes_read_in_the_visitors_language():
    from django.utils import translation

    from accounts.imports.persons_sql import OPENING_DESCRIPTION
    from accounts.ledger import CREDIT_DESCRIPTION, REVERSAL_PREFIX
    from accounts.views import entry_description_text

    reversal = f"{REVERSAL_PREFIX}定点零售药店药品、医疗器械、医用耗材"
    with translation.override("en"):
        assert entry_description_text(OPENING_DESCRIPTION) == "Opening balance"
        assert entry_description_text(CREDIT_DESCRIPTION) == "Monthly credit to the personal account"
        assert entry_description_text(reversal) == (
            "Reversal: Medicines, medical devices and supplies at a designated retail pharmacy"
        )
        assert entry_description_text("") == ""  # not the catalogue's header
        assert entry_description_text("核心系统调账") == "核心系统调账"  # a text of its own, as stored
    with translation.override("zh-hans"):
        assert entry_description_text(reversal) == reversal


# --- rate limits on the registration and sign-in pages (issue 15) ------------------------------


def test_the_registration_page_is_rate_limited_per_identity_number(client, settings):
    settings.RATE_LIMITS = {"register": {"key": (2, 3600), "address": None}}
    person = PersonFactory()
    for _ in range(2):
        client.post("/register/", registration(person, phone="13900009999"))
    response = client.post("/register/", registration(person), HTTP_X_FORWARDED_FOR="198.51.100.7")
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert form_error_codes(response.content.decode()) == ["throttled"]
    assert "操作过于频繁，请稍后再试" in response.content.decode()
    assert not MemorySmsSender.outbox


def test_the_sms_code_page_is_rate_limited_per_registration(
    client, settings, django_capture_on_commit_callbacks
):
    settings.RATE_LIMITS = {"sms_code": {"key": (2, 3600), "address": None}}
    person = PersonFactory()
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/register/", registration(person))
    code = last_sms_code(person.phone)
    for _ in range(2):
        client.post("/register/sms/", {"sms_code": "000000" if code != "000000" else "111111"})
    response = client.post("/register/sms/", {"sms_code": code})
    assert response.status_code == 429 and response["Retry-After"]
    assert not User.objects.filter(person=person).exists()


def test_the_sign_in_page_is_rate_limited_per_login_and_checks_no_password(client, settings):
    settings.RATE_LIMITS = {"login": {"key": (2, 3600), "address": None}}
    resident = ResidentFactory()
    for _ in range(2):
        sign_in(client, resident, otp="000000", password="Wrong-Password-1")
    response = sign_in(client, resident)
    assert response.status_code == 429 and response["Retry-After"]
    assert form_error_codes(response.content.decode()) == ["throttled"]
    assert "_auth_user_id" not in client.session

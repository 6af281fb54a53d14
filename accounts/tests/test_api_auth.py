"""Registration, sign-in and /me/ through the API (API.md section 2)."""

import datetime as dt

import pytest
from django.utils import timezone
from knox.models import AuthToken
from stdnum.cn import ric

from accounts.models import Person, User
from accounts.tests.factories import (
    AccountFactory,
    PersonFactory,
    ResidentFactory,
    StaffFactory,
    make_id_number,
    totp_now,
)

pytestmark = pytest.mark.django_db

PASSWORD = "Correct-Horse-42"


def _with_check(body17: str, *, wrong: bool = False) -> str:
    right = ric.calc_check_digit(body17 + "0")
    digits = "0123456789X"
    return body17 + (digits[(digits.index(right) + 1) % 11] if wrong else right)


def register_body(person: Person, **overrides: str) -> dict[str, str]:
    body = {
        "id_number": person.id_number,
        "name": person.name,
        "card_number": person.card_number,
        "phone": person.phone,
        "password": "Lantern-River-2026",
    }
    body.update(overrides)
    return body


def test_registration_with_matching_identity_sends_a_code_to_the_number_on_file(api):
    # given an imported person with no login
    person = PersonFactory()
    # when they register with their number, name, card and the phone on file
    response = api.post("/api/v1/auth/register/", register_body(person), format="json")
    # then the answer is 202 with the masked number the code went to; no login exists yet
    assert response.status_code == 202
    body = response.json()
    assert body["sms_sent_to"] == person.phone[:3] + "****" + person.phone[-4:]
    assert body["expires_in"] == 300 and body["registration_id"]
    assert not User.objects.filter(person=person).exists()


@pytest.mark.parametrize("field", ["name", "card_number", "phone"])
def test_identity_mismatch_never_says_which_field_was_wrong(api, field):
    # given a person, and a registration with one identity field wrong
    person = PersonFactory()
    wrong = {"name": "李四", "card_number": "Z99999999", "phone": "13900001111"}[field]
    # when
    response = api.post("/api/v1/auth/register/", register_body(person, **{field: wrong}), format="json")
    # then the answer is the same whichever field was wrong, and nothing is stored
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "identity_mismatch"
    assert [d.get("field") for d in body["details"]] == [None]
    assert not User.objects.filter(person=person).exists()


def test_unknown_identity_number_is_the_same_identity_mismatch(api):
    response = api.post(
        "/api/v1/auth/register/",
        {
            "id_number": make_id_number(),
            "name": "王五",
            "card_number": "A00000001",
            "phone": "13900001111",
            "password": "Lantern-River-2026",
        },
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["error"] == "identity_mismatch"


@pytest.mark.parametrize(
    ("id_number", "code"),
    [
        ("11010119800101001", "id_number_format"),  # 17 characters
        ("1101011980010100AX", "id_number_format"),  # letter inside
        (_with_check("11010119800101001", wrong=True), "id_number_checksum"),
        (_with_check("11010119800230001"), "id_number_birth_date"),  # 30 February, checksum right
        (_with_check("11010121000101001"), "id_number_birth_date"),  # born in 2100
    ],
)
def test_bad_identity_numbers_get_their_own_reason_code_and_store_nothing(api, id_number, code):
    response = api.post(
        "/api/v1/auth/register/",
        {
            "id_number": id_number,
            "name": "王五",
            "card_number": "A00000001",
            "phone": "13900001111",
            "password": "Lantern-River-2026",
        },
        format="json",
    )
    assert response.status_code == 400
    assert [d["code"] for d in response.json()["details"]] == [code]
    assert User.objects.count() == 0


def test_a_second_registration_of_an_enrolled_person_is_refused(api):
    # given a person who registered and confirmed their authenticator
    resident = ResidentFactory()
    # when they register again
    response = api.post("/api/v1/auth/register/", register_body(resident.person), format="json")
    # then
    assert response.status_code == 409
    assert response.json()["error"] == "already_registered"
    assert User.objects.filter(person=resident.person).count() == 1


def test_weak_password_is_refused_by_djangos_validators(api):
    person = PersonFactory()
    response = api.post("/api/v1/auth/register/", register_body(person, password="12345678"), format="json")
    assert response.status_code == 400
    assert response.json()["error"] == "password_invalid"
    assert {d["field"] for d in response.json()["details"]} == {"password"}
    assert not User.objects.filter(person=person).exists()


def test_sql_or_html_in_the_name_matches_nobody_and_stores_nothing(api):
    person = PersonFactory()
    for name in ["张三'; DROP TABLE accounts_person;--", "<script>alert(1)</script>"]:
        response = api.post("/api/v1/auth/register/", register_body(person, name=name), format="json")
        assert response.status_code == 400
        assert response.json()["error"] == "identity_mismatch"
    assert Person.objects.filter(pk=person.pk, name=person.name).exists()
    assert User.objects.count() == 0


def sign_in(api, login: str, otp: str, password: str = PASSWORD):
    return api.post("/api/v1/auth/token/", {"login": login, "password": password, "otp": otp}, format="json")


def test_sign_in_with_password_and_code_gives_an_expiring_bearer_token(api):
    # given a registered resident
    resident = ResidentFactory()
    # when they sign in with number, password and the current code
    response = sign_in(api, resident.person.id_number, totp_now(resident.totp))
    # then they get a token that expires and works as Bearer
    assert response.status_code == 200
    body = response.json()
    assert 0 < body["expires_in"] <= 24 * 3600
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {body['token']}")
    assert api.get("/api/v1/me/").status_code == 200


def test_identity_number_login_accepts_lower_case_x_and_spaces(api):
    person = PersonFactory()
    while not person.id_number.endswith("X"):
        person = PersonFactory()
    resident = ResidentFactory(person=person)
    response = sign_in(api, f"  {person.id_number.lower()} ", totp_now(resident.totp))
    assert response.status_code == 200


@pytest.mark.parametrize("what", ["password", "otp"])
def test_wrong_password_or_code_is_invalid_credentials_without_saying_which(api, what):
    resident = ResidentFactory()
    good_code = totp_now(resident.totp)
    wrong_code = f"{(int(good_code) + 1) % 1_000_000:06d}"
    response = sign_in(
        api,
        resident.person.id_number,
        wrong_code if what == "otp" else good_code,
        password="Wrong-Password-1" if what == "password" else PASSWORD,
    )
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_credentials"
    assert AuthToken.objects.count() == 0


def test_a_totp_code_cannot_be_used_twice(api):
    resident = ResidentFactory()
    code = totp_now(resident.totp)
    assert sign_in(api, resident.person.id_number, code).status_code == 200
    response = sign_in(api, resident.person.id_number, code)
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_credentials"


def test_five_failures_lock_the_login_even_for_the_right_password(api):
    # given five wrong passwords for one login
    resident = ResidentFactory()
    statuses = [
        sign_in(api, resident.person.id_number, "000000", password="Wrong-Password-1").status_code
        for _ in range(5)
    ]
    assert statuses == [401, 401, 401, 401, 429]
    # when the right password and code come next
    response = sign_in(api, resident.person.id_number, totp_now(resident.totp))
    # then the login stays locked
    assert response.status_code == 429
    assert response.json()["error"] == "locked_out"
    assert response.headers["Retry-After"]


def test_lockout_is_per_login_not_per_address(api):
    locked, other = ResidentFactory(), ResidentFactory()
    for _ in range(5):
        sign_in(api, locked.person.id_number, "000000", password="Wrong-Password-1")
    assert sign_in(api, other.person.id_number, totp_now(other.totp)).status_code == 200


def test_staff_sign_in_to_the_api_with_a_static_token(api):
    staff = StaffFactory(
        role="hospital",
        region=None,
        is_staff=False,
        institution=__import__("accounts.tests.factories", fromlist=["x"]).InstitutionFactory(),
    )
    response = sign_in(api, staff.username, "123456", password="Staff-Password-42")
    assert response.status_code == 200


def test_me_returns_masked_numbers_and_the_balance_in_fen(api):
    # given a resident with a personal account of 1,234.56 yuan
    resident = ResidentFactory()
    AccountFactory(person=resident.person, balance_fen=123456)
    api.force_authenticate(resident)
    # when
    body = api.get("/api/v1/me/").json()
    # then
    number = resident.person.id_number
    assert body["id_number_masked"] == number[:6] + "********" + number[-4:]
    assert (
        body["card_number_masked"]
        == resident.person.card_number[:2] + "*****" + resident.person.card_number[-2:]
    )
    assert body["balance_fen"] == 123456
    assert body["sex"] == "male"
    assert body["region"] == {"code": "110100", "name": "北京市", "province_code": "110000"}
    assert number not in str(body)


def test_me_balance_is_null_without_a_personal_account(api):
    resident = ResidentFactory(person=PersonFactory(insurance_type="resident"))
    api.force_authenticate(resident)
    assert api.get("/api/v1/me/").json()["balance_fen"] is None


def test_without_a_token_the_error_body_is_not_authenticated(api):
    response = api.get("/api/v1/me/")
    assert response.status_code == 401
    assert response.json() == {"error": "not_authenticated", "message": "请先登录", "details": []}


def test_an_expired_token_no_longer_works(api):
    resident = ResidentFactory()
    instance, token = AuthToken.objects.create(resident, expiry=dt.timedelta(hours=2))
    AuthToken.objects.filter(pk=instance.pk).update(expiry=timezone.now() - dt.timedelta(seconds=1))
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert api.get("/api/v1/me/").status_code == 401


def test_sign_out_revokes_the_token(api):
    resident = ResidentFactory()
    _, token = AuthToken.objects.create(resident)
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert api.post("/api/v1/auth/logout/").status_code == 204
    assert api.get("/api/v1/me/").status_code == 401


def test_schema_and_offline_docs_are_served(client):
    assert client.get("/api/v1/schema/").status_code == 200
    docs = client.get("/api/v1/docs/")
    assert docs.status_code == 200
    assert b"/static/drf_spectacular_sidecar/" in docs.content


# --- the Bearer check of every API request (decision record 0012) -------------------------------


def _bearer(token: str):
    from rest_framework.test import APIRequestFactory

    return APIRequestFactory().get("/api/v1/me/", HTTP_AUTHORIZATION=f"Bearer {token}")


def test_a_bearer_token_is_checked_with_one_query_and_gives_the_stored_user(django_assert_num_queries):
    from accounts.authentication import BearerTokenAuthentication

    staff = StaffFactory(role="bureau")
    instance, token = AuthToken.objects.create(staff)
    with django_assert_num_queries(1):
        user, auth = BearerTokenAuthentication().authenticate(_bearer(token))
    stored = User.objects.get(pk=staff.pk)
    assert [getattr(user, f.attname) for f in User._meta.concrete_fields] == [
        getattr(stored, f.attname) for f in User._meta.concrete_fields
    ]
    assert auth.pk == instance.pk and auth.expiry == instance.expiry


def test_the_token_and_user_columns_are_loaded_without_conversion():
    # the one query loads rows as psycopg returns them; a field that converts its database value
    # (an encrypted column, say) would need the ORM's look-up back
    from django.db import connection

    for model in (AuthToken, User):
        for field in model._meta.concrete_fields:
            assert not field.get_db_converters(connection), field


def test_a_wrong_secret_with_a_known_key_and_an_inactive_user_are_refused(api):
    from rest_framework.exceptions import AuthenticationFailed

    from accounts.authentication import BearerTokenAuthentication

    resident = ResidentFactory()
    _, token = AuthToken.objects.create(resident)
    with pytest.raises(AuthenticationFailed):
        BearerTokenAuthentication().authenticate(_bearer(token[:-4] + "0000"))
    User.objects.filter(pk=resident.pk).update(is_active=False)
    with pytest.raises(AuthenticationFailed):
        BearerTokenAuthentication().authenticate(_bearer(token))


def test_signing_in_deletes_the_users_expired_tokens(api):
    resident = ResidentFactory()
    old, _ = AuthToken.objects.create(resident, expiry=dt.timedelta(hours=2))
    AuthToken.objects.filter(pk=old.pk).update(expiry=timezone.now() - dt.timedelta(seconds=1))
    assert sign_in(api, resident.person.id_number, totp_now(resident.totp)).status_code == 200
    assert not AuthToken.objects.filter(pk=old.pk).exists()
    assert AuthToken.objects.filter(user=resident).count() == 1

"""Identity numbers encrypted at rest, looked up by keyed hash, shown masked (DESIGN.md section 3)."""

import pytest
from cryptography.fernet import Fernet
from django.db import connection
from django.test import override_settings
from hypothesis import given
from hypothesis import strategies as st

from accounts.identity import id_number_problem, parse_id_number
from accounts.models import Person
from accounts.selectors import person_get_by_id_number
from accounts.tests.factories import PersonFactory, make_id_number
from portal.core import crypto
from portal.core.masking import mask_card, mask_id_number, mask_name, mask_phone


@pytest.mark.django_db
def test_the_raw_columns_hold_no_plaintext_identity_or_phone_number():
    # given a stored person
    person = PersonFactory(phone="13812345678")
    # when the table is read without the model
    with connection.cursor() as cursor:
        cursor.execute("SELECT id_number, id_hash, phone FROM accounts_person WHERE id = %s", [person.pk])
        raw_id, raw_hash, raw_phone = cursor.fetchone()
    # then neither the number nor its digits appear in any column
    assert person.id_number not in raw_id and person.id_number not in raw_hash
    assert "13812345678" not in raw_phone
    assert crypto.decrypt(raw_id) == person.id_number


@pytest.mark.django_db
def test_a_person_is_found_by_the_keyed_hash_of_their_number():
    person = PersonFactory()
    assert person_get_by_id_number(id_number=person.id_number) == person
    assert person_get_by_id_number(id_number=make_id_number()) is None


@pytest.mark.django_db
def test_history_rows_hold_no_identity_or_phone_number():
    person = PersonFactory()
    person.name = "张新"
    person.save()
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM accounts_historicalperson WHERE id = %s", [person.pk])
        rows = cursor.fetchall()
    assert len(rows) == 2
    assert all(person.id_number not in str(row) and person.phone not in str(row) for row in rows)


@pytest.mark.django_db
def test_rotating_the_encryption_key_keeps_old_rows_readable():
    # given a row written under the old key
    person = PersonFactory()
    from django.conf import settings

    old_keys = settings.FIELD_ENCRYPTION_KEYS
    new_key = Fernet.generate_key().decode()
    # when a new key is put in front
    with override_settings(FIELD_ENCRYPTION_KEYS=[new_key, *old_keys]):
        crypto.reset_caches()
        try:
            # then the old row still decrypts, and re-encrypting uses the new key
            assert Person.objects.get(pk=person.pk).id_number == person.id_number
            with connection.cursor() as cursor:
                cursor.execute("SELECT id_number FROM accounts_person WHERE id = %s", [person.pk])
                token = cursor.fetchone()[0]
            assert (
                Fernet(new_key.encode()).decrypt(crypto.rotate(token).encode()).decode() == person.id_number
            )
        finally:
            crypto.reset_caches()


def test_masks_keep_only_what_the_contract_allows():
    assert mask_id_number("110101199003074477") == "110101********4477"
    assert mask_phone("13812345678") == "138****5678"
    assert mask_card("A12345678") == "A1*****78"
    assert mask_name("张三") == "张*"
    assert mask_name("欧阳娜娜") == "欧***"


@given(st.text(alphabet="0123456789X", min_size=18, max_size=18))
def test_a_masked_identity_number_never_shows_the_birth_date_digits(number):
    masked = mask_id_number(number)
    assert masked[6:14] == "********"
    assert len(masked) == 18


def test_identity_number_reasons_are_specific():
    assert id_number_problem("1234") == "id_number_format"
    good = make_id_number()
    assert id_number_problem(good) is None
    assert id_number_problem(good[:-1] + ("0" if good[-1] != "0" else "1")) == "id_number_checksum"


def test_sex_and_birth_date_are_derived_from_the_number():
    import datetime as dt

    woman = make_id_number(birth=dt.date(1956, 2, 29), male=False)
    identity = parse_id_number(woman.lower())
    assert identity.sex == "female"
    assert identity.birth_date == dt.date(1956, 2, 29)


@pytest.mark.django_db
def test_rotate_field_keys_moves_every_row_to_the_new_key_and_the_old_key_can_go():
    # given rows under the old key
    from django.conf import settings
    from django.core.management import call_command

    people = [PersonFactory(phone="13812345678"), PersonFactory(phone="")]
    old_keys = settings.FIELD_ENCRYPTION_KEYS
    new_key = Fernet.generate_key().decode()
    try:
        # when the new key goes first and the command runs
        with override_settings(FIELD_ENCRYPTION_KEYS=[new_key, *old_keys]):
            crypto.reset_caches()
            call_command("rotate_field_keys", batch=1)
        # then the new key alone reads every row
        with override_settings(FIELD_ENCRYPTION_KEYS=[new_key]):
            crypto.reset_caches()
            for p in people:
                fresh = Person.objects.get(pk=p.pk)
                assert (fresh.id_number, fresh.phone) == (p.id_number, p.phone)
    finally:
        crypto.reset_caches()


def test_an_unknown_county_code_is_an_address_problem_not_a_crash():
    body = "11999919800101001"
    number = body + __import__("stdnum.cn.ric", fromlist=["x"]).calc_check_digit(body + "0")
    assert id_number_problem(number) == "id_number_address"

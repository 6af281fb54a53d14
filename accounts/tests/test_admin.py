"""Bureau staff in the admin: OTP required, own region only, numbers masked, every view recorded."""

import re

import pytest

from accounts.models import PersonViewLog
from accounts.tests.factories import PersonFactory, ProvinceFactory, RegionFactory, StaffFactory

pytestmark = pytest.mark.django_db

STAFF_PASSWORD = "Staff-Password-42"


def admin_login(client, staff, token="123456"):
    return client.post(
        "/admin/login/?next=/admin/",
        {"username": staff.username, "password": STAFF_PASSWORD, "otp_token": token},
    )


def test_admin_refuses_a_password_without_a_one_time_code(client):
    staff = StaffFactory()
    response = client.post(
        "/admin/login/?next=/admin/", {"username": staff.username, "password": STAFF_PASSWORD}
    )
    assert response.status_code == 200  # the form again, with an error
    assert client.get("/admin/").status_code == 302


def test_a_session_signed_in_without_otp_cannot_open_the_admin(client):
    staff = StaffFactory()
    client.force_login(staff)
    assert client.get("/admin/").status_code == 302


def test_admin_accepts_password_plus_static_token_and_the_token_works_once(client):
    staff = StaffFactory()
    assert admin_login(client, staff).status_code == 302
    assert client.get("/admin/").status_code == 200
    client.logout()
    admin_login(client, staff)
    assert client.get("/admin/").status_code == 302


def test_the_person_list_shows_only_masked_numbers(client):
    # given a person in the staff member's region
    staff = StaffFactory()
    person = PersonFactory(region=staff.region)
    admin_login(client, staff)
    # when the list is opened
    html = client.get("/admin/accounts/person/").content.decode()
    # then only masked forms appear
    assert person.id_number_masked in html
    assert person.card_number_masked in html
    assert person.id_number not in html
    assert person.card_number not in html


def test_opening_a_person_is_recorded_and_shows_the_number_masked(client):
    staff = StaffFactory()
    person = PersonFactory(region=staff.region)
    admin_login(client, staff)
    html = client.get(f"/admin/accounts/person/{person.pk}/change/").content.decode()
    assert person.id_number not in html
    assert person.id_number_masked in html
    log = PersonViewLog.objects.get()
    assert (log.staff, log.person, log.surface) == (staff, person, "admin")


def test_bureau_staff_see_only_their_own_region(client):
    # given a person in another pooling region
    staff = StaffFactory()
    elsewhere = RegionFactory(
        code="310100", name="上海市", province=ProvinceFactory(code="310000", name="上海市")
    )
    outsider = PersonFactory(region=elsewhere)
    admin_login(client, staff)
    # then the list does not show them and their page is not found
    assert outsider.id_number_masked not in client.get("/admin/accounts/person/").content.decode()
    assert client.get(f"/admin/accounts/person/{outsider.pk}/change/").status_code == 302
    # nor their change history, which django-simple-history would find in its own table
    assert client.get(f"/admin/accounts/person/{outsider.pk}/history/").status_code == 404
    assert not PersonViewLog.objects.exists()


def test_a_history_page_of_an_id_that_is_no_number_is_not_found(client):
    admin_login(client, StaffFactory())
    for model in ("person", "personalaccount"):
        assert client.get(f"/admin/accounts/{model}/x/history/").status_code == 404  # was a server error


def test_a_persons_history_is_recorded_as_a_view_and_shows_names_and_cards_masked(client):
    # given a person whose name and card were corrected
    staff = StaffFactory()
    person = PersonFactory(region=staff.region, name="王小明", card_number="B10000007")
    person.name, person.card_number = "王晓明", "B20000008"
    person.save()
    admin_login(client, staff)
    # when staff open the change history
    response = client.get(f"/admin/accounts/person/{person.pk}/history/")
    # then both versions show masked, never in full, and the view is recorded like the detail page
    html = response.content.decode()
    assert response.status_code == 200
    for full in ("王小明", "王晓明", "B10000007", "B20000008"):
        assert full not in html
    assert "B1*****07" in html and "B2*****08" in html and "王**" in html
    log = PersonViewLog.objects.get()
    assert (log.staff, log.person, log.surface) == (staff, person, "admin")


def test_the_region_list_keeps_its_history_page(client):
    staff = StaffFactory()
    admin_login(client, staff)
    assert client.get(f"/admin/accounts/poolingregion/{staff.region_id}/history/").status_code == 200


def test_a_list_filter_holding_a_nul_character_is_refused(client):
    admin_login(client, StaffFactory())
    for params in ({"status__exact": "\x00"}, {"q": "a\x00b"}):
        assert client.get("/admin/accounts/person/", params).status_code == 400  # was a server error
    assert client.get("/admin/accounts/person/", {"status__exact": "normal"}).status_code == 200


LOOKUP = "/admin/accounts/person/lookup/"
NOT_FOUND = "在您的统筹区内未找到该身份证号或社会保障卡号对应的参保人。"


def test_staff_find_a_person_by_full_identity_or_card_number_posted_not_in_the_url(client):
    staff = StaffFactory()
    person = PersonFactory(region=staff.region)
    admin_login(client, staff)
    # the changelist carries the look-up form, which posts
    assert f'action="{LOOKUP}"' in client.get("/admin/accounts/person/").content.decode()
    for number in (person.id_number.lower(), f" {person.card_number.lower()} "):
        response = client.post(LOOKUP, {"number": number})
        assert response.status_code == 302
        assert response["Location"] == f"/admin/accounts/person/{person.pk}/change/"  # the id, no number


def test_a_number_of_another_region_is_answered_as_an_unknown_one(client):
    staff = StaffFactory()
    far = PersonFactory(
        region=RegionFactory(
            code="310100", name="上海市", province=ProvinceFactory(code="310000", name="上海市")
        )
    )
    admin_login(client, staff)
    answers = []
    for number in (far.id_number, far.card_number, "11010119800101999X", "A99999999", "不是号码"):
        response = client.post(LOOKUP, {"number": number}, follow=True)
        html = response.content.decode()
        assert response.redirect_chain == [("/admin/accounts/person/", 302)]
        assert NOT_FOUND in html and far.id_number_masked not in html
        answers.append(re.search(r'<ul class="messagelist">.*?</ul>', html, re.S).group())
    assert len(set(answers)) == 1  # the same answer, whoever the number belongs to
    assert not PersonViewLog.objects.exists()


def test_the_look_up_takes_no_number_in_a_query_string(client):
    staff = StaffFactory()
    person = PersonFactory(region=staff.region)
    admin_login(client, staff)
    assert client.get(LOOKUP, {"number": person.id_number}).status_code == 405
    # and the free-text search matches names only: a number (or part of one) finds nobody
    for term in (person.id_number, person.card_number, person.id_number[:6]):
        html = client.get("/admin/accounts/person/", {"q": term}).content.decode()
        assert person.id_number_masked not in html
    assert (
        person.id_number_masked in client.get("/admin/accounts/person/", {"q": person.name}).content.decode()
    )


def test_bureau_staff_cannot_manage_logins(client):
    staff = StaffFactory()
    admin_login(client, staff)
    assert client.get("/admin/accounts/user/").status_code == 403


def test_a_change_to_a_person_is_kept_with_who_and_when(client):
    staff = StaffFactory()
    person = PersonFactory(region=staff.region)
    admin_login(client, staff)
    client.post(
        f"/admin/accounts/person/{person.pk}/change/",
        {
            "name": person.name,
            "card_number": person.card_number,
            "region": person.region_id,
            "insurance_type": "employee",
            "status": "terminated",
            "is_pensioner": "",
            "last_certified_on": "",
        },
    )
    latest = person.history.latest()
    assert latest.status == "terminated"
    assert latest.history_user == staff


def test_the_key_page_of_an_unknown_authenticator_is_not_found(client):
    admin_login(client, StaffFactory())
    for page in ("config", "qrcode"):
        assert (
            client.get(f"/admin/otp_totp/totpdevice/999999/{page}/").status_code == 404
        )  # was a server error

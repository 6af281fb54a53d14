"""我的 explains arrears and interruption in plain words; the arrears-case admin pages call the
services and show refusals beside the field with their code."""

import datetime as dt

import pytest
from freezegun import freeze_time

from accounts.tests.factories import PersonFactory, ResidentFactory, StaffFactory
from accounts.tests.test_admin import admin_login
from accounts.tests.test_pages import sign_in
from family_sharing.contributions.models import ArrearsCase
from family_sharing.contributions.sweep import arrears_sweep
from family_sharing.contributions.tests.factories import declare, employer
from family_sharing.tests.test_pages import untranslated_chinese

pytestmark = pytest.mark.django_db


def test_me_names_the_unpaid_months_the_employer_and_whom_to_call(client):
    # given a resident whose employer did not pay September in full
    resident = ResidentFactory(person=PersonFactory())
    firm = employer(name="北京欠费示例有限公司")
    declare(resident.person, "2026-08", by=firm)
    declare(resident.person, "2026-09", by=firm, due_fen=60_000, paid_fen=10_000)
    declare(resident.person, "2026-10", by=firm)
    arrears_sweep(as_of=dt.date(2026, 11, 20))
    sign_in(client, resident)
    # when they open 我的
    with freeze_time("2026-11-20 10:00:00+08:00", tick=True):
        page = client.get("/me/").content.decode()
    # then the months, the amount, the employer, what it means and the hotline are there
    assert "欠费" in page
    assert "2026年9月" in page
    assert "北京欠费示例有限公司" in page
    assert "500.00" in page
    assert "欠费不是断缴" in page
    assert "参保关系继续有效" in page
    assert "12393" in page
    assert "2026年8月" not in page


def test_me_says_what_an_interruption_means_and_how_to_resume(client):
    resident = ResidentFactory(person=PersonFactory())
    declare(resident.person, "2026-06", by=employer())
    arrears_sweep(as_of=dt.date(2026, 11, 20))
    sign_in(client, resident)
    page = client.get("/me/").content.decode()
    assert "2026-08、2026-09、2026-10 连续3个月没有缴费记录" in page
    assert "怎样恢复" in page
    assert "灵活就业人员" in page


def test_me_explains_arrears_and_interruption_in_english_too(client):
    # given a resident in arrears and one whose insurance is interrupted, both reading English
    owing = ResidentFactory(person=PersonFactory())
    firm = employer(name="北京欠费示例有限公司")
    declare(owing.person, "2026-09", by=firm, due_fen=60_000, paid_fen=10_000)
    declare(owing.person, "2026-10", by=firm)
    stopped = ResidentFactory(person=PersonFactory())
    declare(stopped.person, "2026-06", by=employer(name="示例科技有限公司"))
    arrears_sweep(as_of=dt.date(2026, 11, 20))
    pages = {}
    for resident in (owing, stopped):
        client.logout()
        sign_in(client, resident)
        client.post("/i18n/setlang/", {"language": "en", "next": "/"})
        with freeze_time("2026-11-20 10:00:00+08:00", tick=True):
            pages[resident] = client.get("/me/").content.decode()
    # when they open My insurance, then the explanation is in English (names are data)
    assert "September 2026: 北京欠费示例有限公司, 500.00 yuan still owed" in pages[owing]
    assert "Arrears are not an interruption" in pages[owing]
    assert "No contributions were recorded for 2026-08; 2026-09; 2026-10" in pages[stopped]
    for resident, page in pages.items():
        names = (resident.person.name, resident.person.region.name, firm.name)
        assert untranslated_chinese(page, data=names) == []


def test_me_for_a_normal_status_has_no_arrears_explanation(client):
    resident = ResidentFactory(person=PersonFactory())
    sign_in(client, resident)
    page = client.get("/me/").content.decode()
    assert "status-explanation" not in page


def test_staff_open_a_case_in_the_admin_and_a_refusal_shows_its_code(client):
    staff = StaffFactory()
    firm = employer(name="欠费示例有限公司")
    declare(PersonFactory(region=staff.region), "2026-09", by=firm, paid_fen=0)
    admin_login(client, staff)
    # an employer with nothing unpaid is refused beside the field
    clean = employer(name="守信公司")
    page = client.post(
        "/admin/family_sharing/arrearscase/add/", {"employer_uscc": clean.uscc, "as_of": "2026-11-20"}
    )
    assert page.status_code == 200
    assert 'data-code="no_unpaid_contributions"' in page.content.decode()
    # the owing employer gets a case, whose page shows the amounts and the late fee
    response = client.post(
        "/admin/family_sharing/arrearscase/add/", {"employer_uscc": firm.uscc, "as_of": "2026-11-20"}
    )
    case = ArrearsCase.objects.get(employer=firm)
    assert response.status_code == 302
    with freeze_time("2026-11-20 10:00:00+08:00", tick=True):
        detail = client.get(f"/admin/family_sharing/arrearscase/{case.pk}/change/").content.decode()
    assert "600.00" in detail  # unpaid
    assert "10.80" in detail  # 60,000 fen × 36 days × 5/10000 = 1,080 fen
    assert "办理下一步" in detail


def test_staff_see_only_their_regions_cases(client):
    from accounts.tests.factories import RegionFactory

    staff = StaffFactory()
    other_staff = StaffFactory(region=RegionFactory(code="310100", name="上海市"))
    firm = employer()
    declare(PersonFactory(region=other_staff.region), "2026-09", by=firm, paid_fen=0)
    from family_sharing.contributions.services import arrears_case_open

    case = arrears_case_open(actor=other_staff, employer=firm, as_of=dt.date(2026, 11, 20))
    admin_login(client, staff)
    assert client.get(f"/admin/family_sharing/arrearscase/{case.pk}/change/").status_code == 302
    assert client.get(f"/admin/family_sharing/arrearscase/{case.pk}/step/").status_code == 404

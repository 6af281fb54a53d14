"""The admin's one region rule (portal/admin_helpers.py), finding by finding of issue 15: the history
form of a version, registry edges' raw-id fields, the person-view log and national reference data."""

import datetime as dt

import pytest

from accounts.change_requests.models import ChangeRequest
from accounts.models import Person, PersonViewLog, PoolingRegion, Province
from accounts.tests.factories import PersonFactory, ProvinceFactory, RegionFactory, StaffFactory
from accounts.tests.test_admin import admin_login
from family_sharing.models import KinshipEdge

pytestmark = pytest.mark.django_db


@pytest.fixture
def shanghai() -> PoolingRegion:
    return RegionFactory(code="310100", name="上海市", province=ProvinceFactory(code="310000", name="上海市"))


def renamed(person: Person) -> int:
    """Corrects the person's name and card (a second version); returns the first version's id."""
    first = person.history.earliest().history_id
    person.name, person.card_number = "王晓明", "B20000008"
    person.save()
    return first


def test_the_history_form_of_another_regions_person_is_not_found_and_reverts_nothing(client, shanghai):
    # given a person of 310100 with two versions, and an officer of 110100
    outsider = PersonFactory(region=shanghai, name="王小明", card_number="B10000007")
    version = renamed(outsider)
    admin_login(client, StaffFactory())
    url = f"/admin/accounts/person/{outsider.pk}/history/{version}/"
    # when the officer opens the version's page, and posts it back to revert
    page = client.get(url)
    posted = client.post(url, {"name": "王小明", "card_number": "B10000007", "region": shanghai.pk})
    # then neither finds the person, nothing is shown and nothing changes
    assert page.status_code == 404 and posted.status_code == 404
    for full in ("王小明", "王晓明", "B10000007", "B20000008"):
        assert full not in page.content.decode()
    outsider.refresh_from_db()
    assert (outsider.name, outsider.card_number) == ("王晓明", "B20000008")
    assert outsider.history.count() == 2
    assert not PersonViewLog.objects.exists()


def test_an_officer_reads_a_version_of_their_own_person_masked_and_cannot_revert_it(client):
    staff = StaffFactory()
    person = PersonFactory(region=staff.region, name="王小明", card_number="B10000007")
    version = renamed(person)
    admin_login(client, staff)
    url = f"/admin/accounts/person/{person.pk}/history/{version}/"
    page = client.get(url)
    html = page.content.decode()
    assert page.status_code == 200
    assert "王**" in html and "B1*****07" in html
    for full in ("王小明", "B10000007", person.id_number):
        assert full not in html
    assert 'name="card_number"' not in html  # no field to edit, no revert button
    # a POST (what the revert button would send) is refused and changes nothing
    assert client.post(url, {"name": "王小明", "card_number": "B10000007"}).status_code == 405
    person.refresh_from_db()
    assert (person.name, person.card_number, person.history.count()) == ("王晓明", "B20000008", 2)
    # opening the version is a view of the person, recorded
    assert PersonViewLog.objects.filter(person=person, staff=staff).exists()


def test_a_version_id_of_another_person_is_not_found(client):
    staff = StaffFactory()
    mine, other = PersonFactory(region=staff.region), PersonFactory(region=staff.region)
    admin_login(client, staff)
    other_version = other.history.earliest().history_id
    assert client.get(f"/admin/accounts/person/{mine.pk}/history/{other_version}/").status_code == 404


def test_a_registry_edge_cannot_name_persons_of_another_region(client, shanghai):
    # given an officer of 110100, two of their persons and two persons of 310100
    staff = StaffFactory()
    parent, child = PersonFactory(region=staff.region), PersonFactory(region=staff.region)
    far_parent, far_child = PersonFactory(region=shanghai), PersonFactory(region=shanghai)
    admin_login(client, staff)

    def add(a: Person, b: Person):  # the raw-id fields take any id typed into them
        return client.post(
            "/admin/family_sharing/kinshipedge/add/",
            {
                "kind": "parent",
                "a": a.pk,
                "b": b.pk,
                "parent_kind": "birth",
                "source": "window",
                "change_reason": "户口本",
            },
        )

    # when they add edges naming persons of the other region
    refused = [add(far_parent, far_child), add(parent, far_child), add(far_parent, child)]
    # then none is recorded; the form says the choice is not available
    assert all(response.status_code == 200 for response in refused)
    assert not KinshipEdge.objects.exists() and not ChangeRequest.objects.exists()
    # while an edge between their own persons is filed for a second officer (maker-checker)
    assert add(parent, child).status_code == 302
    assert ChangeRequest.objects.get().after["b"] == child.pk


def test_the_raw_id_look_up_lists_only_the_officers_region(client, shanghai):
    staff = StaffFactory()
    mine, far = PersonFactory(region=staff.region), PersonFactory(region=shanghai)
    admin_login(client, staff)
    popup = client.get("/admin/accounts/person/", {"_to_field": "id", "_popup": "1"}).content.decode()
    assert f"/admin/accounts/person/{mine.pk}/change/" in popup
    assert f"/admin/accounts/person/{far.pk}/change/" not in popup


def test_the_person_view_log_shows_the_officers_region_only(client, shanghai):
    staff, far_staff = StaffFactory(), StaffFactory(region=shanghai)
    mine, far = PersonFactory(region=staff.region), PersonFactory(region=shanghai)
    own_log = PersonViewLog.objects.create(staff=staff, person=mine, surface="admin")
    far_log = PersonViewLog.objects.create(staff=far_staff, person=far, surface="counter")
    admin_login(client, staff)
    listing = client.get("/admin/accounts/personviewlog/").content.decode()
    assert f"/admin/accounts/personviewlog/{own_log.pk}/change/" in listing
    assert f"/admin/accounts/personviewlog/{far_log.pk}/change/" not in listing
    assert client.get(f"/admin/accounts/personviewlog/{far_log.pk}/change/").status_code == 302  # not found
    assert client.get(f"/admin/accounts/personviewlog/{far_log.pk}/history/").status_code == 302


def test_an_officer_cannot_place_a_person_in_another_region(client, shanghai):
    staff = StaffFactory()
    person = PersonFactory(region=staff.region)
    admin_login(client, staff)
    response = client.post(
        f"/admin/accounts/person/{person.pk}/change/",
        {
            "name": person.name,
            "card_number": person.card_number,
            "region": shanghai.pk,
            "insurance_type": "employee",
            "status": "normal",
            "last_certified_on": "",
        },
    )
    assert response.status_code == 200  # the form again, the region not among the choices
    person.refresh_from_db()
    assert person.region_id == staff.region_id


def test_the_region_box_offers_the_officers_own_region_only(client, shanghai):
    staff = StaffFactory()
    admin_login(client, staff)
    found = client.get(
        "/admin/autocomplete/",
        {"app_label": "accounts", "model_name": "person", "field_name": "region", "term": "市"},
    ).json()["results"]
    assert [row["id"] for row in found] == [str(staff.region_id)]


def test_reference_data_is_looked_up_by_officers_and_changed_by_superusers_only(client, shanghai):
    # given an officer and a region without cross-province mutual aid
    staff = StaffFactory()
    admin_login(client, staff)
    url = f"/admin/accounts/poolingregion/{shanghai.pk}/change/"
    data = {
        "code": shanghai.code,
        "name": shanghai.name,
        "province": shanghai.province_id,
        "level": shanghai.level,
        "cross_province_from": "2026-01-01",
    }
    # when the officer opens it and tries to switch cross-province mutual aid on, or add a province
    assert client.get(url).status_code == 200  # still looked up
    assert client.post(url, data).status_code == 403
    assert client.post("/admin/accounts/province/add/", {"code": "990000", "name": "某省"}).status_code == 403
    for model in ("province", "poolingregion", "institution", "employer", "relationcode"):
        assert client.get(f"/admin/accounts/{model}/add/").status_code == 403
    # then nothing changed
    shanghai.refresh_from_db()
    assert shanghai.cross_province_from is None
    assert not Province.objects.filter(code="990000").exists()
    # and a superuser may
    client.logout()
    root = StaffFactory(is_superuser=True)
    admin_login(client, root)
    assert client.post(url, data).status_code == 302
    shanghai.refresh_from_db()
    assert shanghai.cross_province_from == dt.date(2026, 1, 1)


def test_a_superuser_reads_versions_of_any_region_masked(client, shanghai):
    far = PersonFactory(region=shanghai, name="王小明", card_number="B10000007")
    version = renamed(far)
    root = StaffFactory(is_superuser=True)
    admin_login(client, root)
    for url in (
        f"/admin/accounts/person/{far.pk}/history/{version}/",
        f"/admin/accounts/user/{root.pk}/history/",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert "王小明" not in response.content.decode() and "B10000007" not in response.content.decode()
    user_version = root.history.earliest().history_id
    assert client.get(f"/admin/accounts/user/{root.pk}/history/{user_version}/").status_code == 200


def test_lists_of_records_find_a_person_by_a_posted_number_and_never_by_the_query_string(client, shanghai):
    from django.conf import settings

    from accounts.imports.reference import relation_codes_load
    from family_sharing.tests.factories import BindingFactory, sharer

    relation_codes_load(path=settings.BASE_DIR / "portal" / "reference" / "family_relationship_codes.csv")
    staff = StaffFactory()
    mine = BindingFactory(sharer=sharer(region=staff.region), beneficiary=PersonFactory(region=staff.region))
    other = BindingFactory(sharer=sharer(region=staff.region), beneficiary=PersonFactory(region=staff.region))
    far = BindingFactory(sharer=sharer(region=shanghai), beneficiary=PersonFactory(region=shanghai))
    admin_login(client, staff)
    lists = "/admin/family_sharing/binding/"
    assert 'action="/admin/family_sharing/binding/lookup/"' in client.get(lists).content.decode()
    # a beneficiary's identity number, posted: the list of that person's bindings, by id
    found = client.post(f"{lists}lookup/", {"number": mine.beneficiary.id_number})
    assert found["Location"] == f"{lists}?person={mine.beneficiary_id}"
    page = client.get(found["Location"]).content.decode()
    assert f"/{mine.pk}/change/" in page and f"/{other.pk}/change/" not in page
    # another region's number is not found, as an unknown one
    refused = client.post(f"{lists}lookup/", {"number": far.sharer.card_number})
    assert refused["Location"] == lists
    assert client.get(f"{lists}lookup/", {"number": mine.sharer.card_number}).status_code == 405
    # and the query string finds nobody by number
    page = client.get(lists, {"q": mine.sharer.card_number}).content.decode()
    assert f"/{mine.pk}/change/" not in page

"""Maker-checker on the registry and on evidence (DESIGN.md section 6): a registry edge added,
changed or ended in the admin, and an evidence approval, wait for a second officer of the region;
`import_kinship` (a bureau script) keeps writing edges directly."""

import datetime as dt

import pytest

from accounts.change_requests.models import ChangeRequest
from accounts.change_requests.services import request_approve, request_create
from accounts.tests.factories import RegionFactory, StaffFactory
from accounts.tests.test_admin import admin_login
from family_sharing.change_kinds import EDGE_ADD, EDGE_END
from family_sharing.models import KinshipEdge
from family_sharing.tests.factories import parent_edge, person, spouse_edge
from portal.core.errors import ApplicationError

pytestmark = pytest.mark.django_db


@pytest.fixture
def officers():
    maker = StaffFactory()
    return maker, StaffFactory(region=maker.region)


def test_an_edge_added_in_the_admin_exists_only_after_a_second_officer_approves(client, officers):
    maker, checker = officers
    parent, child = person(1950, region=maker.region), person(1980, region=maker.region)
    admin_login(client, maker)
    response = client.post(
        "/admin/family_sharing/kinshipedge/add/",
        {
            "kind": "parent",
            "a": parent.pk,
            "b": child.pk,
            "parent_kind": "birth",
            "source": "window",
            "change_reason": "出生医学证明",
        },
        follow=True,
    )
    assert "已提交，待另一位经办人复核" in response.content.decode()
    assert not KinshipEdge.objects.exists()
    change = ChangeRequest.objects.get(kind=EDGE_ADD)
    shown = client.get(f"/admin/accounts/changerequest/{change.pk}/change/").content.decode()
    assert parent.name not in shown and parent.name_masked in shown
    request_approve(checker=checker, request=change)
    edge = KinshipEdge.objects.get()
    assert (edge.a, edge.b, edge.parent_kind, edge.source) == (parent, child, "birth", "window")


def test_giving_an_edge_an_end_date_files_an_end_and_other_edits_a_change(client, officers):
    maker, checker = officers
    x, y = person(1980, region=maker.region), person(1982, male=False, region=maker.region)
    edge = spouse_edge(x, y)
    admin_login(client, maker)
    form = {
        "kind": "spouse",
        "a": edge.a_id,
        "b": edge.b_id,
        "parent_kind": "",
        "valid_from": "2000-01-01",
        "source": "import",
        "change_reason": "离婚证",
    }
    client.post(f"/admin/family_sharing/kinshipedge/{edge.pk}/change/", {**form, "valid_to": "2025-06-30"})
    end = ChangeRequest.objects.get()
    assert (end.kind, end.before, end.after) == (EDGE_END, {"valid_to": None}, {"valid_to": "2025-06-30"})
    assert KinshipEdge.objects.get().valid_to is None
    client.post(
        f"/admin/family_sharing/kinshipedge/{edge.pk}/change/",
        {**form, "valid_from": "2001-02-03", "valid_to": ""},
    )
    assert ChangeRequest.objects.get(kind="kinship_edge_change").after == {"valid_from": "2001-02-03"}
    request_approve(checker=checker, request=end)
    assert KinshipEdge.objects.get().valid_to == dt.date(2025, 6, 30)


def test_an_edge_that_breaks_the_registry_rules_is_refused_when_filed(officers):
    maker, _ = officers
    parent, child = person(1950, region=maker.region), person(1980, region=maker.region)
    parent_edge(parent, child)
    with pytest.raises(ApplicationError) as caught:  # one parent edge per pair
        request_create(
            kind=EDGE_ADD,
            maker=maker,
            target=None,
            reason="重复",
            after={"kind": "parent", "a": parent.pk, "b": child.pk, "parent_kind": "birth"},
        )
    assert caught.value.code == "edge_invalid"
    assert not ChangeRequest.objects.exists()


def test_an_edge_between_persons_of_another_region_is_refused(officers):
    maker, _ = officers
    far = RegionFactory(code="310100", name="上海市")
    with pytest.raises(ApplicationError) as caught:
        request_create(
            kind=EDGE_ADD,
            maker=maker,
            target=None,
            reason="冒名",
            after={
                "kind": "parent",
                "a": person(1950, region=far).pk,
                "b": person(1980, region=far).pk,
                "parent_kind": "birth",
            },
        )
    assert caught.value.code == "other_region"


def test_the_kinship_import_is_not_held_for_a_checker(tmp_path, officers):
    from family_sharing.tests.test_commands import parent_line, run, write_csv

    parent, child = person(1950), person(1980)
    assert run("import_kinship", str(write_csv(tmp_path, [parent_line(parent, child)])))[0] == 0
    assert KinshipEdge.objects.filter(a=parent, b=child).exists()
    assert not ChangeRequest.objects.exists()

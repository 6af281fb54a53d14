"""A relative holding `certify` asks for a home visit for the pensioner: the request is recorded as an
act under the delegation, told to the pensioner and shown on their /certification/ page; beyond the
delegation it is 403 and nothing is recorded."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.delegations.models import DelegationAct
from accounts.delegations.services import delegation_revoke
from accounts.models import Message
from accounts.tests.factories import PersonFactory, ResidentFactory, StaffFactory
from accounts.tests.test_delegation_pages import signed_in
from accounts.tests.test_delegations import active, relation_codes  # noqa: F401
from certification.home_visits import home_visit_request_for, home_visit_schedule
from certification.models import HomeVisit, HomeVisitDocument, HomeVisitEvent
from certification.services import certification_record, certification_session_start
from certification.tests.test_home_visits import PDF, pdf
from family_sharing.tests.test_pages import untranslated_chinese
from portal.core.errors import ApplicationError
from portal.core.time import today

pytestmark = pytest.mark.django_db

ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 56


def ask(child, delegation, **kwargs):
    return home_visit_request_for(
        actor=child,
        delegation=delegation,
        reason=kwargs.pop("reason", "hospital"),
        address="北京市第一人民医院 3 号楼 12 床",
        note="",
        documents=kwargs.pop("documents", [pdf()]),
    )


def test_an_agent_with_certify_asks_and_it_is_the_principals_visit(pair):
    child, parent = pair
    delegation = active(child, parent, ["certify"])
    visit = ask(child, delegation)
    assert (visit.person, visit.requested_by, visit.delegation, visit.status) == (
        parent.person,
        child,
        delegation,
        "requested",
    )
    assert HomeVisitDocument.objects.get(visit=visit).content_type == "application/pdf"
    act = DelegationAct.objects.get()
    assert (act.agent, act.principal, act.scope, act.action, act.detail) == (
        child,
        parent.person,
        "certify",
        "home_visit_request",
        "长期住院",
    )
    assert Message.objects.filter(person=parent.person, subject="亲属为您申请了上门认证").count() == 1
    # staff handle it like any other request
    home_visit_schedule(
        actor=StaffFactory(), visit=visit, on=today() + dt.timedelta(days=2), visitor=StaffFactory()
    )
    assert HomeVisit.objects.get().status == "scheduled"


@pytest.mark.parametrize("scopes", [["view_rights"], ["use_balance", "transfer_application"]])
def test_without_certify_it_is_403_and_nothing_is_recorded(pair, scopes):
    child, parent = pair
    delegation = active(child, parent, scopes)
    with pytest.raises(ApplicationError) as refused:
        ask(child, delegation)
    assert (refused.value.status, refused.value.codes()) == (403, ["scope_not_granted"])
    assert not HomeVisit.objects.exists() and not DelegationAct.objects.exists()


def test_after_revocation_the_agent_is_refused_at_once(pair):
    child, parent = pair
    delegation = active(child, parent, ["certify"])
    delegation_revoke(actor=parent, delegation=delegation)
    with pytest.raises(ApplicationError) as refused:
        ask(child, delegation)
    assert (refused.value.status, refused.value.codes()) == (403, ["no_delegation"])
    assert not HomeVisit.objects.exists()


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"documents": []}, "home_visit_document_required"),
        ({"documents": [SimpleUploadedFile("x.pdf", ELF)]}, "upload_type"),
        ({"reason": "bored"}, "home_visit_reason_unknown"),
    ],
)
def test_a_bad_request_records_no_act_and_no_visit(pair, kwargs, code):
    child, parent = pair
    delegation = active(child, parent, ["certify"])
    with pytest.raises(ApplicationError) as refused:
        ask(child, delegation, **kwargs)
    assert refused.value.status == 400 and code in refused.value.codes()
    assert not HomeVisit.objects.exists() and not DelegationAct.objects.exists()
    assert not HomeVisitEvent.objects.exists()


def test_the_principal_must_be_a_pensioner(pair):
    child, _parent = pair
    other = ResidentFactory(person=PersonFactory(birth=dt.date(1990, 1, 1), is_pensioner=False))
    delegation = active(child, other, ["certify"])
    with pytest.raises(ApplicationError) as refused:
        ask(child, delegation)
    assert (refused.value.status, refused.value.codes()) == (422, ["not_pensioner"])
    assert not DelegationAct.objects.exists()


def test_on_the_pages_the_agent_asks_and_the_principal_sees_and_may_cancel(client, pair):
    child, parent = pair
    delegation = active(child, parent, ["certify"])
    signed_in(client, child)
    page = client.get(f"/certification/for/{delegation.pk}/").content.decode()
    assert f"/certification/for/{delegation.pk}/home-visit/" in page
    bad = client.post(
        f"/certification/for/{delegation.pk}/home-visit/",
        {"reason": "mobility", "address": "家中", "documents": [SimpleUploadedFile("a.pdf", ELF)]},
    )
    assert bad.status_code == 400 and 'data-code="upload_type"' in bad.content.decode()
    done = client.post(
        f"/certification/for/{delegation.pk}/home-visit/",
        {"reason": "mobility", "address": "家中", "documents": [SimpleUploadedFile("病历.pdf", PDF)]},
    )
    assert done.status_code == 302
    assert 'data-visit="requested"' in client.get(f"/certification/for/{delegation.pk}/").content.decode()
    client.logout()
    signed_in(client, parent)
    mine = client.get("/certification/").content.decode()
    assert 'data-visit="requested"' in mine and 'data-code="requested_by_agent"' in mine
    assert 'data-visit-row="requested"' in mine
    assert child.person.name_masked in mine
    assert 'data-action="home_visit_request"' in client.get("/family-service/").content.decode()
    visit = HomeVisit.objects.get()
    client.post(f"/certification/home-visit/{visit.pk}/cancel/")
    assert HomeVisit.objects.get().status == "cancelled"


def test_on_the_page_an_agent_without_certify_gets_404(client, pair):
    child, parent = pair
    delegation = active(child, parent, ["view_rights"])
    signed_in(client, child)
    assert client.get(f"/certification/for/{delegation.pk}/").status_code == 404
    page = client.post(
        f"/certification/for/{delegation.pk}/home-visit/",
        {"reason": "mobility", "address": "家中", "documents": [SimpleUploadedFile("病历.pdf", PDF)]},
    )
    assert page.status_code == 404 and parent.person.name_masked not in page.content.decode()
    assert not HomeVisit.objects.exists()


def test_the_page_is_in_english_too(client, pair):
    # given a pensioner whose son started a certification and asked for a home visit for her, after
    # a certification in Alipay
    child, parent = pair
    delegation = active(child, parent, ["certify"])
    certification_record(
        person=parent.person,
        channel="alipay",
        method="face_blink",
        result="pass",
        certified_at=dt.datetime(2026, 1, 5, 9, 30, tzinfo=dt.UTC),
        reference="A-1",
    )
    ask(child, delegation)
    certification_session_start(actor=child, delegation=delegation)
    signed_in(client, parent)
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})

    # when she opens her certification page
    page = client.get("/certification/").content.decode()

    # then where she stands, the channels, her son's request and the history are in English
    assert "Pension qualification certification" in page and "Certified" in page
    assert "<strong>Alipay</strong>: Open Alipay" in page
    assert "张** has started your certification" in page
    assert "Long stay in hospital · Requested · Requested by 张**" in page
    assert "Alipay · Passed" in page
    assert untranslated_chinese(page) == []

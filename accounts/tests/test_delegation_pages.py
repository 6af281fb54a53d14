"""亲情服务 pages (/family-service/): both sides, the principal's confirmation and revocation, the
acts visible to the principal, and acting beyond scope refused with its code."""

import datetime as dt
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.delegations.models import Delegation, DelegationAct, DelegationStatus, Scope
from accounts.delegations.views import ACT_SCOPE_LABELS, STATUS_LABELS
from accounts.tests.factories import PersonFactory, ResidentFactory
from accounts.tests.test_delegations import PNG, active, add, relation_codes  # noqa: F401
from family_sharing.tests.test_pages import untranslated_chinese


def signed_in(client, user):
    """A session that passed the one-time code, as after the sign-in form."""
    from django_otp import DEVICE_ID_SESSION_KEY

    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = user.totp.persistent_id
    session.save()
    return client


pytestmark = pytest.mark.django_db


def test_the_agent_adds_a_relative_and_the_principal_confirms_on_their_page(client, pair):
    child, parent = pair
    page = signed_in(client, child).post(
        "/family-service/new/",
        {
            "principal_name": "张德福",
            "principal_card_number": parent.person.card_number.lower(),
            "relation_code": "51",
            "scopes": ["certify", "view_rights"],
            "id_document": SimpleUploadedFile("id.png", PNG, "image/png"),
        },
    )
    assert page.status_code == 302
    delegation = Delegation.objects.get()
    assert (delegation.status, delegation.scopes) == ("pending_confirmation", ["view_rights", "certify"])
    client.logout()
    signed_in(client, parent)
    assert "本人同意" in client.get("/family-service/").content.decode()
    client.post(f"/family-service/{delegation.pk}/confirm/", {"accept": "yes"})
    delegation.refresh_from_db()
    assert delegation.status == "active"


def test_a_bad_upload_on_the_page_is_shown_beside_the_field(client, pair):
    child, parent = pair
    page = signed_in(client, child).post(
        "/family-service/new/",
        {
            "principal_name": "张德福",
            "principal_card_number": parent.person.card_number,
            "relation_code": "51",
            "scopes": ["certify"],
            "id_document": SimpleUploadedFile("id.jpg", b"<html>not a photo</html>", "image/jpeg"),
        },
    )
    assert page.status_code == 400
    assert re.search(
        r'id="id_id_document_error">\s*<p class="field-error" data-code="upload_type"', page.content.decode()
    )
    assert not Delegation.objects.exists()


def test_the_principal_sees_every_act_and_can_revoke(client, pair):
    child, parent = pair
    delegation = active(child, parent, ["view_rights"])
    rights = signed_in(client, child).get(f"/family-service/{delegation.pk}/rights/")
    assert rights.status_code == 200 and "权益单" in rights.content.decode()
    assert DelegationAct.objects.get().action == "rights_view"
    client.logout()
    home = signed_in(client, parent).get("/family-service/").content.decode()
    assert 'data-action="rights_view"' in home
    client.post(f"/family-service/{delegation.pk}/revoke/")
    delegation.refresh_from_db()
    assert delegation.status == "revoked"


def test_acting_beyond_scope_on_a_page_is_404_and_shows_nothing_of_the_principal(client, pair):
    child, parent = pair
    delegation = active(child, parent, ["view_rights"])
    page = signed_in(client, child).post(f"/certification/for/{delegation.pk}/")
    assert page.status_code == 404
    assert parent.person.name_masked not in page.content.decode()


def test_someone_elses_delegation_is_404(client, pair):
    child, parent = pair
    delegation = active(child, parent, ["view_rights", "certify"])
    stranger = ResidentFactory()
    signed_in(client, stranger)
    assert client.get(f"/family-service/{delegation.pk}/rights/").status_code == 404
    assert client.get(f"/certification/for/{delegation.pk}/").status_code == 404


def test_the_family_service_page_costs_the_same_queries_for_one_or_many_delegations(client, pair):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    child, parent = pair
    delegation = active(child, parent, ["view_rights", "certify"])
    signed_in(client, child).get(f"/family-service/{delegation.pk}/rights/")
    with CaptureQueriesContext(connection) as one:
        assert client.get("/family-service/").status_code == 200
    for _ in range(3):
        other = ResidentFactory(person=PersonFactory(birth=dt.date(1949, 1, 1), is_pensioner=True))
        extra = active(child, other, ["view_rights"])
        client.get(f"/family-service/{extra.pk}/rights/")
    with CaptureQueriesContext(connection) as many:
        assert client.get("/family-service/").status_code == 200
    assert len(many) == len(one)


def test_the_family_service_pages_are_in_english_too(client, pair):
    # given a son who acts for his father and looked at his benefits summary, and a daughter waiting
    # for the father to confirm hers
    child, parent = pair
    delegation = active(child, parent, ["view_rights", "certify", "use_balance"])
    daughter = ResidentFactory(person=PersonFactory(name="张秀英", birth=dt.date(1980, 8, 1)))
    add(daughter, parent.person, ["transfer_application"])
    signed_in(client, child)
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})

    # when the son opens the summary and his family service page
    rights = client.get(f"/family-service/{delegation.pk}/rights/").content.decode()
    agent_home = client.get("/family-service/").content.decode()
    new = client.get("/family-service/new/").content.decode()
    start_for = client.get(f"/certification/for/{delegation.pk}/").content.decode()
    # and the father opens his
    client.logout()
    signed_in(client, parent)
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    principal_home = client.get("/family-service/").content.decode()

    # then the summary, what each may do, the relation, the status and the acts are in English
    assert "Benefits summary of 张**" in rights and "Pension qualification certification" in rights
    assert "Start the pension qualification certification for them" in agent_home
    assert "(father)" in agent_home and "In effect" in agent_home
    assert (
        "Please confirm that you yourself agree" in principal_home and ">I agree</button>" in principal_home
    )
    assert untranslated_chinese(rights) == []
    assert untranslated_chinese(new) == []
    assert untranslated_chinese(start_for) == []
    assert untranslated_chinese(agent_home) == []
    assert untranslated_chinese(principal_home) == []


def test_the_labels_the_pages_translate_are_the_models():
    # the pages translate these model labels through the English catalogue, so they must not drift
    assert STATUS_LABELS == dict(DelegationStatus.choices)
    assert ACT_SCOPE_LABELS == dict(Scope.choices)

"""Family service (亲情服务, DESIGN.md section 10): adding a delegation with its documents, the adult
principal's confirmation, revocation, and an agent allowed exactly the scopes granted — each act
recorded for the principal to see."""

import datetime as dt

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.delegations.models import Delegation, DelegationAct, DelegationDocument
from accounts.delegations.services import (
    delegation_act,
    delegation_confirm,
    delegation_create,
    delegation_revoke,
    delegation_rights_view,
)
from accounts.tests.factories import AccountFactory, PersonFactory, ResidentFactory
from portal.core.errors import ApplicationError

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00\x90wS\xde"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture(autouse=True)
def relation_codes(db):
    from django.db import transaction

    from accounts.imports.reference import relation_codes_load

    with transaction.atomic():
        relation_codes_load(path=settings.BASE_DIR / "portal" / "reference" / "family_relationship_codes.csv")


def png(name="id.png"):
    return SimpleUploadedFile(name, PNG, content_type="image/png")


def registry_parent(parent, child, kind="birth"):
    """The civil registry records `parent` (a Person) as a parent of `child` (DESIGN.md section 4)."""
    from family_sharing.models import KinshipEdge

    return KinshipEdge.objects.create(kind="parent", a=parent, b=child, parent_kind=kind)


@pytest.fixture
def child_and_parent():
    parent = ResidentFactory(
        person=PersonFactory(name="张德福", birth=dt.date(1950, 2, 1), is_pensioner=True)
    )
    AccountFactory(person=parent.person, balance_fen=12_345)
    child = ResidentFactory(person=PersonFactory(name="张建国", birth=dt.date(1978, 5, 1)))
    return child, parent


def add(child, parent_person, scopes, **kwargs):
    return delegation_create(
        actor=child,
        principal_name=parent_person.name,
        principal_card_number=parent_person.card_number,
        relation_code="51",
        scopes=scopes,
        id_document=kwargs.pop("id_document", png()),
        **kwargs,
    )


def active(child, parent, scopes):
    delegation = add(child, parent.person, scopes)
    return delegation_confirm(actor=parent, delegation=delegation, accept=True)


def codes(error: ApplicationError) -> list[str]:
    return error.codes()


def test_an_adult_principal_confirms_before_the_agent_may_act(child_and_parent):
    child, parent = child_and_parent
    delegation = add(child, parent.person, ["view_rights"])
    assert delegation.status == "pending_confirmation"
    with pytest.raises(ApplicationError) as refused:
        delegation_rights_view(actor=child, delegation=delegation)
    assert refused.value.status == 403 and refused.value.code == "permission_denied"
    assert codes(refused.value) == ["no_delegation"]
    # the agent cannot confirm it for the principal
    with pytest.raises(ApplicationError) as not_theirs:
        delegation_confirm(actor=child, delegation=delegation, accept=True)
    assert codes(not_theirs.value) == ["confirm_not_allowed"]
    delegation_confirm(actor=parent, delegation=delegation, accept=True)
    summary = delegation_rights_view(actor=child, delegation=delegation)
    assert summary.balance_fen == 12_345
    assert [title for title, _rows in summary.sections] == ["养老金资格认证"]


@pytest.mark.parametrize(
    "granted",
    [["view_rights"], ["certify"], ["transfer_application"], ["use_balance"], ["view_rights", "certify"]],
)
def test_a_delegation_allows_exactly_its_scopes(child_and_parent, granted):
    child, parent = child_and_parent
    delegation = active(child, parent, granted)
    for scope in ["view_rights", "certify", "transfer_application", "use_balance"]:
        if scope in granted:
            delegation_act(actor=child, delegation=delegation, scope=scope, action="test")
        else:
            with pytest.raises(ApplicationError) as beyond:
                delegation_act(actor=child, delegation=delegation, scope=scope, action="test")
            assert (beyond.value.status, beyond.value.code) == (403, "permission_denied")
            assert codes(beyond.value) == ["scope_not_granted"]
    assert sorted(DelegationAct.objects.values_list("scope", flat=True)) == sorted(granted)


def test_a_scope_that_does_not_exist_is_400(child_and_parent):
    child, parent = child_and_parent
    with pytest.raises(ApplicationError) as bad:
        add(child, parent.person, ["view_rights", "sell_house"])
    assert (bad.value.status, codes(bad.value)) == (400, ["scope_unknown"])
    delegation = active(child, parent, ["view_rights"])
    with pytest.raises(ApplicationError) as acting:
        delegation_act(actor=child, delegation=delegation, scope="sell_house", action="x")
    assert (acting.value.status, codes(acting.value)) == (400, ["scope_unknown"])
    assert Delegation.objects.count() == 1


def test_adding_needs_a_matching_name_and_card_and_an_identity_document(child_and_parent):
    child, parent = child_and_parent
    with pytest.raises(ApplicationError) as wrong_name:
        delegation_create(
            actor=child,
            principal_name="李四",
            principal_card_number=parent.person.card_number,
            relation_code="51",
            scopes=["certify"],
            id_document=png(),
        )
    assert (wrong_name.value.status, codes(wrong_name.value)) == (422, ["principal_not_found"])
    with pytest.raises(ApplicationError) as no_document:
        add(child, parent.person, ["certify"], id_document=None)
    assert codes(no_document.value) == ["id_document_required"]
    assert not Delegation.objects.exists()


@pytest.mark.parametrize(
    "content",
    [b"just text pretending to be a picture", b"MZ\x90\x00\x03 an executable", b""],
)
def test_an_upload_that_is_not_an_image_or_pdf_is_refused_and_changes_nothing(child_and_parent, content):
    child, parent = child_and_parent
    with pytest.raises(ApplicationError) as bad:
        add(child, parent.person, ["certify"], id_document=SimpleUploadedFile("id.png", content, "image/png"))
    assert bad.value.status == 400 and codes(bad.value) == ["upload_type"]
    assert not Delegation.objects.exists() and not DelegationDocument.objects.exists()


def test_a_pdf_identity_document_is_accepted(child_and_parent):
    child, parent = child_and_parent
    add(child, parent.person, ["certify"], id_document=SimpleUploadedFile("id.pdf", PDF, "application/pdf"))
    assert DelegationDocument.objects.get().content_type == "application/pdf"


def test_a_principal_under_16_needs_a_face_photo_and_no_confirmation():
    parent = ResidentFactory(person=PersonFactory(birth=dt.date(1985, 1, 1)))
    kid = PersonFactory(name="张小宝", birth=dt.date(2018, 5, 15))
    registry_parent(parent.person, kid)
    with pytest.raises(ApplicationError) as no_photo:
        add(parent, kid, ["view_rights"])
    assert codes(no_photo.value) == ["face_photo_required"]
    with pytest.raises(ApplicationError) as pdf_photo:
        add(parent, kid, ["view_rights"], face_photo=SimpleUploadedFile("f.pdf", PDF, "application/pdf"))
    assert codes(pdf_photo.value) == ["upload_type"]
    delegation = add(parent, kid, ["view_rights"], face_photo=png("face.png"))
    assert delegation.status == "active" and delegation.principal_minor


def test_the_principal_revokes_and_the_agent_can_no_longer_act(child_and_parent):
    child, parent = child_and_parent
    delegation = active(child, parent, ["view_rights"])
    with pytest.raises(ApplicationError):
        delegation_revoke(actor=child, delegation=delegation)
    delegation_revoke(actor=parent, delegation=delegation)
    with pytest.raises(ApplicationError) as after:
        delegation_act(actor=child, delegation=delegation, scope="view_rights", action="rights_view")
    assert codes(after.value) == ["no_delegation"]


def test_one_live_delegation_per_agent_and_principal(child_and_parent):
    child, parent = child_and_parent
    add(child, parent.person, ["certify"])
    with pytest.raises(ApplicationError) as twice:
        add(child, parent.person, ["view_rights"])
    assert (twice.value.status, codes(twice.value)) == (409, ["duplicate_delegation"])


def test_nobody_can_delegate_to_themselves(child_and_parent):
    child, _parent = child_and_parent
    with pytest.raises(ApplicationError) as own:
        add(child, child.person, ["certify"])
    assert codes(own.value) == ["delegation_self"]

"""Maker-checker (四眼原则, DESIGN.md section 6) in the services: a staff change of a person's phone
or identity fields is filed, and takes effect only when a second bureau officer of the same region
approves it; each refusal has its code and changes nothing."""

import threading

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from accounts.change_requests.kinds import PERSON_IDENTITY, PERSON_PHONE
from accounts.change_requests.models import ChangeRequest, ChangeRequestEvent
from accounts.change_requests.services import request_approve, request_create, request_reject
from accounts.models import Person, PhoneChange
from accounts.tests.factories import (
    InstitutionFactory,
    PersonFactory,
    RegionFactory,
    StaffFactory,
    make_id_number,
)
from portal.core import crypto
from portal.core.errors import ApplicationError
from portal.core.notify import MemorySmsSender

pytestmark = pytest.mark.django_db


def phone_request(maker, person, phone="13900000002"):
    return request_create(
        kind=PERSON_PHONE, maker=maker, target=person, after={"phone": phone}, reason="原号码停用"
    )


def refused(code: str, call, *args, **kwargs) -> ApplicationError:
    with pytest.raises(ApplicationError) as caught:
        call(*args, **kwargs)
    assert caught.value.code == code, caught.value.as_dict()
    return caught.value


@pytest.fixture
def officers():
    maker = StaffFactory()
    return maker, StaffFactory(region=maker.region)


def test_a_phone_change_waits_for_the_second_officer_then_takes_effect(
    officers, django_capture_on_commit_callbacks
):
    # given an officer files a new number for a person of their region
    maker, checker = officers
    person = PersonFactory(region=maker.region, phone="13800000001")
    request = phone_request(maker, person)
    # then nothing has changed yet, and nobody has been told
    assert Person.objects.get(pk=person.pk).phone == "13800000001"
    assert not PhoneChange.objects.exists() and MemorySmsSender.outbox == []
    assert (request.status, request.region, request.maker) == ("pending", maker.region, maker)
    # when a second officer of the region approves it
    with django_capture_on_commit_callbacks(execute=True):
        request_approve(checker=checker, request=request)
    # then the number is changed, the window's record names the maker and both numbers are told
    assert Person.objects.get(pk=person.pk).phone == "13900000002"
    [change] = PhoneChange.objects.all()
    assert (change.staff, change.reason, change.new_phone_masked) == (maker, "原号码停用", "139****0002")
    assert sorted(to for to, _ in MemorySmsSender.outbox) == ["13800000001", "13900000002"]
    request.refresh_from_db()
    assert (request.status, request.checker) == ("approved", checker) and request.decided_at
    # and both acts are recorded
    acts = [(e.verb, e.actor) for e in ChangeRequestEvent.objects.filter(request=request)]
    assert acts == [("submitted", maker), ("approved", checker)]


def test_the_maker_cannot_approve_or_reject_their_own_request(officers):
    maker, _ = officers
    person = PersonFactory(region=maker.region, phone="13800000001")
    request = phone_request(maker, person)
    refused("own_request", request_approve, checker=maker, request=request)
    refused("own_request", request_reject, checker=maker, request=request)
    request.refresh_from_db()
    assert request.status == "pending" and Person.objects.get(pk=person.pk).phone == "13800000001"


def test_a_decided_request_cannot_be_decided_again(officers):
    maker, checker = officers
    third = StaffFactory(region=maker.region)
    person = PersonFactory(region=maker.region, phone="13800000001")
    approved = phone_request(maker, person)
    request_approve(checker=checker, request=approved)
    refused("already_decided", request_approve, checker=third, request=approved)
    refused("already_decided", request_reject, checker=third, request=approved)
    assert PhoneChange.objects.count() == 1
    rejected = phone_request(maker, person, phone="13700000003")
    request_reject(checker=checker, request=rejected, note="本人未到场")
    refused("already_decided", request_approve, checker=third, request=rejected)
    assert Person.objects.get(pk=person.pk).phone == "13900000002"


def test_a_rejection_changes_nothing_but_the_request(officers):
    maker, checker = officers
    person = PersonFactory(region=maker.region, phone="13800000001")
    request = request_reject(checker=checker, request=phone_request(maker, person), note="材料不全")
    assert (request.status, request.checker, request.decision_note) == ("rejected", checker, "材料不全")
    assert Person.objects.get(pk=person.pk).phone == "13800000001" and not PhoneChange.objects.exists()
    assert [e.verb for e in request.events.all()] == ["submitted", "rejected"]


def test_an_officer_of_another_region_can_neither_file_nor_decide(officers):
    maker, _ = officers
    far = StaffFactory(region=RegionFactory(code="310100", name="上海市"))
    person = PersonFactory(region=maker.region, phone="13800000001")
    refused("other_region", phone_request, far, person)
    request = phone_request(maker, person)
    refused("other_region", request_approve, checker=far, request=request)
    refused("other_region", request_reject, checker=far, request=request)
    request.refresh_from_db()
    assert request.status == "pending" and Person.objects.get(pk=person.pk).phone == "13800000001"


def test_only_bureau_officers_file_or_decide(officers):
    maker, _ = officers
    hospital = StaffFactory(
        role="hospital", institution=InstitutionFactory(region=maker.region), region=None, is_staff=False
    )
    person = PersonFactory(region=maker.region, phone="13800000001")
    refused("not_an_officer", phone_request, hospital, person)
    refused("not_an_officer", request_approve, checker=hospital, request=phone_request(maker, person))


def test_one_pending_request_per_record_and_kind(officers):
    maker, checker = officers
    person = PersonFactory(region=maker.region, phone="13800000001")
    phone_request(maker, person)
    refused("change_pending", phone_request, checker, person, "13700000003")
    # another kind of change of the same person may wait beside it
    request_create(kind=PERSON_IDENTITY, maker=maker, target=person, after={"name": "李四"}, reason="更正")
    assert ChangeRequest.objects.filter(status="pending").count() == 2


def test_a_request_needs_a_reason_and_a_real_change(officers):
    maker, _ = officers
    person = PersonFactory(region=maker.region, phone="13800000001")
    error = refused(
        "change_reason_required",
        request_create,
        kind=PERSON_PHONE,
        maker=maker,
        target=person,
        after={"phone": "13900000002"},
        reason=" ",
    )
    assert error.details[0].field == "reason"
    refused("phone_unchanged", phone_request, maker, person, "13800000001")
    refused("phone_format", phone_request, maker, person, "1234")
    refused(
        "nothing_changed",
        request_create,
        kind=PERSON_IDENTITY,
        maker=maker,
        target=person,
        after={"name": person.name},
        reason="更正",
    )
    assert not ChangeRequest.objects.exists()


def test_identity_fields_change_on_approval_with_birth_date_and_sex_from_the_new_number(officers):
    maker, checker = officers
    person = PersonFactory(region=maker.region, name="王小明", card_number="A10000001")
    number = make_id_number(male=False, address="110105")
    after = {"name": "王晓明", "card_number": "a10000009", "id_number": number.lower()}
    request = request_create(
        kind=PERSON_IDENTITY, maker=maker, target=person, after=after, reason="户口本更正"
    )
    assert Person.objects.get(pk=person.pk).name == "王小明"
    request_approve(checker=checker, request=request)
    person = Person.objects.get(pk=person.pk)
    assert (person.name, person.card_number, person.id_number) == ("王晓明", "A10000009", number)
    assert person.id_hash == crypto.lookup_hash(number) and person.sex == "female"
    assert person.history.first().history_change_reason == "变更申请复核生效：户口本更正"


def test_an_identity_number_or_card_of_someone_else_is_refused(officers):
    maker, _ = officers
    person, other = PersonFactory(region=maker.region), PersonFactory(region=maker.region)
    identity = {"kind": PERSON_IDENTITY, "maker": maker, "target": person, "reason": "更正"}
    refused("duplicate_card_number", request_create, after={"card_number": other.card_number}, **identity)
    refused("duplicate_id_number", request_create, after={"id_number": other.id_number}, **identity)
    refused(
        "id_number_checksum",
        request_create,
        after={"id_number": person.id_number[:-1] + "0"}
        if person.id_number[-1] != "0"
        else {"id_number": person.id_number[:-1] + "1"},
        **identity,
    )
    refused("name_invalid", request_create, after={"name": "王1"}, **identity)
    assert not ChangeRequest.objects.exists()


def test_a_record_changed_after_filing_is_not_overwritten(officers):
    # given a phone change waiting, then the bureau's import rewrites the number directly
    maker, checker = officers
    person = PersonFactory(region=maker.region, phone="13800000001")
    request = phone_request(maker, person)
    Person.objects.filter(pk=person.pk).update(phone="13600000006")
    # then the approval is refused and the imported number stays
    refused("target_changed", request_approve, checker=checker, request=request)
    assert Person.objects.get(pk=person.pk).phone == "13600000006"
    request.refresh_from_db()
    assert request.status == "pending"


def test_before_and_after_are_encrypted_at_rest(officers):
    maker, _ = officers
    person = PersonFactory(region=maker.region, phone="13800000001")
    request = phone_request(maker, person)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT before_json, after_json FROM accounts_changerequest WHERE id = %s", [request.pk]
        )
        row = cursor.fetchone()
    assert "13800000001" not in row[0] and "13900000002" not in row[1]
    assert ChangeRequest.objects.get(pk=request.pk).after == {"phone": "13900000002"}


def test_the_database_refuses_a_maker_checking_their_own_and_a_decision_without_checker(officers):
    maker, _ = officers
    request = phone_request(maker, PersonFactory(region=maker.region, phone="13800000001"))
    with pytest.raises(IntegrityError), transaction.atomic():
        ChangeRequest.objects.filter(pk=request.pk).update(
            status="approved", checker=maker, decided_at=timezone.now()
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        ChangeRequest.objects.filter(pk=request.pk).update(status="approved")


@pytest.mark.django_db(transaction=True)
def test_two_officers_approving_at_once_apply_the_change_exactly_once():
    # given one pending phone change and two second officers on two connections
    maker = StaffFactory()
    checkers = [StaffFactory(region=maker.region) for _ in range(2)]
    person = PersonFactory(region=maker.region, phone="13800000001")
    request = phone_request(maker, person)
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def approve(checker) -> None:
        try:
            start.wait()
            request_approve(checker=checker, request=ChangeRequest.objects.get(pk=request.pk))
            outcomes.append("approved")
        except ApplicationError as error:
            outcomes.append(error.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=approve, args=(c,)) for c in checkers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # then one applied it and the other was told it was already decided
    assert sorted(outcomes) == ["already_decided", "approved"]
    assert PhoneChange.objects.count() == 1
    assert ChangeRequestEvent.objects.filter(request_id=request.pk, verb="approved").count() == 1

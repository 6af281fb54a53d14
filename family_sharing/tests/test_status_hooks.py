"""Bindings following the insurance status of their people (family_sharing.status_hooks): which
bindings move, the event each keeps, and who is told in-app and by SMS (only after commit)."""

import pytest
from django.db import transaction

from accounts.models import Message
from accounts.tests.factories import PersonFactory
from family_sharing.models import Binding, BindingEvent
from family_sharing.status_hooks import (
    bindings_end_for_persons,
    bindings_resume_for_sharers,
    bindings_suspend_for_sharers,
)
from family_sharing.tests.factories import BindingFactory, person, sharer
from portal.core.notify import MemorySmsSender

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def empty_outbox():
    MemorySmsSender.outbox.clear()


def status_of(binding: Binding) -> str:
    binding.refresh_from_db()
    return binding.status


def test_suspending_moves_only_the_active_bindings_of_those_sharers_and_tells_both_sides(
    django_capture_on_commit_callbacks,
):
    # given a sharer in arrears with an active and an already revoked binding, and another sharer
    owing, other = sharer(), sharer()
    active = BindingFactory(sharer=owing, beneficiary=person(1950))
    revoked = BindingFactory(sharer=owing, beneficiary=person(1952), status="revoked")
    untouched = BindingFactory(sharer=other, beneficiary=person(1955))
    # when
    with django_capture_on_commit_callbacks(execute=True):
        moved = bindings_suspend_for_sharers(sharer_ids=[owing.pk])
    # then only the active binding of that sharer is suspended, with its reason and one event
    assert moved == 1
    active.refresh_from_db()
    assert (active.status, active.reasons, active.ended_at) == ("suspended", ["sharer_status_changed"], None)
    assert (status_of(revoked), status_of(untouched)) == ("revoked", "active")
    event = BindingEvent.objects.get(binding=active)
    assert (event.from_status, event.to_status, event.channel, event.actor_id, event.reasons) == (
        "active",
        "suspended",
        "system",
        None,
        ["sharer_status_changed"],
    )
    assert not BindingEvent.objects.exclude(binding=active).exists()
    # and both sides are told in-app and by SMS, nobody else
    told = Message.objects.filter(subject="家庭共济绑定已暂停")
    assert sorted(told.values_list("person_id", flat=True)) == sorted([owing.pk, active.beneficiary_id])
    assert sorted(phone for phone, _ in MemorySmsSender.outbox) == sorted(
        [owing.phone, active.beneficiary.phone]
    )
    assert all(
        text.startswith("【医保家庭共济】您的职工医保参保状态不正常") for _, text in MemorySmsSender.outbox
    )


def test_a_person_without_a_phone_gets_the_in_app_message_only(django_capture_on_commit_callbacks):
    owing = sharer()
    binding = BindingFactory(sharer=owing, beneficiary=person(1950, phone="", phone_hash=""))
    with django_capture_on_commit_callbacks(execute=True):
        bindings_suspend_for_sharers(sharer_ids=[owing.pk])
    assert Message.objects.filter(person_id=binding.beneficiary_id, subject="家庭共济绑定已暂停").count() == 1
    assert [phone for phone, _ in MemorySmsSender.outbox] == [owing.phone]


def test_no_sms_leaves_when_the_transaction_rolls_back(django_capture_on_commit_callbacks):
    owing = sharer()
    binding = BindingFactory(sharer=owing, beneficiary=person(1950))
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        bindings_suspend_for_sharers(sharer_ids=[owing.pk])
        transaction.set_rollback(True)
    assert status_of(binding) == "active"
    assert not Message.objects.exists()
    assert MemorySmsSender.outbox == []


def test_resuming_moves_only_bindings_suspended_because_of_the_sharer(django_capture_on_commit_callbacks):
    payer = sharer()
    for_arrears = BindingFactory(
        sharer=payer, beneficiary=person(1950), status="suspended", reasons=["sharer_status_changed"]
    )
    for_divorce = BindingFactory(
        sharer=payer, beneficiary=PersonFactory(), status="suspended", reasons=["registry_edge_ended"]
    )
    with django_capture_on_commit_callbacks(execute=True):
        moved = bindings_resume_for_sharers(sharer_ids=[payer.pk])
    assert moved == 1
    for_arrears.refresh_from_db()
    assert (for_arrears.status, for_arrears.reasons) == ("active", ["sharer_status_restored"])
    assert status_of(for_divorce) == "suspended"
    assert list(BindingEvent.objects.values_list("binding_id", "from_status", "to_status")) == [
        (for_arrears.pk, "suspended", "active")
    ]
    assert Message.objects.filter(subject="家庭共济绑定已恢复").count() == 2
    assert len(MemorySmsSender.outbox) == 2


def test_ending_takes_every_live_binding_of_the_person_on_either_side_and_records_where_each_was():
    # given a terminated person who shares with one relative, is pending with another, and is a
    # beneficiary of a suspended binding; and an old revoked binding
    departed = sharer(status="terminated")
    as_sharer = BindingFactory(sharer=departed, beneficiary=person(1950))
    pending = BindingFactory(sharer=departed, beneficiary=person(1952), status="pending_consent")
    as_beneficiary = BindingFactory(
        sharer=sharer(), beneficiary=departed, status="suspended", reasons=["sharer_status_changed"]
    )
    old = BindingFactory(sharer=departed, beneficiary=person(1955), status="revoked")
    # when
    moved = bindings_end_for_persons(person_ids=[departed.pk])
    # then the three live ones end, each event keeping the status it left
    assert moved == 3
    for binding in (as_sharer, pending, as_beneficiary):
        binding.refresh_from_db()
        assert (binding.status, binding.reasons) == ("ended", ["person_terminated"])
        assert binding.ended_at is not None
    assert status_of(old) == "revoked"
    assert sorted(BindingEvent.objects.values_list("from_status", flat=True)) == [
        "active",
        "pending_consent",
        "suspended",
    ]
    assert Message.objects.filter(subject="家庭共济绑定已终止").count() == 6


def test_nobody_to_move_changes_nothing():
    BindingFactory()
    assert bindings_suspend_for_sharers(sharer_ids=[]) == 0
    assert bindings_end_for_persons(person_ids=[PersonFactory().pk]) == 0
    assert not BindingEvent.objects.exists()
    assert not Message.objects.exists()

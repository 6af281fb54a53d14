"""The binding-verification pass (DESIGN.md section 6; family_sharing.verification): what it decides
for each pending binding, what it records, its cost, and that two passes never take the same binding."""

import datetime as dt
import threading

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from accounts.models import Message
from accounts.tests.factories import PersonFactory
from family_sharing.models import Binding, BindingEvent
from family_sharing.tests.factories import BindingFactory, parent_edge, person, sharer
from family_sharing.verification import bindings_verify

PENDING = "pending_verification"


def pending(s, b, code: str) -> Binding:
    return BindingFactory(sharer=s, beneficiary=b, relation_code_id=code, status=PENDING)


def status_of(binding: Binding) -> str:
    return Binding.objects.values_list("status", flat=True).get(pk=binding.pk)


# --- what the pass decides -----------------------------------------------------------------------


@pytest.mark.django_db
def test_a_binding_the_registry_confirms_becomes_active(family):
    # given
    binding = pending(family["me"], family["father"], "51")

    # when
    result = bindings_verify()

    # then
    binding.refresh_from_db()
    assert (binding.status, binding.reasons, binding.derived_relation_code) == (
        "active",
        ["registry_verified"],
        "51",
    )
    assert binding.activated_at is not None and binding.ended_at is None
    assert (result.checked, result.activated) == (1, 1)
    assert Message.objects.filter(person=family["me"]).count() == 1
    assert Message.objects.filter(person=family["father"]).count() == 1


@pytest.mark.django_db
def test_a_binding_the_registry_is_silent_about_needs_evidence(family):
    # given: a stranger to the registry declared as an elder brother
    stranger = person(1975)
    binding = pending(family["me"], stranger, "71")

    # when
    result = bindings_verify()

    # then
    binding.refresh_from_db()
    assert (binding.status, binding.reasons) == ("needs_evidence", ["relation_unverified"])
    assert binding.activated_at is None and binding.ended_at is None
    assert result.needs_evidence == 1


@pytest.mark.django_db
def test_a_binding_the_registry_contradicts_is_rejected(family):
    # given: the mother's father declared as the paternal grandfather (61 instead of 63)
    binding = pending(family["me"], family["mat_gf"], "61")

    # when
    result = bindings_verify()

    # then
    binding.refresh_from_db()
    assert (binding.status, binding.reasons, binding.derived_relation_code) == (
        "rejected",
        ["relation_mismatch"],
        "63",
    )
    assert binding.ended_at is not None
    assert result.rejected == 1


@pytest.mark.django_db
def test_a_divorced_spouse_pending_verification_is_rejected_as_not_a_near_relative(family):
    # given
    binding = pending(family["me"], family["former_wife"], "12")

    # when
    bindings_verify()

    # then
    binding.refresh_from_db()
    assert (binding.status, binding.reasons) == ("rejected", ["not_near_relative"])


# --- what the pass records -----------------------------------------------------------------------


@pytest.mark.django_db
def test_every_verified_binding_gets_one_event_with_channel_system_and_no_actor(family):
    # given
    bindings = [
        pending(family["me"], family["wife"], "12"),
        pending(family["me"], person(1975), "71"),
        pending(family["me"], family["mat_gf"], "61"),
    ]

    # when
    bindings_verify()

    # then
    events = list(BindingEvent.objects.order_by("binding__created_at"))
    assert [e.binding_id for e in events] == [b.pk for b in bindings]
    assert [(e.from_status, e.to_status) for e in events] == [
        (PENDING, "active"),
        (PENDING, "needs_evidence"),
        (PENDING, "rejected"),
    ]
    assert {(e.channel, e.actor_id) for e in events} == {("system", None)}
    assert [e.reasons for e in events] == [
        ["registry_verified"],
        ["relation_unverified"],
        ["relation_mismatch"],
    ]


@pytest.mark.django_db
def test_a_second_pass_does_nothing(family):
    # given
    pending(family["me"], family["wife"], "12")
    pending(family["me"], person(1975), "71")
    bindings_verify()
    before = (
        list(Binding.objects.order_by("pk").values_list("pk", "status", "updated_at")),
        BindingEvent.objects.count(),
        Message.objects.count(),
    )

    # when
    result = bindings_verify()

    # then
    assert (result.checked, result.suspended) == (0, 0)
    after = (
        list(Binding.objects.order_by("pk").values_list("pk", "status", "updated_at")),
        BindingEvent.objects.count(),
        Message.objects.count(),
    )
    assert after == before


# --- what the pass costs -------------------------------------------------------------------------


def _pending_mix(me, n: int) -> None:
    """n pending bindings of `me`: a third registry children (active), a third strangers (needs
    evidence), a third registry children declared as fathers (rejected)."""
    for i in range(n):
        child = person(2000 + i % 20, male=True)
        if i % 3 == 0:
            parent_edge(me, child)
            pending(me, child, "20")
        elif i % 3 == 1:
            pending(me, child, "20")
        else:
            parent_edge(me, child)
            pending(me, child, "51")


@pytest.mark.django_db
def test_the_number_of_queries_does_not_grow_with_the_number_of_pending_bindings(
    near_relatives_policy, django_assert_num_queries
):
    # given: the same chunk for both runs, larger than either
    chunk = 100
    few_sharer, many_sharer = sharer(), sharer()
    _pending_mix(few_sharer, 5)
    with CaptureQueriesContext(connection) as few:
        assert bindings_verify(chunk=chunk).checked == 5
    _pending_mix(many_sharer, 50)

    # when / then: 50 bindings cost exactly what 5 did
    with django_assert_num_queries(len(few)):
        result = bindings_verify(chunk=chunk)
    assert (result.checked, result.activated, result.needs_evidence, result.rejected) == (50, 17, 17, 16)


@pytest.mark.django_db
def test_each_chunk_costs_the_same_number_of_queries(near_relatives_policy):
    # given: 10, 20 and 30 pending bindings verified in chunks of 10 (each run also makes one empty
    # look for more and one look for ended marriages)
    costs = []
    for n in (10, 20, 30):
        _pending_mix(sharer(), n)

        # when
        with CaptureQueriesContext(connection) as queries:
            assert bindings_verify(chunk=10).checked == n
        costs.append(len(queries))

    # then: every further chunk adds the same, small, number of queries
    per_chunk = costs[1] - costs[0]
    assert costs[2] - costs[1] == per_chunk
    # savepoint, claim (SKIP LOCKED), 2 registry queries, 1 UPDATE, 1 INSERT of events, 1 INSERT of
    # messages, 1 INSERT ... SELECT of their SMS copies into the outbox, release savepoint
    assert per_chunk == 9


# --- two passes at once --------------------------------------------------------------------------


def _committed_pending(n: int) -> list[Binding]:
    """n committed pending bindings of one sharer to registry children (all will be activated)."""
    from family_sharing.tests.factories import PolicyFactory

    PolicyFactory(scope="near_relatives")
    me = sharer(birth=dt.date(1970, 1, 1))
    bindings = []
    for _ in range(n):
        child = PersonFactory(birth=dt.date(2000, 1, 1), insurance_type="resident")
        parent_edge(me, child)
        bindings.append(pending(me, child, "20"))
    return bindings


@pytest.mark.django_db(transaction=True)
def test_a_pass_skips_bindings_another_pass_has_locked_and_takes_them_later():
    # given: another connection holds the locks of the first three bindings
    bindings = _committed_pending(6)
    held, locked, release = [b.pk for b in bindings[:3]], threading.Event(), threading.Event()

    def hold_locks() -> None:
        try:
            with transaction.atomic():
                list(Binding.objects.select_for_update().filter(pk__in=held))
                locked.set()
                release.wait(timeout=30)
        finally:
            connection.close()

    holder = threading.Thread(target=hold_locks)
    holder.start()
    assert locked.wait(timeout=30)

    # when: a pass runs while the locks are held
    try:
        first = bindings_verify()
    finally:
        release.set()
        holder.join(timeout=30)

    # then: it took only the unlocked ones, without waiting; the next pass takes the rest
    assert first.checked == 3
    assert {b.pk for b in bindings if status_of(b) == "active"} == {b.pk for b in bindings[3:]}
    assert bindings_verify().checked == 3
    assert {status_of(b) for b in bindings} == {"active"}
    assert BindingEvent.objects.count() == 6


@pytest.mark.django_db(transaction=True)
def test_two_passes_at_once_never_take_the_same_binding():
    # given
    bindings = _committed_pending(60)
    start = threading.Barrier(2)
    checked: list[int] = []

    def one_pass() -> None:
        try:
            start.wait(timeout=30)
            checked.append(bindings_verify(chunk=5).checked)
        finally:
            connection.close()

    # when
    passes = [threading.Thread(target=one_pass) for _ in range(2)]
    for t in passes:
        t.start()
    for t in passes:
        t.join(timeout=60)

    # then: together they verified each binding exactly once
    assert sorted(checked) and sum(checked) == 60
    events = list(BindingEvent.objects.values_list("binding_id", "from_status", "to_status"))
    assert sorted(e[0] for e in events) == sorted(b.pk for b in bindings)
    assert {(e[1], e[2]) for e in events} == {(PENDING, "active")}


@pytest.mark.django_db
def test_a_spouse_binding_suspended_for_a_divorce_resumes_when_the_registry_is_corrected(
    near_relatives_policy,
):
    # given an active spouse binding whose marriage the registry shows ended
    from family_sharing.tests.factories import spouse_edge

    me, wife = sharer(), person(1982, male=False)
    edge = spouse_edge(me, wife, valid_from=dt.date(2005, 1, 1), valid_to=dt.date(2025, 1, 1))
    binding = BindingFactory(sharer=me, beneficiary=wife, relation_code_id="12", status="active")
    assert bindings_verify().suspended == 1
    assert status_of(binding) == "suspended"
    # when a corrected record removes the end date
    edge.valid_to = None
    edge.save()
    result = bindings_verify()
    # then the binding is active again, recorded as a system event
    assert result.resumed == 1
    assert status_of(binding) == "active"
    last = BindingEvent.objects.filter(binding=binding).order_by("-at", "-id").first()
    assert (last.from_status, last.to_status, last.channel) == ("suspended", "active", "system")
    assert bindings_verify().resumed == 0

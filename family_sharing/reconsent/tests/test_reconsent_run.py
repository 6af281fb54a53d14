"""Re-consent at 16 on a frozen clock (DESIGN.md section 6): the son, whose father consented as
guardian, is asked on his 16th birthday (once, in-app and by SMS), has 30 days, and the binding is
suspended with `reconsent_required` on the 30th day after; his answer puts it back or revokes it."""

import datetime as dt
import io
from importlib import import_module

import pytest
from django.core.management import call_command
from django.db import connection
from freezegun import freeze_time

from accounts.models import InsuranceStatus, Message
from accounts.tests.factories import InstitutionFactory, PersonFactory, ResidentFactory, StaffFactory
from family_sharing.models import Binding, BindingEvent
from family_sharing.reconsent.models import ReconsentRequest
from family_sharing.reconsent.run import ASK_SUBJECT
from family_sharing.reconsent.services import binding_reconsent
from family_sharing.reconsent.tests.conftest import BIRTHDAY_16, BORN, at
from family_sharing.services import binding_counter_create
from family_sharing.status_hooks import bindings_resume_for_sharers
from family_sharing.tests.factories import BindingFactory, parent_edge, sharer
from portal.core.errors import ApplicationError
from portal.core.notify import MemorySmsSender

pytestmark = pytest.mark.django_db

D = dt.date
DAY = dt.timedelta(days=1)


def sms_to(person) -> list[str]:
    return [text for phone, text in MemorySmsSender.outbox if phone == person.phone]


def snapshot(binding: Binding) -> tuple:
    """Everything an answer or a run could change about a binding."""
    binding.refresh_from_db()
    request = ReconsentRequest.objects.filter(binding=binding).values_list("answer", "answered_by").first()
    return (
        binding.status,
        binding.reasons,
        request,
        BindingEvent.objects.filter(binding=binding).count(),
        Message.objects.count(),
        len(MemorySmsSender.outbox),
    )


def test_the_son_is_asked_at_16_and_the_binding_is_suspended_30_days_later_until_he_confirms(family, run_on):
    father, son, binding = family["father"].person, family["son"].person, family["binding"]

    # at 15 years and 364 days: nothing
    eve = BIRTHDAY_16 - DAY
    assert run_on(eve).summary() == f"re-consent at 16 as of {eve}: 0 asked, 0 suspended"
    assert not ReconsentRequest.objects.exists()
    assert sms_to(son) == []

    # on his 16th birthday: asked once, in-app and by SMS, with the last day to answer
    assert (run_on(BIRTHDAY_16).asked, run_on(BIRTHDAY_16).asked) == (1, 0)
    request = ReconsentRequest.objects.get(binding=binding)
    last_day = BIRTHDAY_16 + 29 * DAY
    assert (request.requested_on, request.due_on, request.answer) == (BIRTHDAY_16, last_day, "")
    asked = Message.objects.get(person=son, subject=ASK_SUBJECT)
    assert "刘*" in asked.body and f"{last_day.year}年{last_day.month}月{last_day.day}日" in asked.body
    assert sms_to(son) == [f"【医保家庭共济】{asked.body}"]
    assert sms_to(father) == []

    # 29 days later: still active, nobody told anything more
    before = snapshot(binding)
    assert run_on(BIRTHDAY_16 + 29 * DAY).suspended == 0
    assert snapshot(binding) == before
    assert binding.status == "active"

    # 30 days later: suspended with reconsent_required, one event, both sides told
    assert run_on(BIRTHDAY_16 + 30 * DAY).suspended == 1
    binding.refresh_from_db()
    assert (binding.status, binding.reasons) == ("suspended", ["reconsent_required"])
    event = BindingEvent.objects.filter(binding=binding).order_by("-id").first()
    assert (event.from_status, event.to_status, event.channel, event.actor_id, event.reasons) == (
        "active",
        "suspended",
        "system",
        None,
        ["reconsent_required"],
    )
    told = Message.objects.filter(subject="家庭共济绑定已暂停").values_list("person_id", flat=True)
    assert sorted(told) == sorted([father.pk, son.pk])
    assert len(sms_to(father)) == 1 and len(sms_to(son)) == 2

    # running again that day, or the next, changes nothing more
    before = snapshot(binding)
    assert (run_on(BIRTHDAY_16 + 30 * DAY).suspended, run_on(BIRTHDAY_16 + 31 * DAY).suspended) == (0, 0)
    assert snapshot(binding) == before

    # when he confirms, it is active again and his father is told
    with freeze_time(at(BIRTHDAY_16 + 32 * DAY)):
        binding_reconsent(actor=family["son"], binding=binding, accept=True)
    binding.refresh_from_db()
    assert (binding.status, binding.reasons) == ("active", ["reconsent_confirmed"])
    event = BindingEvent.objects.filter(binding=binding).order_by("-id").first()
    assert (event.from_status, event.to_status, event.actor, event.channel) == (
        "suspended",
        "active",
        family["son"],
        "web",
    )
    request.refresh_from_db()
    assert (request.answer, request.answered_by) == ("confirmed", family["son"])
    assert Message.objects.filter(person=father, subject="家庭共济绑定已由本人确认").count() == 1

    # and later runs leave it alone
    assert run_on(BIRTHDAY_16 + 60 * DAY).summary().endswith("0 asked, 0 suspended")
    binding.refresh_from_db()
    assert binding.status == "active"


def test_confirming_within_the_30_days_keeps_the_binding_active_and_records_it(family, run_on):
    binding = family["binding"]
    run_on(BIRTHDAY_16)
    # when he confirms on day 10
    with freeze_time(at(BIRTHDAY_16 + 10 * DAY)):
        binding_reconsent(actor=family["son"], binding=binding, accept=True)
    # then it stays active, the confirmation is an event of its own
    binding.refresh_from_db()
    assert binding.status == "active"
    event = BindingEvent.objects.filter(binding=binding).order_by("-id").first()
    assert (event.from_status, event.to_status, event.reasons) == (
        "active",
        "active",
        ["reconsent_confirmed"],
    )
    # and the 30th day passes without a suspension
    assert run_on(BIRTHDAY_16 + 30 * DAY).suspended == 0
    binding.refresh_from_db()
    assert binding.status == "active"


def test_declining_revokes_the_binding_and_tells_the_sharer(family, run_on, guardian_binding):
    # given the mother's binding too, both asked on his birthday
    mothers = guardian_binding(family["mother"], family["son"].person)
    assert run_on(BIRTHDAY_16).asked == 2
    # when he declines the mother's
    with freeze_time(at(BIRTHDAY_16 + 3 * DAY)):
        binding_reconsent(actor=family["son"], binding=mothers, accept=False)
    # then it is revoked with his reason, the mother is told, the father's binding is untouched
    mothers.refresh_from_db()
    assert (mothers.status, mothers.reasons) == ("revoked", ["reconsent_declined"])
    assert mothers.ended_at == at(BIRTHDAY_16 + 3 * DAY)
    assert Message.objects.filter(person=family["mother"].person, subject="家庭共济绑定已解除").count() == 1
    assert ReconsentRequest.objects.get(binding=mothers).answer == "declined"
    family["binding"].refresh_from_db()
    assert family["binding"].status == "active"
    # and the 30th day suspends only the unanswered one
    assert run_on(BIRTHDAY_16 + 30 * DAY).suspended == 1
    mothers.refresh_from_db()
    assert mothers.status == "revoked"


@pytest.mark.parametrize("who", ["father", "mother", "stranger"])
def test_nobody_but_the_young_person_answers_and_a_refusal_changes_nothing(family, run_on, who):
    # given the son asked, and the binding suspended after 30 days
    binding = family["binding"]
    run_on(BIRTHDAY_16)
    run_on(BIRTHDAY_16 + 30 * DAY)
    actor = family[who] if who in family else ResidentFactory()
    before = snapshot(binding)
    # when the sharer (his father), his other guardian or a stranger tries to confirm or decline
    for accept in (True, False):
        with pytest.raises(ApplicationError) as refused:
            binding_reconsent(actor=actor, binding=binding, accept=accept)
        # then it is refused with its own code, and nothing changes
        assert (refused.value.status, refused.value.code) == (403, "reconsent_not_allowed")
    assert snapshot(binding) == before


def test_an_answer_without_an_open_request_is_refused(family, run_on):
    binding = family["binding"]
    # before he is asked
    with pytest.raises(ApplicationError) as early:
        binding_reconsent(actor=family["son"], binding=binding, accept=True)
    assert (early.value.status, early.value.code) == (409, "reconsent_not_pending")
    # and a second answer after the first
    run_on(BIRTHDAY_16)
    with freeze_time(at(BIRTHDAY_16 + DAY)):
        binding_reconsent(actor=family["son"], binding=binding, accept=True)
    before = snapshot(binding)
    with pytest.raises(ApplicationError) as again:
        binding_reconsent(actor=family["son"], binding=binding, accept=False)
    assert (again.value.status, again.value.code) == (409, "reconsent_not_pending")
    assert snapshot(binding) == before


def test_only_active_bindings_a_guardian_consented_to_are_asked_and_only_from_the_16th_birthday(run_on):
    # given bindings of beneficiaries who turn 16 today and tomorrow
    def born(day: dt.date):
        return PersonFactory(birth=day, insurance_type="resident")

    asked = BindingFactory(beneficiary=born(BORN), guardian_consent=True)
    not_yet_16 = BindingFactory(beneficiary=born(BORN + DAY), guardian_consent=True)
    own_consent = BindingFactory(beneficiary=born(BORN), guardian_consent=False)
    pending = BindingFactory(beneficiary=born(BORN), guardian_consent=True, status="pending_verification")
    suspended = BindingFactory(beneficiary=born(BORN - 400 * DAY), guardian_consent=True, status="suspended")
    # when the pass runs on the 16th birthday
    assert run_on(BIRTHDAY_16).asked == 1
    # then only the active guardian-consented binding of the one now 16 is asked
    assert list(ReconsentRequest.objects.values_list("binding_id", flat=True)) == [asked.pk]
    # and bindings that become active later are asked on the first run after, once
    Binding.objects.filter(pk__in=[pending.pk, suspended.pk]).update(status="active")
    assert (run_on(BIRTHDAY_16).asked, run_on(BIRTHDAY_16).asked) == (2, 0)
    # and the one born a day later is asked a day later; the one who consented himself never
    assert run_on(BIRTHDAY_16 + DAY).asked == 1
    assert ReconsentRequest.objects.filter(binding=not_yet_16).exists()
    assert not ReconsentRequest.objects.filter(binding=own_consent).exists()


def test_a_child_born_on_29_february_is_asked_on_29_february_sixteen_years_later(run_on):
    # given a child born on 2008-02-29, whose 16th birthday falls in the leap year 2024
    leap = BindingFactory(beneficiary=PersonFactory(birth=D(2008, 2, 29)), guardian_consent=True)
    assert run_on(D(2024, 2, 28)).asked == 0
    assert run_on(D(2024, 2, 29)).asked == 1
    assert ReconsentRequest.objects.get(binding=leap).due_on == D(2024, 3, 29)


def test_confirming_while_the_sharer_is_in_arrears_leaves_it_suspended_for_that_until_the_sweep_resumes_it(
    family, run_on
):
    # given the binding suspended for want of an answer, and then the father in arrears
    binding, father = family["binding"], family["father"].person
    run_on(BIRTHDAY_16)
    run_on(BIRTHDAY_16 + 30 * DAY)
    father.status = InsuranceStatus.ARREARS
    father.save(update_fields=["status"])
    # when the son confirms
    with freeze_time(at(BIRTHDAY_16 + 31 * DAY)):
        binding_reconsent(actor=family["son"], binding=binding, accept=True)
    # then it stays suspended, now for the father's status
    binding.refresh_from_db()
    assert (binding.status, binding.reasons) == ("suspended", ["sharer_status_changed"])
    event = BindingEvent.objects.filter(binding=binding).order_by("-id").first()
    assert event.reasons == ["reconsent_confirmed", "sharer_status_changed"]
    # and the arrears sweep resumes it when the father pays
    assert bindings_resume_for_sharers(sharer_ids=[father.pk]) == 1
    binding.refresh_from_db()
    assert binding.status == "active"


def test_a_counter_binding_for_a_child_under_16_is_recorded_as_the_guardian_s_consent(near_relatives_policy):
    # given a father and his registry son of ten and daughter of twenty at a hospital counter
    staff = StaffFactory(role="hospital", institution=InstitutionFactory(), region=None, is_staff=False)
    father = sharer(birth=D(1975, 5, 1))
    child, adult = PersonFactory(birth=D(2016, 5, 1)), PersonFactory(birth=D(2006, 5, 1), male=False)
    parent_edge(father, child)
    parent_edge(father, adult)

    # when both are bound at the counter
    def bind(beneficiary, code):
        return binding_counter_create(
            actor=staff,
            sharer_card_number=father.card_number,
            beneficiary_card_number=beneficiary.card_number,
            relation_code=code,
        )

    # then the child's was consented to by the adult present, the grown daughter's by herself
    assert (bind(child, "20").guardian_consent, bind(adult, "30").guardian_consent) == (True, False)


def test_the_migration_backfills_counter_bindings_made_for_children_under_16():
    # given bindings recorded before this change: counter bindings for a child (then 9) and for an
    # adult, and a web binding the child consented to himself
    with freeze_time(at(D(2024, 3, 1))):
        child_at_counter = BindingFactory(beneficiary=PersonFactory(birth=D(2015, 1, 1)), channel="hospital")
        adult_at_counter = BindingFactory(beneficiary=PersonFactory(birth=D(2000, 1, 1)), channel="bureau")
        child_on_web = BindingFactory(beneficiary=PersonFactory(birth=D(2015, 1, 1)), channel="web")
        for binding in (child_at_counter, adult_at_counter, child_on_web):
            BindingEvent.objects.create(
                binding=binding, to_status="pending_verification", channel=binding.channel
            )
    # when the migration's backfill runs
    backfill = import_module("family_sharing.migrations.0012_reconsent").BACKFILL_COUNTER_MINORS
    with connection.cursor() as cursor:
        cursor.execute(backfill)
    # then only the child's counter binding counts as a guardian's consent
    consent = dict(Binding.objects.values_list("pk", "guardian_consent"))
    assert [consent[b.pk] for b in (child_at_counter, adult_at_counter, child_on_web)] == [True, False, False]


def test_the_pass_runs_daily_in_beat_and_from_the_command(family):
    from django_celery_beat.models import PeriodicTask

    from portal.celery import app

    # then beat runs the task every morning at 09:00 Shanghai time
    task = PeriodicTask.objects.get(name="re-consent at 16")
    assert (task.task, task.enabled, task.crontab.hour, task.crontab.minute, str(task.crontab.timezone)) == (
        "family_sharing.run_reconsent",
        True,
        "9",
        "0",
        "Asia/Shanghai",
    )
    assert task.task in app.tasks
    # and the command runs the same pass as of a date, once
    out = []
    for _ in range(2):
        buffer = io.StringIO()
        call_command("run_reconsent", "--as-of", str(BIRTHDAY_16), stdout=buffer)
        out.append(buffer.getvalue().strip())
    assert out == [
        f"re-consent at 16 as of {BIRTHDAY_16}: 1 asked, 0 suspended",
        f"re-consent at 16 as of {BIRTHDAY_16}: 0 asked, 0 suspended",
    ]

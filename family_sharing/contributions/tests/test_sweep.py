"""The arrears sweep (DESIGN.md section 7, API.md section 5): every status rule, its boundaries,
bindings following the sharer's status, and a second sweep that changes nothing."""

import datetime as dt

import pytest
from django.core.management import call_command
from django.db import connection

from accounts.models import Message
from accounts.tests.factories import PersonFactory, RegionFactory
from family_sharing.contributions.models import StatusChange
from family_sharing.contributions.sweep import arrears_sweep, region_holds_most_persons
from family_sharing.contributions.tests.factories import declare, employer
from family_sharing.models import BindingEvent
from family_sharing.tests.factories import BindingFactory, person, sharer
from portal.core.notify import MemorySmsSender

pytestmark = pytest.mark.django_db

AS_OF = dt.date(2026, 11, 20)  # the three months before November: August, September, October


@pytest.fixture
def firm():
    return employer()


def declared_in_order(p, firm, months=("2026-08", "2026-09", "2026-10")):
    for month in months:
        declare(p, month, by=firm)


def sweep(as_of=AS_OF):
    return arrears_sweep(as_of=as_of)


def status_of(p):
    p.refresh_from_db()
    return p.status


def test_an_employee_who_declared_and_paid_the_last_three_months_is_normal(firm):
    worker = PersonFactory(status="interrupted")
    declared_in_order(worker, firm)
    sweep()
    assert status_of(worker) == "normal"


def test_a_period_due_yesterday_and_not_paid_in_full_is_arrears(firm):
    # given October paid only in part, due the day before the as-of date
    worker = PersonFactory()
    declared_in_order(worker, firm, months=("2026-08", "2026-09"))
    declare(
        worker, "2026-10", by=firm, due_fen=60_000, paid_fen=59_999, due_date=AS_OF - dt.timedelta(days=1)
    )
    # when
    sweep()
    # then
    assert status_of(worker) == "arrears"
    change = StatusChange.objects.get(person=worker)
    assert (change.from_status, change.to_status, change.reason) == ("normal", "arrears", "unpaid_periods")
    assert change.cause_periods == ["2026-10"]


def test_a_period_due_today_is_not_yet_arrears(firm):
    worker = PersonFactory()
    declared_in_order(worker, firm, months=("2026-08", "2026-09"))
    declare(worker, "2026-10", by=firm, paid_fen=0, due_date=AS_OF)
    sweep()
    assert status_of(worker) == "normal"
    assert not StatusChange.objects.filter(person=worker).exists()


def test_exactly_three_undeclared_months_is_interrupted(firm):
    # given the last declaration is July: August, September and October are undeclared
    worker = PersonFactory()
    declared_in_order(worker, firm, months=("2026-06", "2026-07"))
    sweep()
    assert status_of(worker) == "interrupted"
    change = StatusChange.objects.get(person=worker)
    assert change.reason == "periods_undeclared"
    assert change.cause_periods == ["2026-08", "2026-09", "2026-10"]


def test_two_undeclared_months_is_not_an_interruption(firm):
    # given August is declared, September and October are not
    worker = PersonFactory()
    declared_in_order(worker, firm, months=("2026-07", "2026-08"))
    sweep()
    assert status_of(worker) == "normal"


def test_the_as_of_month_itself_does_not_count_among_the_last_three(firm):
    # given only November (the as-of month) is declared after July
    worker = PersonFactory()
    declared_in_order(worker, firm, months=("2026-07", "2026-11"))
    sweep()
    assert status_of(worker) == "interrupted"


def test_arrears_and_gaps_together_show_arrears(firm):
    # given a May period never paid and nothing declared since
    worker = PersonFactory()
    declare(worker, "2026-05", by=firm, paid_fen=0)
    sweep()
    assert status_of(worker) == "arrears"
    assert StatusChange.objects.get(person=worker).cause_periods == ["2026-05"]


def test_every_unpaid_period_is_named_in_the_cause(firm):
    worker = PersonFactory()
    other = employer(name="第二家公司")
    declare(worker, "2026-08", by=firm, paid_fen=100)
    declare(worker, "2026-09", by=firm)
    declare(worker, "2026-10", by=other, paid_fen=0)
    sweep()
    assert StatusChange.objects.get(person=worker).cause_periods == ["2026-08", "2026-10"]


def test_payment_clears_arrears(firm):
    # given a person in arrears for October
    worker = PersonFactory()
    declared_in_order(worker, firm, months=("2026-08", "2026-09"))
    october = declare(worker, "2026-10", by=firm, paid_fen=0, due_date=dt.date(2026, 11, 15))
    sweep()
    assert status_of(worker) == "arrears"
    # when the employer pays in full and the sweep runs again
    october.paid_fen = october.due_fen
    october.save()
    sweep(as_of=AS_OF + dt.timedelta(days=1))
    # then
    assert status_of(worker) == "normal"
    back = StatusChange.objects.filter(person=worker).order_by("id").last()
    assert (back.from_status, back.to_status, back.reason) == ("arrears", "normal", "contributions_in_order")


def test_persons_without_declarations_and_non_employees_keep_their_status(firm):
    # given an employee never declared, and a resident-insurance person with a stale declaration
    never_declared = PersonFactory(status="interrupted")
    resident = PersonFactory(insurance_type="resident", status="normal")
    declare(resident, "2025-01", by=firm, paid_fen=0)
    # when
    result = sweep()
    # then
    assert status_of(never_declared) == "interrupted"
    assert status_of(resident) == "normal"
    assert result.checked == 0
    assert not StatusChange.objects.exists()


def test_terminated_persons_stay_terminated(firm):
    gone = PersonFactory(status="terminated")
    declare(gone, "2026-05", by=firm, paid_fen=0)
    sweep()
    assert status_of(gone) == "terminated"
    assert not StatusChange.objects.exists()


def test_a_pensioner_with_enough_years_is_normal_whatever_the_declarations(firm):
    retiree = PersonFactory(is_pensioner=True, status="interrupted")
    declare(retiree, "2015-03", by=firm)  # the last contribution before retirement
    sweep()
    assert status_of(retiree) == "normal"
    assert StatusChange.objects.get(person=retiree).reason == "pensioner"


def test_the_sweep_writes_only_changes_and_a_second_sweep_changes_nothing(
    firm, django_capture_on_commit_callbacks
):
    # given one person in order, one in arrears, one interrupted
    in_order, owing, gone_quiet = PersonFactory(), PersonFactory(), PersonFactory()
    declared_in_order(in_order, firm)
    declare(owing, "2026-10", by=firm, paid_fen=0, due_date=dt.date(2026, 11, 15))
    declare(gone_quiet, "2026-01", by=firm)
    MemorySmsSender.outbox.clear()
    # when the sweep runs twice
    with django_capture_on_commit_callbacks(execute=True):
        first = sweep()
    with django_capture_on_commit_callbacks(execute=True):
        second = sweep()
    # then the first changed two persons and notified each once; the second did nothing
    assert first.checked == second.checked == 3
    assert first.changed_to == {"normal": 0, "arrears": 1, "interrupted": 1}
    assert second.changed_to == {"normal": 0, "arrears": 0, "interrupted": 0}
    assert StatusChange.objects.count() == 2
    assert StatusChange.objects.filter(notified_at__isnull=True).count() == 0
    assert Message.objects.filter(person=owing, subject="医保欠费提醒").count() == 1
    assert Message.objects.filter(person=gone_quiet, subject="医保中断提醒").count() == 1
    assert not Message.objects.filter(person=in_order).exists()
    texts = [text for _phone, text in MemorySmsSender.outbox]
    assert len(texts) == 2
    assert any("2026-10" in t and "12393" in t for t in texts)


def test_a_sharer_in_arrears_has_bindings_suspended_and_resumed_when_paid(
    firm, django_capture_on_commit_callbacks
):
    # given an active binding whose sharer's employer stops paying October
    payer = sharer()
    declared_in_order(payer, firm, months=("2026-08", "2026-09"))
    october = declare(payer, "2026-10", by=firm, paid_fen=0, due_date=dt.date(2026, 11, 15))
    binding = BindingFactory(sharer=payer, beneficiary=person(1950))
    # when the sweep runs
    with django_capture_on_commit_callbacks(execute=True):
        result = arrears_sweep(as_of=AS_OF)
    # then the binding is suspended, with an event, and both sides are told
    binding.refresh_from_db()
    assert binding.status == "suspended"
    assert binding.reasons == ["sharer_status_changed"]
    assert result.suspended == 1
    assert Message.objects.filter(person=binding.beneficiary, subject="家庭共济绑定已暂停").exists()
    # when the employer pays and the sweep runs again
    october.paid_fen = october.due_fen
    october.save()
    with django_capture_on_commit_callbacks(execute=True):
        result = arrears_sweep(as_of=AS_OF + dt.timedelta(days=1))
    # then the binding is active again
    binding.refresh_from_db()
    assert binding.status == "active"
    assert result.resumed == 1
    assert list(BindingEvent.objects.filter(binding=binding).values_list("to_status", flat=True)) == [
        "suspended",
        "active",
    ]
    # and a third sweep moves nothing
    assert arrears_sweep(as_of=AS_OF + dt.timedelta(days=1)).resumed == 0


def test_an_interrupted_sharer_has_bindings_suspended(firm):
    payer = sharer()
    declare(payer, "2026-01", by=firm)
    binding = BindingFactory(sharer=payer, beneficiary=person(1950))
    arrears_sweep(as_of=AS_OF)
    binding.refresh_from_db()
    assert binding.status == "suspended"


def test_a_binding_suspended_for_another_cause_is_not_resumed_by_the_sweep(firm):
    payer = sharer()
    declared_in_order(payer, firm)
    binding = BindingFactory(
        sharer=payer, beneficiary=person(1950), status="suspended", reasons=["registry_edge_ended"]
    )
    arrears_sweep(as_of=AS_OF)
    binding.refresh_from_db()
    assert binding.status == "suspended"


def test_bindings_of_a_terminated_person_end(firm):
    # given a beneficiary whose insurance was terminated (imported as terminated since the last sweep)
    payer = sharer()
    declared_in_order(payer, firm)
    departed = person(1940, status="terminated")
    binding = BindingFactory(sharer=payer, beneficiary=departed)
    # when
    result = arrears_sweep(as_of=AS_OF)
    # then
    binding.refresh_from_db()
    assert binding.status == "ended"
    assert binding.ended_at is not None
    assert result.ended == 1
    assert Message.objects.filter(person=payer, subject="家庭共济绑定已终止").exists()


def test_each_region_is_swept_on_its_own(firm):
    here, there = PersonFactory(), PersonFactory(region=RegionFactory(code="310100", name="上海市"))
    declare(here, "2026-01", by=firm)
    declare(there, "2026-01", by=firm)
    result = arrears_sweep(as_of=AS_OF, region_ids=[here.region_id])
    assert (status_of(here), status_of(there)) == ("interrupted", "normal")
    assert result.regions == 1


def test_a_region_holding_most_persons_is_judged_by_the_same_rules_and_only_its_own_persons(firm):
    # given a large region (most persons, so the table-wide formulation is chosen once the table is
    # analyzed) and a small one, each with a person in order, one in arrears and one gone quiet
    big, small = RegionFactory(code="440100", name="广州市"), RegionFactory(code="440300", name="深圳市")
    people = {}
    for region, count in ((big, 7), (small, 3)):
        in_order, owing, quiet, *rest = [PersonFactory(region=region) for _ in range(count)]
        declared_in_order(in_order, firm)
        declared_in_order(owing, firm, months=("2026-08", "2026-09"))
        declare(owing, "2026-10", by=firm, paid_fen=0, due_date=dt.date(2026, 11, 15))
        declare(quiet, "2026-01", by=firm)
        for other in rest:
            declared_in_order(other, firm)
        people[region.code] = (in_order, owing, quiet)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE accounts_person")
    assert region_holds_most_persons(big.pk) and not region_holds_most_persons(small.pk)
    # when only the large region is swept
    result = arrears_sweep(as_of=AS_OF, region_ids=[big.pk])
    # then its persons are judged as everywhere, with the cause, and the small region is untouched
    in_order, owing, quiet = people["440100"]
    assert [status_of(p) for p in (in_order, owing, quiet)] == ["normal", "arrears", "interrupted"]
    assert StatusChange.objects.get(person=owing).cause_periods == ["2026-10"]
    assert StatusChange.objects.get(person=quiet).cause_periods == ["2026-08", "2026-09", "2026-10"]
    assert result.checked == 7
    assert [status_of(p) for p in people["440300"]] == ["normal", "normal", "normal"]
    # and the small region, swept in turn, comes out the same way
    arrears_sweep(as_of=AS_OF, region_ids=[small.pk])
    assert [status_of(p) for p in people["440300"]] == ["normal", "arrears", "interrupted"]


def test_the_command_prints_a_one_line_summary(firm, capsys):
    worker = PersonFactory()
    declare(worker, "2026-10", by=firm, paid_fen=0, due_date=dt.date(2026, 11, 15))
    call_command("sweep_arrears", "--as-of", "2026-11-20")
    out = capsys.readouterr().out.strip()
    assert "\n" not in out
    assert out.startswith("arrears sweep as of 2026-11-20: checked 1 persons in 1 regions")
    assert "to arrears 1" in out
    assert "bindings suspended 0, resumed 0" in out


def test_the_command_refuses_a_malformed_date(capsys):
    with pytest.raises(SystemExit) as exit_info:
        call_command("sweep_arrears", "--as-of", "20261120")
    assert exit_info.value.code == 1
    assert "date_format" in capsys.readouterr().err


def test_the_nightly_task_fans_out_one_task_per_region(firm, monkeypatch):
    from family_sharing.contributions import tasks

    sent = []
    monkeypatch.setattr(
        tasks.sweep_arrears_region, "delay", lambda region_id, day: sent.append((region_id, day))
    )
    here, there = PersonFactory(), PersonFactory(region=RegionFactory(code="310100", name="上海市"))
    declare(here, "2026-01", by=firm)
    tasks.sweep_arrears_nightly("2026-11-20")
    assert sorted(sent) == sorted([(here.region_id, "2026-11-20"), (there.region_id, "2026-11-20")])


def test_the_region_task_sweeps_its_region():
    from family_sharing.contributions.tasks import sweep_arrears_region

    worker = PersonFactory()
    declare(worker, "2026-01", by=employer())
    assert "to interrupted 1" in sweep_arrears_region(worker.region_id, "2026-11-20")
    assert status_of(worker) == "interrupted"


def test_beat_runs_the_sweep_every_night_at_half_past_one_beijing_time():
    from django_celery_beat.models import PeriodicTask

    task = PeriodicTask.objects.get(name="nightly arrears sweep")
    assert task.task == "family_sharing.sweep_arrears_nightly"
    assert task.enabled
    assert (task.crontab.hour, task.crontab.minute, str(task.crontab.timezone)) == (
        "1",
        "30",
        "Asia/Shanghai",
    )


def test_a_lost_notification_is_sent_by_the_nightly_pass_exactly_once(firm):
    from family_sharing.contributions.tasks import notify_pending_status_changes

    # given a change whose notification task never ran (broker down)
    worker = PersonFactory()
    declare(worker, "2026-01", by=firm)
    sweep()  # the test's transaction never commits, so the on-commit enqueue does not run
    assert StatusChange.objects.get(person=worker).notified_at is None
    # when the nightly pass runs twice
    assert notify_pending_status_changes() == 1
    assert notify_pending_status_changes() == 0
    # then the person got one message
    assert Message.objects.filter(person=worker, subject="医保中断提醒").count() == 1

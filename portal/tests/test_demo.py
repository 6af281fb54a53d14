"""The first run's demo data: reference data, then `seed_demo`, twice."""

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from accounts.delegations.models import Delegation
from accounts.models import AccountEntry, Person, User
from certification.cycles import person_cycle
from family_sharing.models import Binding
from portal.core.time import today


@pytest.mark.django_db(transaction=True)
def test_seed_demo_gives_working_logins_and_a_family_and_is_idempotent(monkeypatch, capsys):
    # given reference data and a staff password
    monkeypatch.setenv("STAFF_PASSWORD", "Demo-Staff-2026")
    call_command("load_reference_data", verbosity=0)
    # when the demo is seeded twice
    call_command("seed_demo")
    call_command("seed_demo")
    out = capsys.readouterr().out
    # then every login is printed, the family exists once, the father binding is active
    assert "bureau_demo" in out and "hospital_demo" in out and "110105196503120013" in out
    assert Person.objects.filter(name="张建国").count() == 1
    assert User.objects.filter(username__in=["bureau_demo", "hospital_demo", "pharmacy_demo"]).count() == 3
    statuses = dict(Binding.objects.values_list("beneficiary__name", "status"))
    assert statuses == {"张德福": "active", "王桂兰": "pending_consent"}
    # the pensioner grandfather's cycle is due soon and his son may start it for him (issue 6)
    grandfather = Person.objects.get(name="张德福")
    assert person_cycle(grandfather, on=today()).status == "due"
    delegation = Delegation.objects.get()
    assert (delegation.agent.person.name, delegation.principal, delegation.status) == (
        "张建国",
        grandfather,
        "active",
    )
    assert delegation.scopes == ["view_rights", "certify"]
    # and the son's account shows one family payment for his father at the demo hospital
    payment = AccountEntry.objects.get(kind="family_settlement")
    assert (payment.account.person.name, payment.beneficiary.name) == ("张建国", "张德福")
    assert payment.institution.code == "H11010001"
    assert payment.account.balance_fen == 325_000 - 8_650
    # and the contributions give the family real statuses, with one open arrears case, unchanged by
    # the second run (no second status change, no second message)
    from family_sharing.contributions.models import ArrearsCase, StatusChange

    status = dict(Person.objects.values_list("name", "status"))
    assert (status["张建国"], status["李秀英"], status["张伟"], status["张德福"]) == (
        "normal",
        "arrears",
        "interrupted",
        "normal",
    )
    assert StatusChange.objects.filter(person__name="李秀英").count() == 1
    assert ArrearsCase.objects.exclude(status="closed").get().employer.name == "北京康宁商贸有限公司"
    # and the demo person printed as not yet registered can start a registration with what is printed
    [line] = [line for line in out.splitlines() if "登记手机" in line][:1]
    _name, _, number, _, card, _, phone = line.split()
    started = APIClient().post(
        "/api/v1/auth/register/",
        {
            "id_number": number,
            "name": _name,
            "card_number": card,
            "phone": phone,
            "password": "Demo-Resident-77",
        },
        format="json",
    )
    assert started.status_code == 202, started.content


@pytest.mark.django_db(transaction=True)
def test_seed_demo_refuses_under_production_settings_and_creates_nothing() -> None:
    """Issue 15: the demo logins share a published authenticator key, so the command must not run
    under portal.settings.production. Run as an operator would: manage.py in a fresh process with
    production settings, pointed at this test's database."""
    from django.db import connection

    from portal.tests.test_deploy import manage, production_env

    db = connection.settings_dict
    url = f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    # when an operator runs seed_demo with production settings and a staff password
    result = manage(production_env(DATABASE_URL=url, STAFF_PASSWORD="Demo-Staff-2026"), "seed_demo")
    # then it exits non-zero with its code and a Chinese message, and nothing was written
    assert result.returncode != 0, result.stdout
    assert "demo_refused_in_production" in result.stderr and "生产环境不能写入演示数据" in result.stderr
    assert not Person.objects.exists()
    assert not User.objects.exists()


def test_seed_demo_under_settings_without_demo_data_is_refused_in_process(settings, monkeypatch) -> None:
    from django.core.management.base import CommandError

    settings.DEMO_DATA_ALLOWED = False
    monkeypatch.setenv("STAFF_PASSWORD", "Demo-Staff-2026")
    with pytest.raises(CommandError, match="demo_refused_in_production"):
        call_command("seed_demo")

"""The first run's demo data: reference data, then `seed_demo`, twice."""

import pytest
from django.core.management import call_command

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

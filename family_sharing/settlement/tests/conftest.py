import pytest

from accounts.tests.factories import AccountFactory, InstitutionFactory, PersonFactory, StaffFactory
from family_sharing.tests.conftest import relation_codes  # noqa: F401 (autouse: GB/T 4761 codes)
from family_sharing.tests.factories import BindingFactory


@pytest.fixture
def hospital(db):
    return InstitutionFactory(name="北京市第一人民医院", kind="hospital")


@pytest.fixture
def hospital_staff(hospital):
    return StaffFactory(role="hospital", institution=hospital, region=None, is_staff=False)


@pytest.fixture
def pharmacy_staff(db):
    pharmacy = InstitutionFactory(code="P00000001", name="惠民大药房", kind="pharmacy")
    return StaffFactory(role="pharmacy", institution=pharmacy, region=None, is_staff=False)


@pytest.fixture
def family(db):
    """A son with 1,000.00 yuan in his personal account, paying for his father through an active
    binding."""
    son = PersonFactory(name="赵志刚")
    AccountFactory(person=son, balance_fen=100_000)
    father = PersonFactory(name="赵文华", insurance_type="resident")
    binding = BindingFactory(sharer=son, beneficiary=father, relation_code_id="51", status="active")
    return son, father, binding


def body(son, father, amount_fen=12_345, category="medical_self_pay", description="门诊自付：感冒"):
    return {
        "sharer_card_number": son.card_number,
        "beneficiary_card_number": father.card_number,
        "category": category,
        "amount_fen": amount_fen,
        "description": description,
    }

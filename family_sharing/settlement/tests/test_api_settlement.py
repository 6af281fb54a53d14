"""POST /api/v1/settlements/ and /reverse/ (API.md section 3): exactly right under retries, with a
specific code for every bad input, and nothing changed by a refusal."""

import pytest

from accounts.models import AccountEntry, Message, PersonalAccount
from accounts.tests.factories import InstitutionFactory, PersonFactory, StaffFactory
from family_sharing.settlement.models import Reversal, Settlement
from family_sharing.settlement.tests.conftest import body
from portal.core.notify import MemorySmsSender

pytestmark = pytest.mark.django_db(transaction=False)

URL = "/api/v1/settlements/"


def settle(api, payload, key="k-1"):
    headers = {} if key is None else {"HTTP_IDEMPOTENCY_KEY": key}
    return api.post(URL, payload, format="json", **headers)


def balance(person):
    return PersonalAccount.objects.get(person=person).balance_fen


def nothing_written(son, before=100_000):
    return balance(son) == before and not Settlement.objects.exists() and AccountEntry.objects.count() == 1


@pytest.fixture(autouse=True)
def _outbox():
    MemorySmsSender.outbox.clear()


def test_a_hospital_settles_a_relatives_cost_from_the_sharers_account(api, family, hospital_staff, hospital):
    # given a son paying for his father, and the hospital's office
    son, father, binding = family
    api.force_authenticate(hospital_staff)
    # when the office settles 123.45 yuan of the father's self-paid cost
    with pytest.MonkeyPatch.context():
        response = settle(api, body(son, father))
    # then the son's account paid it, once, and he is told where and how much
    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["status"] == "settled"
    assert data["amount_fen"] == 12_345
    assert data["sharer_balance_after_fen"] == 100_000 - 12_345
    assert data["binding_id"] == str(binding.pk)
    assert data["institution_code"] == hospital.code
    assert balance(son) == 87_655
    entry = AccountEntry.objects.get(kind="family_settlement")
    assert (entry.amount_fen, entry.balance_after_fen) == (-12_345, 87_655)
    assert entry.beneficiary == father and entry.institution == hospital
    message = Message.objects.get(person=son)
    assert "123.45" in message.body and hospital.name in message.body
    assert "感冒" not in message.body  # never the description (a diagnosis)


def test_the_sharer_gets_an_sms_after_commit(api, family, hospital_staff, django_capture_on_commit_callbacks):
    son, father, _ = family
    api.force_authenticate(hospital_staff)
    with django_capture_on_commit_callbacks(execute=True):
        assert settle(api, body(son, father)).status_code == 201
    assert [phone for phone, _ in MemorySmsSender.outbox] == [son.phone]
    assert "感冒" not in MemorySmsSender.outbox[0][1]


def test_a_retry_with_the_same_key_returns_the_first_result_and_debits_once(api, family, hospital_staff):
    son, father, _ = family
    api.force_authenticate(hospital_staff)
    first = settle(api, body(son, father))
    again = settle(api, {**body(son, father), "sharer_card_number": son.card_number.lower()})
    assert first.status_code == 201
    assert again.status_code == 200
    assert again.json() == first.json()
    assert balance(son) == 87_655
    assert Settlement.objects.count() == 1


def test_the_same_key_with_another_body_is_refused(api, family, hospital_staff):
    son, father, _ = family
    api.force_authenticate(hospital_staff)
    settle(api, body(son, father))
    response = settle(api, body(son, father, amount_fen=1))
    assert response.status_code == 409
    assert response.json()["error"] == "idempotency_key_reused"
    assert balance(son) == 87_655


def test_keys_are_per_counter_so_two_hospitals_may_use_the_same_key(api, family, hospital_staff):
    son, father, _ = family
    other = StaffFactory(role="hospital", institution=InstitutionFactory(), region=None, is_staff=False)
    api.force_authenticate(hospital_staff)
    assert settle(api, body(son, father, amount_fen=100)).status_code == 201
    api.force_authenticate(other)
    assert settle(api, body(son, father, amount_fen=200)).status_code == 201
    assert balance(son) == 100_000 - 300


@pytest.mark.parametrize(
    ("amount", "code"),
    [
        (0, "amount_not_positive"),
        (-100, "amount_not_positive"),
        (12.5, "amount_not_integer"),
        ("100", "amount_not_integer"),
        (True, "amount_not_integer"),
        (None, "amount_not_integer"),
        (10**12, "amount_too_large"),
        (2**70, "amount_too_large"),
    ],
)
def test_bad_amounts_are_400_with_their_code_and_change_nothing(api, family, hospital_staff, amount, code):
    son, father, _ = family
    api.force_authenticate(hospital_staff)
    response = settle(api, body(son, father, amount_fen=amount))
    assert response.status_code == 400
    assert response.json()["error"] == code
    assert nothing_written(son)


@pytest.mark.parametrize(
    ("key", "code"), [(None, "idempotency_key_missing"), ("k" * 65, "idempotency_key_invalid")]
)
def test_a_missing_or_too_long_idempotency_key_is_400(api, family, hospital_staff, key, code):
    son, father, _ = family
    api.force_authenticate(hospital_staff)
    response = settle(api, body(son, father), key=key)
    assert response.status_code == 400
    assert response.json()["error"] == code
    assert nothing_written(son)


def test_a_64_character_key_is_accepted(api, family, hospital_staff):
    son, father, _ = family
    api.force_authenticate(hospital_staff)
    assert settle(api, body(son, father), key="k" * 64).status_code == 201


def test_an_unknown_card_is_404(api, family, hospital_staff):
    son, father, _ = family
    api.force_authenticate(hospital_staff)
    response = settle(api, {**body(son, father), "beneficiary_card_number": "Z99999999"})
    assert response.status_code == 404
    assert response.json()["details"][0] == {
        "code": "card_not_found",
        "message": "未找到该社会保障卡",
        "field": "beneficiary_card_number",
    }
    assert nothing_written(son)


def test_a_card_holder_without_an_active_binding_is_refused(api, family, hospital_staff):
    son, _, _ = family
    stranger = PersonFactory(insurance_type="resident")
    api.force_authenticate(hospital_staff)
    response = settle(api, body(son, stranger))
    assert response.status_code == 422
    assert response.json()["error"] == "binding_not_active"
    assert nothing_written(son)


@pytest.mark.parametrize("status", ["suspended", "revoked", "pending_consent"])
def test_a_binding_that_is_not_active_does_not_pay(api, family, hospital_staff, status):
    son, father, binding = family
    binding.status = status
    binding.save()
    api.force_authenticate(hospital_staff)
    response = settle(api, body(son, father))
    assert response.status_code == 422
    assert response.json()["error"] == "binding_not_active"
    assert nothing_written(son)


@pytest.mark.parametrize("status", ["arrears", "interrupted", "terminated"])
def test_a_sharer_in_arrears_interrupted_or_terminated_does_not_pay(api, family, hospital_staff, status):
    son, father, _ = family
    son.status = status
    son.save()
    api.force_authenticate(hospital_staff)
    response = settle(api, body(son, father))
    assert response.status_code == 422
    assert response.json()["error"] == "sharer_not_normal"
    assert nothing_written(son)


def test_more_than_the_balance_is_refused(api, family, hospital_staff):
    son, father, _ = family
    api.force_authenticate(hospital_staff)
    response = settle(api, body(son, father, amount_fen=100_001))
    assert response.status_code == 422
    assert response.json()["error"] == "insufficient_balance"
    assert nothing_written(son)


def test_the_whole_balance_may_be_spent(api, family, hospital_staff):
    son, father, _ = family
    api.force_authenticate(hospital_staff)
    assert settle(api, body(son, father, amount_fen=100_000)).json()["sharer_balance_after_fen"] == 0


def test_the_sharers_monthly_cap_is_kept(api, family, hospital_staff):
    # given a cap of 200.00 yuan a month for the father
    son, father, binding = family
    binding.monthly_limit_fen = 20_000
    binding.save()
    api.force_authenticate(hospital_staff)
    # when 150 then 60 yuan are settled
    assert settle(api, body(son, father, amount_fen=15_000), key="a").status_code == 201
    response = settle(api, body(son, father, amount_fen=6_000), key="b")
    # then the second passes the cap and is refused; exactly the rest still fits
    assert response.status_code == 422
    assert response.json()["error"] == "binding_limit_exceeded"
    assert balance(son) == 85_000
    assert settle(api, body(son, father, amount_fen=5_000), key="c").status_code == 201


def test_a_reversed_settlement_no_longer_counts_against_the_cap(api, family, hospital_staff):
    son, father, binding = family
    binding.monthly_limit_fen = 20_000
    binding.save()
    api.force_authenticate(hospital_staff)
    first = settle(api, body(son, father, amount_fen=20_000), key="a").json()
    api.post(f"{URL}{first['id']}/reverse/", {"reason": "收费错误"}, format="json")
    assert settle(api, body(son, father, amount_fen=20_000), key="b").status_code == 201


@pytest.mark.parametrize(
    ("staff_role", "category"),
    [("hospital", "pharmacy"), ("hospital", "resident_contribution"), ("pharmacy", "medical_self_pay")],
)
def test_a_counter_may_settle_only_its_own_category(
    api, family, staff_role, category, hospital_staff, pharmacy_staff
):
    son, father, _ = family
    api.force_authenticate(hospital_staff if staff_role == "hospital" else pharmacy_staff)
    response = settle(api, body(son, father, category=category))
    assert response.status_code == 422
    assert response.json()["error"] == "category_not_allowed"
    assert nothing_written(son)


def test_a_pharmacy_settles_medicines_and_a_bureau_window_the_resident_contribution(
    api, family, pharmacy_staff
):
    son, father, _ = family
    api.force_authenticate(pharmacy_staff)
    assert settle(api, body(son, father, category="pharmacy"), key="p").status_code == 201
    api.force_authenticate(StaffFactory(role="bureau"))
    response = settle(api, body(son, father, category="resident_contribution"), key="b")
    assert response.status_code == 201, response.json()
    assert response.json()["institution_code"] is None


def test_every_reason_that_applies_is_listed(api, family, hospital_staff):
    son, father, _ = family
    son.status = "arrears"
    son.save()
    api.force_authenticate(hospital_staff)
    response = settle(api, body(son, father, category="pharmacy", amount_fen=100_001))
    assert response.status_code == 422
    assert response.json()["error"] == "refused"
    assert {d["code"] for d in response.json()["details"]} == {
        "sharer_not_normal",
        "category_not_allowed",
        "insufficient_balance",
    }


def test_residents_may_not_settle(api, family):
    from accounts.tests.factories import ResidentFactory

    son, father, _ = family
    api.force_authenticate(ResidentFactory(person=son))
    assert settle(api, body(son, father)).status_code == 403


# --- reversal ---------------------------------------------------------------------------------


def test_a_reversal_credits_the_settlement_back_once(api, family, hospital_staff):
    son, father, _ = family
    api.force_authenticate(hospital_staff)
    settled = settle(api, body(son, father)).json()
    url = f"{URL}{settled['id']}/reverse/"
    response = api.post(url, {"reason": "患者退费"}, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["amount_fen"] == 12_345
    assert response.json()["sharer_balance_after_fen"] == 100_000
    assert response.json()["settlement_id"] == settled["id"]
    assert balance(son) == 100_000
    reversal = Reversal.objects.get()
    assert (reversal.reason, reversal.staff) == ("患者退费", hospital_staff)
    assert Message.objects.filter(person=son, subject="家庭共济支付已冲正").exists()
    # and again
    again = api.post(url, {"reason": "患者退费"}, format="json")
    assert again.status_code == 409
    assert again.json()["error"] == "already_reversed"
    assert balance(son) == 100_000


def test_another_institution_cannot_reverse_or_even_see_a_settlement(api, family, hospital_staff):
    son, father, _ = family
    api.force_authenticate(hospital_staff)
    settled = settle(api, body(son, father)).json()
    api.force_authenticate(StaffFactory(role="hospital", institution=InstitutionFactory(), region=None))
    response = api.post(f"{URL}{settled['id']}/reverse/", {"reason": "x"}, format="json")
    assert response.status_code == 404
    assert not Reversal.objects.exists()
    assert api.post(f"{URL}not-a-uuid/reverse/", {"reason": "x"}, format="json").status_code == 404


def test_a_reversal_needs_a_reason(api, family, hospital_staff):
    son, father, _ = family
    api.force_authenticate(hospital_staff)
    settled = settle(api, body(son, father)).json()
    response = api.post(f"{URL}{settled['id']}/reverse/", {"reason": "  "}, format="json")
    assert response.status_code == 400
    assert response.json()["error"] == "reversal_reason_required"
    assert not Reversal.objects.exists()


# --- what the one SQL function writes for the service (decision record 0012) ---------------------


def test_the_message_names_the_beneficiary_only_masked_as_everywhere_else(
    api, family, hospital_staff, hospital
):
    from django.utils import timezone

    from portal.core.masking import mask_name

    # given a father with a three-character name
    son, father, _ = family
    father.name = "欧阳娜"
    father.save()
    api.force_authenticate(hospital_staff)
    # when his son's account pays for him
    data = settle(api, body(son, father)).json()
    # then the in-app message is the documented text, the name masked by the portal's own mask
    at = timezone.localtime(Settlement.objects.get(pk=data["id"]).created_at)
    assert Message.objects.get(person=son).body == (
        f"您的个人账户于{at:%Y年%m月%d日 %H:%M}在{hospital.name}为亲属{mask_name('欧阳娜')}共济支付123.45元。"
    )
    assert "欧阳娜" not in Message.objects.get(person=son).body


def test_a_bureau_window_is_named_as_such_in_the_message(api, family):
    son, father, _ = family
    bureau = StaffFactory(role="bureau", region=son.region)
    api.force_authenticate(bureau)
    assert settle(api, body(son, father, category="resident_contribution")).status_code == 201
    assert "在医保经办机构为亲属" in Message.objects.get(person=son).body


def test_the_written_out_response_is_the_serializers(api, family, hospital_staff):
    from family_sharing.settlement.serializers import SettlementSerializer, settlement_data
    from family_sharing.settlement.services import SettlementResult

    son, father, _ = family
    api.force_authenticate(hospital_staff)
    data = settle(api, body(son, father)).json()
    stored = Settlement.objects.select_related("entry").get(pk=data["id"])
    for code in ("H001", None):
        result = SettlementResult(
            id=stored.id,
            amount_fen=stored.amount_fen,
            sharer_balance_after_fen=stored.entry.balance_after_fen,
            binding_id=stored.binding_id,
            institution_code=code,
            created_at=stored.created_at,
        )
        assert settlement_data(result) == SettlementSerializer(result).data

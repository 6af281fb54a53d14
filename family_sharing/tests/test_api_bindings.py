"""The life of a binding through the resident API (API.md section 2, DESIGN.md section 6):
request, consent, verification, revoke, leave, monthly cap, evidence, and who may see what."""

import datetime as dt
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.models import Message
from accounts.tests.factories import PersonFactory, ResidentFactory, StaffFactory, make_id_number
from family_sharing.models import Binding, BindingEvent, Evidence, KinshipEdge
from family_sharing.tests.factories import BindingFactory, parent_edge, person, sharer, spouse_edge
from family_sharing.verification import bindings_verify
from portal.core.time import today

pytestmark = pytest.mark.django_db

CHECK, BINDINGS = "/api/v1/bindings/check/", "/api/v1/bindings/"
OFFSET_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?\+08:00$")
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
)
ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 8 + b"\x02\x00\x3e\x00" + b"\x00" * 100


def body(beneficiary, code, **extra):
    return {
        "beneficiary_id_number": beneficiary.id_number,
        "beneficiary_name": beneficiary.name,
        "relation_code": code,
        **extra,
    }


def codes(reasons):
    return [r["code"] for r in reasons]


def url(binding_id, action=""):
    return f"{BINDINGS}{binding_id}/{action + '/' if action else ''}"


def as_user(api, person_):
    """Signs `person_` in (creating their login once) and returns the client."""
    user = getattr(person_, "_login", None) or ResidentFactory(person=person_)
    person_._login = user
    api.force_authenticate(user)
    return api


@pytest.fixture
def couple(near_relatives_policy):
    """A husband (the sharer, employee with an account) and his wife, married in the registry."""
    husband = sharer(birth=dt.date(1980, 5, 1))
    wife = person(1982, male=False)
    spouse_edge(husband, wife)
    return husband, wife


def request_binding(api, sharer_, beneficiary, code):
    response = as_user(api, sharer_).post(BINDINGS, body(beneficiary, code), format="json")
    assert response.status_code == 201, response.json()
    return response.json()


def active_binding(api, sharer_, beneficiary, code):
    created = request_binding(api, sharer_, beneficiary, code)
    assert (
        as_user(api, beneficiary)
        .post(url(created["id"], "consent"), {"accept": True}, format="json")
        .status_code
        == 200
    )
    bindings_verify()
    return Binding.objects.get(pk=created["id"])


def test_a_binding_is_requested_consented_verified_and_then_active_for_both(api, couple):
    # given a married couple
    husband, wife = couple
    # when the husband asks to pay for his wife
    created = request_binding(api, husband, wife, "12")
    # then it waits for her consent, and she is told
    assert created["status"] == "pending_consent"
    assert created["channel"] == "web"
    assert created["relation_code"] == "12"
    assert created["relation_name"] == "妻"
    assert created["sharer"] == {
        "name_masked": husband.name_masked,
        "id_number_masked": husband.id_number_masked,
    }
    assert created["beneficiary"]["id_number_masked"] == wife.id_number_masked
    assert created["monthly_limit_fen"] is None
    assert OFFSET_TIME.match(created["created_at"])
    assert created["activated_at"] is None and created["ended_at"] is None
    assert Message.objects.filter(person=wife, subject="家庭共济绑定申请").exists()
    # when she consents
    consented = as_user(api, wife).post(url(created["id"], "consent"), {"accept": True}, format="json")
    # then it waits for the registry check
    assert consented.status_code == 200
    assert consented.json()["status"] == "pending_verification"
    # when the verification pass runs
    result = bindings_verify()
    # then it is active, and both see it active in their lists
    assert result.activated == 1
    for who, role in ((husband, "sharer"), (wife, "beneficiary")):
        listed = as_user(api, who).get(BINDINGS).json()
        assert listed["count"] == 1
        assert listed["results"][0]["status"] == "active"
        assert OFFSET_TIME.match(listed["results"][0]["activated_at"])
        assert codes(listed["results"][0]["reasons"]) == ["registry_verified"]
        assert listed["results"][0]["reasons"][0]["message"] == "已通过户籍登记核验"
        assert as_user(api, who).get(BINDINGS, {"role": role}).json()["count"] == 1
    assert as_user(api, wife).get(BINDINGS, {"role": "sharer"}).json()["count"] == 0
    assert list(Binding.objects.get().events.values_list("to_status", flat=True)) == [
        "pending_consent",
        "pending_verification",
        "active",
    ]


def test_a_declined_binding_is_rejected_with_beneficiary_declined(api, couple):
    # given a pending request
    husband, wife = couple
    created = request_binding(api, husband, wife, "12")
    # when the wife declines
    response = as_user(api, wife).post(url(created["id"], "consent"), {"accept": False}, format="json")
    # then
    assert response.status_code == 200
    assert response.json()["status"] == "rejected"
    assert codes(response.json()["reasons"]) == ["beneficiary_declined"]
    assert OFFSET_TIME.match(response.json()["ended_at"])
    assert Message.objects.filter(person=husband, subject="家庭共济绑定未获同意").exists()


def test_consent_needs_accept(api, couple):
    husband, wife = couple
    created = request_binding(api, husband, wife, "12")
    response = as_user(api, wife).post(url(created["id"], "consent"), {}, format="json")
    assert response.status_code == 400
    assert response.json()["details"][0]["field"] == "accept"
    assert Binding.objects.get().status == "pending_consent"


def test_a_parent_binding_a_child_under_16_consents_as_guardian(api, near_relatives_policy):
    # given a registry father and his ten-year-old son
    father = sharer(birth=dt.date(1980, 5, 1))
    son = person(today().year - 10)
    parent_edge(father, son)
    # when the father asks to pay for the son
    created = request_binding(api, father, son, "20")
    # then no consent is awaited: it goes straight to verification, then active
    assert created["status"] == "pending_verification"
    assert Binding.objects.get().guardian_consent is True
    bindings_verify()
    assert as_user(api, father).get(url(created["id"])).json()["status"] == "active"


def test_a_sharer_may_not_consent_to_their_own_request(api, couple):
    # given a pending request
    husband, wife = couple
    created = request_binding(api, husband, wife, "12")
    # when the sharer tries to consent for his wife
    response = as_user(api, husband).post(url(created["id"], "consent"), {"accept": True}, format="json")
    # then it is forbidden and nothing changes
    assert response.status_code == 403
    assert response.json()["error"] == "consent_not_allowed"
    assert Binding.objects.get().status == "pending_consent"
    assert BindingEvent.objects.count() == 1


def test_a_parent_sharer_never_consents_to_his_own_request_even_as_guardian(api, near_relatives_policy):
    # given a father who asked for his son under 16 before the registry knew them (so it awaits
    # consent), and the registry that now records both parents
    father, mother = sharer(birth=dt.date(1980, 5, 1)), person(1982, male=False)
    son = person(today().year - 10)
    created = request_binding(api, father, son, "20")
    assert created["status"] == "pending_consent"
    parent_edge(father, son)
    parent_edge(mother, son)
    # when the father consents as "guardian"
    response = as_user(api, father).post(url(created["id"], "consent"), {"accept": True}, format="json")
    # then he may not; the other parent may
    assert (response.status_code, response.json()["error"]) == (403, "consent_not_allowed")
    assert Binding.objects.get().status == "pending_consent"
    consented = as_user(api, mother).post(url(created["id"], "consent"), {"accept": True}, format="json")
    assert consented.json()["status"] == "pending_verification"


def test_consent_twice_is_an_invalid_transition(api, couple):
    husband, wife = couple
    created = request_binding(api, husband, wife, "12")
    as_user(api, wife).post(url(created["id"], "consent"), {"accept": True}, format="json")
    again = api.post(url(created["id"], "consent"), {"accept": False}, format="json")
    assert (again.status_code, again.json()["error"]) == (409, "invalid_transition")
    assert Binding.objects.get().status == "pending_verification"


def test_the_sharer_revokes_and_revoking_again_is_an_invalid_transition(api, couple):
    # given an active binding
    husband, wife = couple
    binding = active_binding(api, husband, wife, "12")
    # when the sharer revokes it
    response = as_user(api, husband).post(url(binding.pk, "revoke"))
    # then it is revoked at once, and the beneficiary is told
    assert response.status_code == 200
    assert response.json()["status"] == "revoked"
    assert codes(response.json()["reasons"]) == ["revoked_by_sharer"]
    assert response.json()["ended_at"] is not None
    assert Message.objects.filter(person=wife, subject="家庭共济绑定已解除").exists()
    # when he revokes it again
    again = api.post(url(binding.pk, "revoke"))
    # then
    assert again.status_code == 409
    assert again.json()["error"] == "invalid_transition"


def test_only_the_sharer_may_revoke(api, couple):
    husband, wife = couple
    binding = active_binding(api, husband, wife, "12")
    response = as_user(api, wife).post(url(binding.pk, "revoke"))
    assert (response.status_code, response.json()["error"]) == (403, "permission_denied")
    binding.refresh_from_db()
    assert binding.status == "active"


def test_the_beneficiary_leaves_a_binding(api, couple):
    # given an active binding
    husband, wife = couple
    binding = active_binding(api, husband, wife, "12")
    # when the wife leaves it
    response = as_user(api, wife).post(url(binding.pk, "leave"))
    # then
    assert response.status_code == 200
    assert response.json()["status"] == "revoked"
    assert codes(response.json()["reasons"]) == ["beneficiary_left"]
    assert response.json()["reasons"][0]["message"] == "被共济人已退出共济"
    assert Message.objects.filter(person=husband, subject="家庭共济绑定已解除").exists()
    # and leaving twice is an invalid transition
    assert api.post(url(binding.pk, "leave")).json()["error"] == "invalid_transition"


def test_only_the_beneficiary_may_leave(api, couple):
    husband, wife = couple
    binding = active_binding(api, husband, wife, "12")
    response = as_user(api, husband).post(url(binding.pk, "leave"))
    assert (response.status_code, response.json()["error"]) == (403, "permission_denied")


def test_the_sharer_sets_and_clears_a_monthly_limit(api, couple):
    # given an active binding
    husband, wife = couple
    binding = active_binding(api, husband, wife, "12")
    as_user(api, husband)
    # when the sharer caps it at 500 yuan a month
    capped = api.patch(url(binding.pk), {"monthly_limit_fen": 50_000}, format="json")
    # then
    assert capped.status_code == 200
    assert capped.json()["monthly_limit_fen"] == 50_000
    binding.refresh_from_db()
    assert binding.monthly_limit_fen == 50_000
    # when he clears it
    cleared = api.patch(url(binding.pk), {"monthly_limit_fen": None}, format="json")
    # then
    assert cleared.status_code == 200
    assert cleared.json()["monthly_limit_fen"] is None
    assert (
        api.patch(url(binding.pk), {"monthly_limit_fen": 0}, format="json").json()["monthly_limit_fen"] == 0
    )


@pytest.mark.parametrize("value", [-1, "abc", "100", 12.5, True, 2**70])
def test_a_monthly_limit_must_be_a_non_negative_integer(api, couple, value):
    # given an active binding with a cap
    husband, wife = couple
    binding = active_binding(api, husband, wife, "12")
    Binding.objects.filter(pk=binding.pk).update(monthly_limit_fen=100)
    # when the sharer sends something that is not a non-negative integer
    response = as_user(api, husband).patch(url(binding.pk), {"monthly_limit_fen": value}, format="json")
    # then it is refused and the cap is unchanged
    assert response.status_code == 400
    assert response.json()["error"] == "limit_invalid"
    assert [(d["code"], d["field"]) for d in response.json()["details"]] == [
        ("limit_invalid", "monthly_limit_fen")
    ]
    binding.refresh_from_db()
    assert binding.monthly_limit_fen == 100


def test_only_the_sharer_may_set_a_monthly_limit(api, couple):
    husband, wife = couple
    binding = active_binding(api, husband, wife, "12")
    response = as_user(api, wife).patch(url(binding.pk), {"monthly_limit_fen": 1}, format="json")
    assert response.status_code == 403
    binding.refresh_from_db()
    assert binding.monthly_limit_fen is None


@pytest.fixture
def unverified(api, near_relatives_policy):
    """A binding the registry cannot confirm, consented and verified: it needs evidence."""
    me, claimed_father = sharer(birth=dt.date(1980, 5, 1)), person(1950)
    created = request_binding(api, me, claimed_father, "51")
    as_user(api, claimed_father).post(url(created["id"], "consent"), {"accept": True}, format="json")
    assert bindings_verify().needs_evidence == 1
    binding = Binding.objects.get()
    assert binding.status == "needs_evidence"
    as_user(api, me)
    return binding


@pytest.mark.parametrize(
    ("name", "content", "content_type"),
    [("户口本.pdf", PDF, "application/pdf"), ("scan.png", PNG, "image/png")],
)
def test_evidence_is_accepted_by_its_content(api, unverified, name, content, content_type):
    # when the sharer uploads a document
    response = api.post(
        url(unverified.pk, "evidence"), {"file": SimpleUploadedFile(name, content)}, format="multipart"
    )
    # then it is stored for review
    assert response.status_code == 201, response.json()
    assert response.json()["content_type"] == content_type
    assert response.json()["size"] == len(content)
    assert response.json()["review"] == "pending"
    assert Evidence.objects.get().binding == unverified


def test_an_executable_renamed_pdf_is_refused(api, unverified):
    # when the sharer uploads an ELF binary named x.pdf
    upload = SimpleUploadedFile("x.pdf", ELF, content_type="application/pdf")
    response = api.post(url(unverified.pk, "evidence"), {"file": upload}, format="multipart")
    # then it is refused by its content and nothing is stored
    assert response.status_code == 400
    assert response.json()["error"] == "evidence_type"
    assert response.json()["details"][0]["field"] == "file"
    assert Evidence.objects.count() == 0


def test_evidence_over_5_mb_is_refused(api, unverified):
    upload = SimpleUploadedFile("big.pdf", PDF + b"0" * (5 * 1024 * 1024))
    response = api.post(url(unverified.pk, "evidence"), {"file": upload}, format="multipart")
    assert (response.status_code, response.json()["error"]) == (400, "evidence_too_large")
    assert Evidence.objects.count() == 0


def test_evidence_is_refused_when_the_binding_does_not_need_it(api, couple):
    husband, wife = couple
    binding = active_binding(api, husband, wife, "12")
    response = as_user(api, husband).post(
        url(binding.pk, "evidence"), {"file": SimpleUploadedFile("a.pdf", PDF)}, format="multipart"
    )
    assert (response.status_code, response.json()["error"]) == (409, "evidence_not_needed")
    assert Evidence.objects.count() == 0


def test_evidence_needs_a_file(api, unverified):
    response = api.post(url(unverified.pk, "evidence"), {}, format="multipart")
    assert response.status_code == 400
    assert response.json()["details"][0]["field"] == "file"


def test_a_second_request_while_one_is_pending_is_a_duplicate(api, couple):
    # given a pending request
    husband, wife = couple
    request_binding(api, husband, wife, "12")
    # when the sharer asks again
    again = as_user(api, husband).post(BINDINGS, body(wife, "12"), format="json")
    # then it conflicts, and there is still one binding
    assert again.status_code == 409
    assert again.json()["error"] == "duplicate_binding"
    assert codes(again.json()["details"]) == ["duplicate_binding"]
    assert Binding.objects.count() == 1


def test_a_second_request_for_an_unverified_relative_is_also_a_duplicate(api, near_relatives_policy):
    # given a pending request the registry is silent about
    me, claimed_father = sharer(birth=dt.date(1980, 5, 1)), person(1950)
    request_binding(api, me, claimed_father, "51")
    # when the sharer asks again
    again = as_user(api, me).post(BINDINGS, body(claimed_father, "51"), format="json")
    # then it is the same conflict (relation_unverified does not block)
    assert (again.status_code, again.json()["error"]) == (409, "duplicate_binding")
    assert Binding.objects.count() == 1


def test_after_a_revoke_the_pair_may_bind_again(api, couple):
    husband, wife = couple
    binding = active_binding(api, husband, wife, "12")
    as_user(api, husband).post(url(binding.pk, "revoke"))
    assert api.post(BINDINGS, body(wife, "12"), format="json").status_code == 201
    assert Binding.objects.count() == 2


def test_a_wrong_name_is_answered_exactly_like_an_unknown_number(api, couple):
    # given a sharer, his wife's number with another name, and a number nobody has
    husband, wife = couple
    as_user(api, husband)
    unknown = make_id_number(birth=dt.date(1982, 5, 1), male=False)
    # when
    wrong_name = api.post(CHECK, {**body(wife, "12"), "beneficiary_name": "李四"}, format="json")
    no_one = api.post(CHECK, {**body(wife, "12"), "beneficiary_id_number": unknown}, format="json")
    refused_name = api.post(BINDINGS, {**body(wife, "12"), "beneficiary_name": "李四"}, format="json")
    refused_number = api.post(BINDINGS, {**body(wife, "12"), "beneficiary_id_number": unknown}, format="json")
    # then the two answers cannot be told apart
    assert wrong_name.status_code == no_one.status_code == 200
    assert wrong_name.json() == no_one.json()
    assert codes(wrong_name.json()["reasons"]) == ["beneficiary_not_found"]
    assert refused_name.status_code == refused_number.status_code == 422
    assert refused_name.json() == refused_number.json()
    assert refused_name.json()["error"] == "beneficiary_not_found"
    assert Binding.objects.count() == 0


def test_an_identity_number_is_accepted_with_a_lower_case_x_and_spaces(api, near_relatives_policy):
    # given a wife whose identity number ends in X
    me = sharer(birth=dt.date(1980, 5, 1))
    number = make_id_number(birth=dt.date(1982, 5, 1), male=False)
    while not number.endswith("X"):
        number = make_id_number(birth=dt.date(1982, 5, 1), male=False)
    wife = person(1982, male=False, id_number=number)
    spouse_edge(me, wife)
    # when the sharer types it in lower case with spaces
    response = as_user(api, me).post(
        CHECK, {**body(wife, "12"), "beneficiary_id_number": f"  {wife.id_number.lower()} "}, format="json"
    )
    # then she is found
    assert response.json()["eligible"] is True


def test_after_ten_failed_look_ups_the_eleventh_is_throttled(api, couple):
    # given a sharer who has looked up ten people who do not exist
    husband, _ = couple
    as_user(api, husband)
    for i in range(10):
        unknown = make_id_number(birth=dt.date(1960 + i, 1, 1))
        assert (
            api.post(
                CHECK, {**body(husband, "51"), "beneficiary_id_number": unknown}, format="json"
            ).status_code
            == 200
        )
    # when he looks up an eleventh (or asks to bind)
    checked = api.post(
        CHECK, {**body(husband, "51"), "beneficiary_id_number": make_id_number()}, format="json"
    )
    created = api.post(BINDINGS, body(husband, "51"), format="json")
    # then both are throttled, with Retry-After
    for response in (checked, created):
        assert response.status_code == 429
        assert response.json()["error"] == "lookup_throttled"
        assert int(response["Retry-After"]) > 0
    assert Binding.objects.count() == 0


def test_as_of_must_be_a_date(api, couple):
    husband, wife = couple
    response = as_user(api, husband).post(CHECK, body(wife, "12", as_of="25/11/2026"), format="json")
    assert response.status_code == 400
    assert [(d["code"], d["field"]) for d in response.json()["details"]] == [("as_of_format", "as_of")]


def test_an_unknown_relation_code_is_invalid(api, couple):
    husband, wife = couple
    as_user(api, husband)
    for path in (CHECK, BINDINGS):
        response = api.post(path, body(wife, "13"), format="json")
        assert response.status_code == 400
        assert response.json()["error"] == "relation_code_unknown"
        assert response.json()["details"][0]["field"] == "relation_code"
    assert Binding.objects.count() == 0


def test_a_malformed_identity_number_is_named(api, couple):
    husband, wife = couple
    bad = wife.id_number[:-1] + ("0" if wife.id_number[-1] != "0" else "1")
    response = as_user(api, husband).post(
        CHECK, {**body(wife, "12"), "beneficiary_id_number": bad}, format="json"
    )
    assert response.status_code == 400
    assert [(d["code"], d["field"]) for d in response.json()["details"]] == [
        ("id_number_checksum", "beneficiary_id_number")
    ]


def test_the_check_is_read_only(api, couple):
    husband, wife = couple
    as_user(api, husband).post(CHECK, body(wife, "12"), format="json")
    assert Binding.objects.count() == 0
    assert BindingEvent.objects.count() == 0
    assert Message.objects.count() == 0


def test_the_api_needs_a_signed_in_resident(api, couple):
    husband, wife = couple
    assert api.post(CHECK, body(wife, "12"), format="json").status_code == 401
    assert api.get(BINDINGS).json()["error"] == "not_authenticated"
    api.force_authenticate(StaffFactory())
    response = api.post(CHECK, body(wife, "12"), format="json")
    assert (response.status_code, response.json()["error"]) == (403, "permission_denied")


# -- who may see what ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "action", "data"),
    [
        ("get", "", None),
        ("patch", "", {"monthly_limit_fen": 1}),
        ("post", "consent", {"accept": True}),
        ("post", "revoke", None),
        ("post", "leave", None),
        ("post", "evidence", "file"),
    ],
)
def test_someone_elses_binding_is_not_found(api, couple, method, action, data):
    # given a binding between a couple, and a third resident
    husband, wife = couple
    created = request_binding(api, husband, wife, "12")
    stranger = sharer()
    # when the stranger reaches for it
    as_user(api, stranger)
    kwargs = {"format": "json"}
    if data == "file":
        data, kwargs = {"file": SimpleUploadedFile("a.pdf", PDF)}, {"format": "multipart"}
    response = getattr(api, method)(url(created["id"], action), data, **kwargs)
    # then it does not exist for them, and nothing changed
    assert response.status_code == 404
    assert response.json() == {"error": "not_found", "message": "未找到", "details": []}
    binding = Binding.objects.get()
    assert (binding.status, binding.monthly_limit_fen) == ("pending_consent", None)
    assert Evidence.objects.count() == 0
    # and their list does not include it
    assert api.get(BINDINGS).json()["count"] == 0


def test_a_malformed_binding_id_is_not_found(api, couple):
    husband, _ = couple
    response = as_user(api, husband).get(url("not-a-uuid"))
    assert (response.status_code, response.json()["error"]) == (404, "not_found")


def test_a_third_party_who_is_not_the_beneficiary_cannot_consent(api, couple):
    # given a pending request, and the wife's brother who knows its id
    husband, wife = couple
    created = request_binding(api, husband, wife, "12")
    brother = person(1984)
    # when he tries to consent in her place
    response = as_user(api, brother).post(url(created["id"], "consent"), {"accept": True}, format="json")
    # then it is not found for him and nothing changes
    assert response.status_code == 404
    assert Binding.objects.get().status == "pending_consent"


# -- query counts ----------------------------------------------------------------------------------


def test_the_check_costs_a_small_constant_number_of_queries(api, family, django_assert_max_num_queries):
    as_user(api, family["me"])
    for who, code in (("wife", "12"), ("mat_gm", "64"), ("daughters_daughter", "44")):
        with django_assert_max_num_queries(7):
            response = api.post(CHECK, body(family[who], code), format="json")
        assert response.json()["eligible"] is True


@pytest.mark.parametrize("n", [1, 20])
def test_the_list_costs_the_same_queries_for_1_or_20_bindings(api, django_assert_max_num_queries, n):
    # given a sharer with n bindings
    me = sharer()
    BindingFactory.create_batch(n, sharer=me)
    as_user(api, me)
    # when / then
    with django_assert_max_num_queries(2):
        response = api.get(BINDINGS)
    assert response.json()["count"] == n


# -- the registry changes --------------------------------------------------------------------------


def test_an_active_spouse_binding_is_suspended_after_a_divorce(api, couple):
    # given an active binding between husband and wife
    husband, wife = couple
    binding = active_binding(api, husband, wife, "12")
    # when the registry records that the marriage ended yesterday and the pass runs
    KinshipEdge.objects.filter(kind="spouse").update(valid_to=today() - dt.timedelta(days=1))
    result = bindings_verify()
    # then the binding is suspended, and both see why
    assert result.suspended == 1
    for who in (husband, wife):
        seen = as_user(api, who).get(url(binding.pk)).json()
        assert seen["status"] == "suspended"
        assert codes(seen["reasons"]) == ["registry_edge_ended"]
    # and a second pass changes nothing
    assert bindings_verify().suspended == 0


def test_an_unknown_stored_reason_is_rendered_with_an_empty_message(api):
    me = sharer()
    binding = BindingFactory(sharer=me, reasons=["some_future_code"])
    response = as_user(api, me).get(url(binding.pk))
    assert response.json()["reasons"] == [{"code": "some_future_code", "message": ""}]


def test_the_guardian_of_a_minor_beneficiary_sees_the_binding(api, near_relatives_policy):
    # given a grandfather paying for his grandson under 16, whose father is in the registry
    grandfather = sharer(birth=dt.date(1950, 5, 1))
    dad = PersonFactory(birth=dt.date(1980, 5, 1))
    grandson = person(today().year - 8)
    parent_edge(grandfather, dad)
    parent_edge(dad, grandson)
    created = request_binding(api, grandfather, grandson, "41")
    # when the father looks
    seen = as_user(api, dad).get(url(created["id"]))
    # then he sees it and consents as guardian
    assert seen.status_code == 200
    consented = api.post(url(created["id"], "consent"), {"accept": True}, format="json")
    assert consented.json()["status"] == "pending_verification"
    assert Binding.objects.get().guardian_consent is True

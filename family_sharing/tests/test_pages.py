"""The 家庭共济 pages (/family/) and the counter's swipe-bind (/counter/bind/) through Django's test
client (API.md section 6): every action through the page, reasons shown with their codes."""

import re
import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_static.models import StaticDevice

from accounts.models import User
from accounts.tests.factories import InstitutionFactory, ResidentFactory, StaffFactory
from family_sharing.errors import SharingError
from family_sharing.forms import REASON_MSGIDS
from family_sharing.models import Binding, BindingStatus, Evidence
from family_sharing.services import binding_consent, binding_request
from family_sharing.tests.factories import parent_edge, person, sharer
from family_sharing.verification import bindings_verify
from family_sharing.views.bindings import STATUS_LABELS

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00\x90wS\xde"


# --- helpers ---------------------------------------------------------------------------------


def signed_in(client: Client, user: User) -> Client:
    """A session that passed the one-time code, as after the sign-in form (resident or staff)."""
    client.force_login(user)
    device = getattr(user, "totp", None) or StaticDevice.objects.get(user=user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


def field_error_codes(html: str, field_id: str) -> list[str]:
    """Reason codes shown in the error block beside one field (`<field id>_error`)."""
    block = re.search(rf'<div id="{field_id}_error">(.*?)</div>', html, re.S)
    return re.findall(r'class="field-error" data-code="([a-z_]+)"', block.group(1)) if block else []


def form_error_codes(html: str) -> list[str]:
    return re.findall(r'class="form-error" data-code="([a-z_]+)"', html)


def data_codes(html: str) -> list[str]:
    return re.findall(r'data-code="([a-z_]+)"', html)


CHINESE = re.compile(r"[^<>]*[\u3000-\u303f\u4e00-\u9fff\uff01-\uff5e][^<>]*")


def untranslated_chinese(html: str, *, data: tuple[str, ...] = ()) -> list[str]:
    """The Chinese text (characters or full-width punctuation) left on an English page: what is not
    a masked name (李**), not data the test names (an institution's name) and not an element marked
    lang="zh-Hans" (the language switch, or a text still waiting for its translation)."""
    for value in data:
        html = html.replace(value, "")
    html = re.sub(r'lang="zh-Hans"[^>]*>[^<]*', "", html)
    html = re.sub(r"[\u4e00-\u9fff]\*+", "", html)
    return [text.strip() for text in CHINESE.findall(html)]


@pytest.fixture
def family(near_relatives_policy):
    """A son with a personal account (the sharer) and his registry father, both registered."""
    son = sharer(name="李建国")
    father = person(1950, name="李大山")
    parent_edge(father, son)
    return ResidentFactory(person=son), ResidentFactory(person=father)


def bind(sharer_user: User, beneficiary, code: str = "51") -> Binding:
    return binding_request(
        actor=sharer_user,
        beneficiary_id_number=beneficiary.id_number,
        beneficiary_name=beneficiary.name,
        relation_code=code,
    )


def needs_evidence_binding(son_user: User) -> tuple[Binding, User]:
    """A wife the marriage registry does not know: consented, verified, waiting for evidence."""
    wife = ResidentFactory(person=person(1982, male=False, name="王丽"))
    binding = bind(son_user, wife.person, "12")
    binding_consent(actor=wife, binding=binding, accept=True)
    bindings_verify()
    binding.refresh_from_db()
    assert binding.status == BindingStatus.NEEDS_EVIDENCE
    return binding, wife


# --- the list --------------------------------------------------------------------------------


def test_list_shows_both_roles_with_masked_numbers_only(client, family):
    # given a son who shares with his father, and whose sister shares with him
    son, father = family
    sister = sharer(name="李秀兰", birth=son.person.birth_date.replace(year=1976), male=False)
    mother = person(1952, male=False)
    parent_edge(mother, son.person)
    parent_edge(mother, sister)
    bind(son, father.person)
    Binding.objects.create(
        sharer=sister, beneficiary=son.person, relation_code_id="73", status="active", channel="web"
    )

    # when the son opens 家庭共济
    page = signed_in(client, son).get("/family/").content.decode()

    # then both roles are there, each with a masked name, the relation in words and the status
    sharer_part, beneficiary_part = page.split('id="section-beneficiary"')
    assert "我为亲属共济" in sharer_part and "李**" in sharer_part
    assert "TA是您的父亲" in sharer_part and "等待亲属同意" in sharer_part
    assert "已通知您的亲属，TA登录门户同意后即可核验" in sharer_part
    assert "亲属为我共济" in beneficiary_part and "您是TA的弟" in beneficiary_part
    assert "已生效" in beneficiary_part and "不限额" in beneficiary_part
    # and identity and card numbers appear only masked
    for p in (son.person, father.person, sister):
        assert p.id_number not in page
        assert p.card_number not in page
    assert father.person.id_number_masked in page
    assert sister.id_number_masked in page


def test_list_offers_only_the_buttons_that_apply(client, family):
    # given a pending request from the son to his father
    son, father = family
    binding = bind(son, father.person)

    # when each side opens the list
    sharer_page = signed_in(client, son).get("/family/").content.decode()
    beneficiary_page = signed_in(Client(), father).get("/family/").content.decode()

    # then the sharer can withdraw or set a limit, the father can agree or decline
    assert f'href="/family/{binding.pk}/revoke/"' in sharer_page
    assert f'href="/family/{binding.pk}/limit/"' in sharer_page
    assert f'action="/family/{binding.pk}/consent/"' not in sharer_page
    assert f'action="/family/{binding.pk}/consent/"' in beneficiary_page
    assert 'name="accept" value="yes"' in beneficiary_page and "不同意" in beneficiary_page
    assert f"/family/{binding.pk}/revoke/" not in beneficiary_page
    assert f"/family/{binding.pk}/limit/" not in beneficiary_page
    assert "csrfmiddlewaretoken" in beneficiary_page


def test_list_costs_the_same_queries_for_one_binding_or_many(client, family, django_assert_max_num_queries):
    # given a sharer with one binding
    son, father = family
    bind(son, father.person)
    signed_in(client, son)
    with django_assert_max_num_queries(14) as one:  # 8 of them the suggested relatives and their log row
        client.get("/family/")

    # when four more relatives are bound
    for year in (2005, 2007, 2009, 2011):
        child = person(year)
        parent_edge(son.person, child)
        bind(son, child, "20")

    # then the list still costs the same number of queries
    with django_assert_max_num_queries(len(one.captured_queries)):
        assert client.get("/family/").content.decode().count('class="binding ') == 5


def test_guardian_sees_a_wards_binding_and_consents_for_the_minor(client, near_relatives_policy):
    # given a grandfather who asks to share with his 10-year-old grandson, whose father is registered
    grandfather = ResidentFactory(person=sharer(birth=person(1950).birth_date))
    dad = ResidentFactory(person=person(1980))
    boy = person(2016)
    parent_edge(grandfather.person, dad.person)
    parent_edge(dad.person, boy)
    binding = bind(grandfather, boy, "41")

    # when the boy's father opens 家庭共济
    page = signed_in(client, dad).get("/family/").content.decode()

    # then the binding is shown under 未成年子女的共济 with the consent buttons
    assert "未成年子女的共济" in page
    assert "需要您作为监护人" in page
    assert f'action="/family/{binding.pk}/consent/"' in page

    # when he agrees
    response = client.post(f"/family/{binding.pk}/consent/", {"accept": "yes"})

    # then it goes on to verification, as the guardian's consent
    assert response.status_code == 302
    binding.refresh_from_db()
    assert binding.status == BindingStatus.PENDING_VERIFICATION
    assert binding.guardian_consent


# --- every action through the page -----------------------------------------------------------


def test_beneficiary_consents_through_the_page(client, family):
    # given a pending request to the father
    son, father = family
    binding = bind(son, father.person)

    # when the father presses 同意
    response = signed_in(client, father).post(f"/family/{binding.pk}/consent/", {"accept": "yes"})

    # then verification starts and a message says what happens next
    assert response.status_code == 302 and response["Location"] == "/family/"
    binding.refresh_from_db()
    assert binding.status == BindingStatus.PENDING_VERIFICATION
    page = client.get("/family/").content.decode()
    assert "您已同意" in page
    assert "等待核验亲属关系" in page


def test_beneficiary_declines_through_the_page(client, family):
    # given a pending request to the father
    son, father = family
    binding = bind(son, father.person)

    # when he presses 不同意
    signed_in(client, father).post(f"/family/{binding.pk}/consent/", {"accept": "no"})

    # then the binding is rejected as declined, and the sharer sees why
    binding.refresh_from_db()
    assert binding.status == BindingStatus.REJECTED
    assert binding.reasons == ["beneficiary_declined"]
    page = signed_in(Client(), son).get("/family/").content.decode()
    assert 'data-code="beneficiary_declined"' in page
    assert "未通过" in page


def test_the_sharer_cannot_consent_to_their_own_request(client, family):
    # given the son's own pending request
    son, father = family
    binding = bind(son, father.person)

    # when he posts 同意 himself
    response = signed_in(client, son).post(f"/family/{binding.pk}/consent/", {"accept": "yes"})

    # then it is refused with its code and nothing changes
    assert response.status_code == 403
    assert form_error_codes(response.content.decode()) == ["consent_not_allowed"]
    binding.refresh_from_db()
    assert binding.status == BindingStatus.PENDING_CONSENT


def test_revoke_asks_first_and_warns_that_payments_stop_at_once(client, family):
    # given an active binding
    son, father = family
    binding = bind(son, father.person)
    Binding.objects.filter(pk=binding.pk).update(status="active")

    # when the sharer presses 解除绑定
    page = signed_in(client, son).get(f"/family/{binding.pk}/revoke/").content.decode()

    # then a confirmation page warns in plain words, with a POST form and CSRF
    assert "确认后立即生效" in page
    assert "不能再用您的个人账户支付" in page
    assert f'<form method="post" action="/family/{binding.pk}/revoke/"' in page
    assert "csrfmiddlewaretoken" in page
    binding.refresh_from_db()
    assert binding.status == BindingStatus.ACTIVE

    # when he confirms
    response = client.post(f"/family/{binding.pk}/revoke/")

    # then the binding is revoked and a message says so
    assert response.status_code == 302
    binding.refresh_from_db()
    assert binding.status == BindingStatus.REVOKED
    assert "已解除" in client.get("/family/").content.decode()


def test_a_pending_request_is_withdrawn_rather_than_ended(client, family):
    # given a request the father has not answered
    son, father = family
    binding = bind(son, father.person)

    # when the son presses 撤回申请, reads the confirmation, and confirms
    signed_in(client, son)
    page = client.get(f"/family/{binding.pk}/revoke/").content.decode()
    assert "撤回后，这次申请就作废了" in page
    assert "不能再用您的个人账户支付" not in page
    client.post(f"/family/{binding.pk}/revoke/")

    # then the request is withdrawn and he is told so
    binding.refresh_from_db()
    assert binding.status == BindingStatus.REVOKED
    assert "已撤回申请" in client.get("/family/").content.decode()


def test_beneficiary_leaves_through_the_page(client, family):
    # given an active binding
    son, father = family
    binding = bind(son, father.person)
    Binding.objects.filter(pk=binding.pk).update(status="active")

    # when the father presses 退出共济 and confirms
    signed_in(client, father)
    assert "确认后立即生效" in client.get(f"/family/{binding.pk}/leave/").content.decode()
    response = client.post(f"/family/{binding.pk}/leave/")

    # then he has left
    assert response.status_code == 302
    binding.refresh_from_db()
    assert binding.status == BindingStatus.REVOKED
    assert binding.reasons == ["beneficiary_left"]
    assert "您已退出共济" in client.get("/family/").content.decode()


def test_the_beneficiary_cannot_revoke_for_the_sharer(client, family):
    # given an active binding
    son, father = family
    binding = bind(son, father.person)
    Binding.objects.filter(pk=binding.pk).update(status="active")

    # when the father tries the sharer's 解除绑定
    signed_in(client, father)
    get = client.get(f"/family/{binding.pk}/revoke/")
    post = client.post(f"/family/{binding.pk}/revoke/")

    # then there is no such page for him and the service refuses the POST
    assert get.status_code == 404
    assert post.status_code == 403
    binding.refresh_from_db()
    assert binding.status == BindingStatus.ACTIVE


@pytest.mark.parametrize(
    ("typed", "fen"),
    [
        ("123.45", 12345),
        ("0.1", 10),
        ("500", 50000),
        ("0", 0),
        ("5.", 500),
        (".5", 50),
        (" 1,000.50元 ", 100050),
        ("１２３．４５", 12345),  # full-width digits from a Chinese input method
        ("999999999.99", 99999999999),
    ],
)
def test_monthly_limit_in_yuan_is_stored_as_exact_fen(client, family, typed, fen):
    # given a pending binding
    son, father = family
    binding = bind(son, father.person)

    # when the sharer sets the monthly limit in yuan
    response = signed_in(client, son).post(f"/family/{binding.pk}/limit/", {"monthly_limit_yuan": typed})

    # then it is stored as whole fen, exactly
    assert response.status_code == 302
    binding.refresh_from_db()
    assert binding.monthly_limit_fen == fen
    assert isinstance(binding.monthly_limit_fen, int)


def test_an_empty_monthly_limit_means_no_limit(client, family):
    # given a binding with a limit of 500 yuan
    son, father = family
    binding = bind(son, father.person)
    Binding.objects.filter(pk=binding.pk).update(monthly_limit_fen=50000)

    # when the limit page opens it shows yuan; then the field is emptied and saved
    signed_in(client, son)
    assert 'value="500.00"' in client.get(f"/family/{binding.pk}/limit/").content.decode()
    client.post(f"/family/{binding.pk}/limit/", {"monthly_limit_yuan": ""})

    # then there is no limit any more
    binding.refresh_from_db()
    assert binding.monthly_limit_fen is None
    assert "已设为不限额" in client.get("/family/").content.decode()


@pytest.mark.parametrize(
    ("typed", "says"),
    [
        ("12.345", "小数点后最多两位"),
        ("-1", "不能小于0"),
        ("abc", "请填写金额数字"),
        ("1e3", "请填写金额数字"),
        ("NaN", "请填写金额数字"),
        ("1234567890", "金额过大"),
    ],
)
def test_bad_monthly_limit_is_refused_beside_the_field(client, family, typed, says):
    # given a binding with a limit of 100 yuan
    son, father = family
    binding = bind(son, father.person)
    Binding.objects.filter(pk=binding.pk).update(monthly_limit_fen=10000)

    # when the sharer types something that is not an amount in yuan
    response = signed_in(client, son).post(f"/family/{binding.pk}/limit/", {"monthly_limit_yuan": typed})
    page = response.content.decode()

    # then limit_invalid is shown beside the field, in plain words, and the limit is unchanged
    assert response.status_code == 200
    assert field_error_codes(page, "id_monthly_limit_yuan") == ["limit_invalid"]
    assert says in page
    binding.refresh_from_db()
    assert binding.monthly_limit_fen == 10000


def test_only_the_sharer_sets_the_limit(client, family):
    # given a pending binding
    son, father = family
    binding = bind(son, father.person)

    # when the father tries to set a limit
    signed_in(client, father)
    get = client.get(f"/family/{binding.pk}/limit/")
    post = client.post(f"/family/{binding.pk}/limit/", {"monthly_limit_yuan": "1"})

    # then the page does not exist for him and the service refuses the POST
    assert get.status_code == 404
    assert post.status_code == 200
    assert form_error_codes(post.content.decode()) == ["permission_denied"]
    binding.refresh_from_db()
    assert binding.monthly_limit_fen is None


def test_evidence_upload_of_a_png_is_stored_for_review(client, family):
    # given a binding the registry could not confirm
    son, _father = family
    binding, _wife = needs_evidence_binding(son)
    page = signed_in(client, son).get("/family/").content.decode()
    assert f'href="/family/{binding.pk}/evidence/"' in page

    # when the sharer uploads a photo of the marriage certificate
    upload = SimpleUploadedFile("结婚证.png", PNG, content_type="image/png")
    response = client.post(f"/family/{binding.pk}/evidence/", {"file": upload})

    # then it is stored for review and the list says so
    assert response.status_code == 302
    evidence = Evidence.objects.get(binding=binding)
    assert evidence.content_type == "image/png"
    page = client.get("/family/").content.decode()
    assert "已收到您上传的材料" in page
    assert "正在等待医保经办机构审核" in page


def test_evidence_form_is_multipart_with_a_labelled_file_field(client, family):
    # given a binding waiting for evidence
    son, _father = family
    binding, _wife = needs_evidence_binding(son)

    # when the upload page opens
    page = signed_in(client, son).get(f"/family/{binding.pk}/evidence/").content.decode()

    # then it is a multipart form with a labelled file input that accepts PDF, JPEG and PNG
    assert 'enctype="multipart/form-data"' in page
    assert '<label for="id_file">证明材料</label>' in page
    assert 'accept="application/pdf,image/jpeg,image/png' in page


@pytest.mark.parametrize(
    ("name", "content", "code"),
    [
        ("hukou.pdf", b"this is not a pdf at all", "evidence_type"),
        ("hukou.png", b"GIF89a" + b"\x00" * 100, "evidence_type"),
        ("big.png", PNG + b"\x00" * (5 * 1024 * 1024), "evidence_too_large"),
        ("", None, "field_required"),
    ],
)
def test_bad_evidence_is_refused_beside_the_file_field(client, family, name, content, code):
    # given a binding waiting for evidence
    son, _father = family
    binding, _wife = needs_evidence_binding(son)

    # when a file of the wrong kind, too big, or none at all is sent
    data = {"file": SimpleUploadedFile(name, content)} if content is not None else {}
    response = signed_in(client, son).post(f"/family/{binding.pk}/evidence/", data)

    # then its reason code is beside the file field and nothing is stored
    assert response.status_code == 200
    assert field_error_codes(response.content.decode(), "id_file") == [code]
    assert not Evidence.objects.exists()


def test_someone_elses_binding_is_not_found(client, family):
    # given a binding between the son and his father, and a stranger signed in
    son, father = family
    binding = bind(son, father.person)
    stranger = ResidentFactory(person=sharer())
    signed_in(client, stranger)

    # when the stranger opens or posts to any of its pages
    for action in ("revoke", "leave", "limit", "evidence", "submitted"):
        assert client.get(f"/family/{binding.pk}/{action}/").status_code == 404, action
    for action, data in (("consent", {"accept": "yes"}), ("revoke", {}), ("leave", {}), ("limit", {})):
        assert client.post(f"/family/{binding.pk}/{action}/", data).status_code == 404, action
    assert client.get(f"/family/{uuid.uuid4()}/revoke/").status_code == 404

    # then nothing changed
    binding.refresh_from_db()
    assert binding.status == BindingStatus.PENDING_CONSENT


def test_family_pages_need_a_signed_in_resident(client, family):
    # given nobody signed in, then staff
    # when /family/ is opened
    anonymous = client.get("/family/")
    staff = signed_in(Client(), StaffFactory()).get("/family/")

    # then the visitor is sent to sign in, and staff are refused
    assert anonymous.status_code == 302
    assert anonymous["Location"] == "/login/?next=/family/"
    assert staff.status_code == 403


# --- 为亲属办理共济 ------------------------------------------------------------------------------


def test_new_form_has_the_three_labels_and_near_relatives_grouped_by_kin(client, family):
    # given the bind form
    son, _father = family
    page = signed_in(client, son).get("/family/new/").content.decode()

    # then its labels are exactly 亲属身份证号, 亲属姓名, 关系
    labels = re.findall(r'<label for="id_[a-z_]+">([^<]+)</label>', page)
    assert labels == ["亲属身份证号", "亲属姓名", "关系"]
    # and the relation is a select of near-relative codes only, grouped by kin
    groups = re.findall(r'<optgroup label="([^"]+)">', page)
    assert groups == ["配偶", "父母", "子女", "兄弟姐妹", "祖父母外祖父母", "孙子女外孙子女"]
    codes = set(re.findall(r'<option value="(\d\d)"', page))
    assert {"10", "11", "12", "51", "52", "57", "20", "30", "71", "61", "64", "41", "44"} <= codes
    assert not codes & {"28", "38", "53", "55", "66", "72", "81", "93", "97", "99"}
    # and the instant check posts to the check endpoint into a polite live region
    assert 'hx-post="/family/new/check/"' in page
    assert 'hx-trigger="change delay:300ms"' in page
    assert '<div id="eligibility" class="eligibility" aria-live="polite">' in page
    assert "/static/js/htmx.min.js" in page


def check(client: Client, beneficiary, code: str = "51", **overrides: str):
    data = {"beneficiary_id_number": beneficiary.id_number, "beneficiary_name": beneficiary.name}
    data["relation_code"] = code
    data.update(overrides)
    return client.post("/family/new/check/", data, headers={"HX-Request": "true"})


def test_check_says_a_registry_parent_is_eligible(client, family):
    # given the son and his registry father
    son, father = family

    # when the form is filled in
    response = check(signed_in(client, son), father.person)

    # then the fragment says it can be done, and no binding was made
    fragment = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in fragment
    assert "可以办理" in fragment
    assert not Binding.objects.exists()


def test_check_explains_that_evidence_will_be_needed(client, family):
    # given a brother the registry does not know
    son, _father = family
    brother = person(1985)

    # when he is named as younger brother
    fragment = check(signed_in(client, son), brother, "73").content.decode()

    # then the fragment explains that evidence will be needed
    assert data_codes(fragment) == ["relation_unverified"]
    assert "户籍中暂未查到这层关系，提交后需要上传户口本等证明" in fragment


def test_check_returns_every_reason_with_its_code(client, family):
    # given the father named as mother (sex mismatch) by a son already bound to him
    son, father = family
    bind(son, father.person)

    # when the form is checked
    fragment = check(signed_in(client, son), father.person, "52").content.decode()

    # then every reason is listed with its code, in plain Chinese
    assert set(data_codes(fragment)) == {"relation_mismatch", "duplicate_binding"}
    assert "暂时不能办理" in fragment
    assert SharingError.RELATION_MISMATCH.message in fragment


def test_check_says_beneficiary_not_found_for_a_wrong_name(client, family):
    # given the father's number with another name
    son, father = family

    # when it is checked
    fragment = check(signed_in(client, son), father.person, beneficiary_name="李小山").content.decode()

    # then it is beneficiary_not_found, exactly as an unknown number would be
    assert data_codes(fragment) == ["beneficiary_not_found"]


def test_check_waits_until_all_three_fields_are_filled_and_shows_shape_errors(client, family):
    # given the son on the form
    son, father = family
    signed_in(client, son)

    # when only the number is filled, then the number is malformed
    incomplete = check(client, father.person, code="").content.decode()
    malformed = check(client, father.person, beneficiary_id_number="1234").content.decode()

    # then nothing is said yet, then the shape error is named
    assert incomplete.strip() == ""
    assert data_codes(malformed) == ["id_number_format"]


def test_check_with_a_lapsed_session_sends_the_whole_page_to_sign_in(client, family):
    # given nobody signed in any more
    _son, father = family

    # when the instant check fires
    response = check(client, father.person)

    # then htmx is told to take the whole page to the sign-in, back to the form afterwards
    assert response.status_code == 200
    assert response["HX-Redirect"] == "/login/?next=/family/new/"
    assert response.content == b""


def test_submit_without_javascript_asks_for_consent_next(client, family):
    # given the son on the form, without JavaScript
    son, father = family
    data = {
        "beneficiary_id_number": father.person.id_number.lower(),
        "beneficiary_name": father.person.name,
        "relation_code": "51",
    }

    # when he submits the form
    response = signed_in(client, son).post("/family/new/", data)

    # then the request waits for the father's consent and a page says what happens next
    binding = Binding.objects.get()
    assert binding.status == BindingStatus.PENDING_CONSENT
    assert response.status_code == 302
    assert response["Location"] == f"/family/{binding.pk}/submitted/"
    page = client.get(response["Location"]).content.decode()
    assert "已提交" in page
    assert "在“家庭共济”里选择“同意”" in page
    assert 'href="/family/"' in page
    assert father.person.id_number not in page


def test_guardian_submission_says_verification_has_started(client, near_relatives_policy):
    # given a father and his 8-year-old daughter in the registry
    dad = ResidentFactory(person=sharer())
    girl = person(2018, male=False)
    parent_edge(dad.person, girl)

    # when he binds her
    response = signed_in(client, dad).post(
        "/family/new/",
        {"beneficiary_id_number": girl.id_number, "beneficiary_name": girl.name, "relation_code": "30"},
    )

    # then no consent is needed: verification started as the guardian's
    page = client.get(response["Location"]).content.decode()
    assert Binding.objects.get().status == BindingStatus.PENDING_VERIFICATION
    assert "您是孩子的监护人" in page


def test_submit_refusal_shows_the_reasons_above_the_form(client, family):
    # given a cousin-aged man who is not in the registry as anything, named as father
    son, _father = family
    young = person(1990)

    # when the son submits him as father (younger than the son)
    page = (
        signed_in(client, son)
        .post(
            "/family/new/",
            {"beneficiary_id_number": young.id_number, "beneficiary_name": young.name, "relation_code": "51"},
        )
        .content.decode()
    )

    # then the reason is shown above the form with its code and nothing was made
    assert form_error_codes(page) == ["relation_mismatch"]
    assert "error-summary" in page
    assert not Binding.objects.exists()


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("beneficiary_id_number", "1234", "id_number_format"),
        ("beneficiary_id_number", "", "field_required"),
        ("beneficiary_name", "李<b>", "name_invalid"),
        ("relation_code", "", "field_required"),
        ("relation_code", "98", "relation_code_unknown"),
        ("relation_code", "28", "not_near_relative"),
    ],
)
def test_shape_errors_are_beside_their_fields(client, family, field, value, code):
    # given the son and his father
    son, father = family
    data = {
        "beneficiary_id_number": father.person.id_number,
        "beneficiary_name": father.person.name,
        "relation_code": "51",
    }
    data[field] = value

    # when one field is wrong
    page = signed_in(client, son).post("/family/new/", data).content.decode()

    # then its code is beside it and nothing was made
    assert field_error_codes(page, f"id_{field}") == [code]
    assert not Binding.objects.exists()


def test_a_resident_without_a_personal_account_is_told_why_not(client, near_relatives_policy):
    # given a resident insured under 城乡居民医保
    resident = ResidentFactory(person=person(1960))

    # when she opens the bind form
    page = signed_in(client, resident).get("/family/new/").content.decode()

    # then she is told why she cannot share, and no form is offered
    assert form_error_codes(page) == ["sharer_no_personal_account"]
    assert 'id="binding-new-form"' not in page


def test_the_bind_page_is_in_english_too(client, family):
    # given an English-speaking son
    son, _father = family
    signed_in(client, son)
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})

    # when he opens the bind form
    page = client.get("/family/new/").content.decode()

    # then its labels and groups are English
    assert '<label for="id_beneficiary_id_number">Relative&#x27;s identity card number</label>' in page
    assert '<optgroup label="Parents">' in page
    assert ">father</option>" in page
    assert "亲属身份证号" not in page


def test_the_list_is_in_english_too(client, family):
    # given an English-speaking father with a request from his son
    son, father = family
    bind(son, father.person)
    signed_in(client, father)
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})

    # when he opens family sharing
    page = client.get("/family/").content.decode()

    # then the relation, the status and what happens next are in English
    assert "You are their father" in page
    assert "Waiting for the relative to agree" in page
    assert "Please agree or decline." in page
    assert ">Agree</button>" in page
    assert untranslated_chinese(page) == []


# --- counter ---------------------------------------------------------------------------------


def counter_staff(**kwargs) -> User:
    return StaffFactory(
        role="hospital", institution=InstitutionFactory(name="协和医院"), is_staff=False, **kwargs
    )


def test_counter_bind_needs_an_otp_verified_staff_session(client, family):
    # given nobody, staff without the one-time code, and a resident
    son, father = family
    data = {
        "sharer_card_number": son.person.card_number,
        "beneficiary_card_number": "A00000001",
        "relation_code": "51",
    }
    staff = counter_staff()
    password_only = Client()
    password_only.force_login(staff)

    # when each opens or posts the counter bind form
    anonymous = client.get("/counter/bind/")
    unverified_get = password_only.get("/counter/bind/")
    unverified_post = password_only.post("/counter/bind/", data)
    resident = signed_in(Client(), son).post("/counter/bind/", data)

    # then the first two are sent to the counter sign-in and the resident is refused; nothing made
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/counter/login/")
    assert unverified_get.status_code == 302 and unverified_get["Location"].startswith("/counter/login/")
    assert unverified_post.status_code == 302
    assert resident.status_code == 403
    assert not Binding.objects.exists()


def test_counter_home_links_to_the_swipe_bind(client):
    # given hospital staff signed in at the counter
    page = signed_in(client, counter_staff()).get("/counter/").content.decode()

    # then the counter home leads to the swipe-bind
    assert 'href="/counter/bind/"' in page
    assert "刷卡绑定家庭共济" in page


def test_counter_bind_form_is_keyboard_first(client):
    # given the counter bind form
    page = signed_in(client, counter_staff()).get("/counter/bind/").content.decode()

    # then the sharer's card has focus, the labels are in order, and relations start with their code
    labels = re.findall(r'<label for="id_[a-z_]+">([^<]+)</label>', page)
    assert labels == ["共济人社会保障卡号", "被共济人社会保障卡号", "关系"]
    assert re.search(r'<input[^>]*id="id_sharer_card_number"[^>]*autofocus', page) or re.search(
        r'<input[^>]*autofocus[^>]*id="id_sharer_card_number"', page
    )
    assert '<option value="51">51 父亲</option>' in page
    assert "js/enter-advances.js" in page  # Enter moves on, Enter in the last field submits


def test_counter_bind_creates_a_binding_waiting_for_verification(client, family):
    # given the son present with his card, and his father's card
    son, father = family
    staff = counter_staff()
    data = {
        "sharer_card_number": son.person.card_number.lower(),
        "beneficiary_card_number": father.person.card_number,
        "relation_code": "51",
    }

    # when staff submit the counter form
    response = signed_in(client, staff).post("/counter/bind/", data)

    # then a hospital-channel binding waits for verification and the result panel shows it
    binding = Binding.objects.get()
    assert binding.status == BindingStatus.PENDING_VERIFICATION
    assert binding.channel == "hospital"
    assert response.status_code == 302 and response["Location"] == "/counter/bind/done/"
    page = client.get("/counter/bind/done/").content.decode()
    assert "等待核验" in page
    assert str(binding.pk) in page
    assert son.person.name_masked in page and father.person.name_masked in page
    assert son.person.card_number_masked in page
    assert son.person.card_number not in page and father.person.card_number not in page
    assert re.search(r'<h2 id="result-title" tabindex="-1" autofocus>', page)
    assert 'href="/counter/bind/" accesskey="n"' in page


def test_counter_bind_result_is_only_the_sessions_own(client, family):
    # given a binding made at another counter session
    son, father = family
    signed_in(Client(), counter_staff()).post(
        "/counter/bind/",
        {
            "sharer_card_number": son.person.card_number,
            "beneficiary_card_number": father.person.card_number,
            "relation_code": "51",
        },
    )

    # when another member of staff opens the result page
    response = signed_in(client, counter_staff()).get("/counter/bind/done/")

    # then there is nothing to show: back to an empty form
    assert response.status_code == 302 and response["Location"] == "/counter/bind/"


def test_counter_bind_refusal_shows_each_reason_and_focuses_the_first_error(client, family):
    # given a son's card and an unknown beneficiary card, with a relation contradicting sex
    son, father = family
    staff = counter_staff()

    # when staff submit an unknown card
    page = (
        signed_in(client, staff)
        .post(
            "/counter/bind/",
            {
                "sharer_card_number": son.person.card_number,
                "beneficiary_card_number": "Z99999999",
                "relation_code": "51",
            },
        )
        .content.decode()
    )

    # then beneficiary_not_found is beside the beneficiary's card, which takes the focus
    assert field_error_codes(page, "id_beneficiary_card_number") == ["beneficiary_not_found"]
    assert re.search(r'<input[^>]*id="id_beneficiary_card_number"[^>]*autofocus', page) or re.search(
        r'<input[^>]*autofocus[^>]*id="id_beneficiary_card_number"', page
    )
    assert not re.search(r'<input[^>]*autofocus[^>]*id="id_sharer_card_number"', page)

    # when the same person is both sides
    page = client.post(
        "/counter/bind/",
        {
            "sharer_card_number": son.person.card_number,
            "beneficiary_card_number": son.person.card_number,
            "relation_code": "51",
        },
    ).content.decode()

    # then self_binding is above the form, whose summary takes the focus
    assert "self_binding" in form_error_codes(page)
    assert 'class="error-summary" tabindex="-1" autofocus' in page
    assert not Binding.objects.exists()


def test_counter_bind_shape_errors_are_beside_the_fields(client):
    # given hospital staff
    page = (
        signed_in(client, counter_staff())
        .post(
            "/counter/bind/",
            {"sharer_card_number": "123", "beneficiary_card_number": "", "relation_code": "99"},
        )
        .content.decode()
    )

    # then each field names its problem
    assert field_error_codes(page, "id_sharer_card_number") == ["card_number_format"]
    assert field_error_codes(page, "id_beneficiary_card_number") == ["field_required"]
    assert field_error_codes(page, "id_relation_code") == ["not_near_relative"]


# --- translations stay in step ---------------------------------------------------------------


def test_status_labels_are_the_binding_status_labels():
    # then the texts marked for translation equal the model's labels
    for status in BindingStatus:
        assert STATUS_LABELS[status.value] == status.label, status


def test_reason_msgids_are_the_sharing_error_messages():
    # then each marked text equals the message of its SharingError
    for code, msgid in REASON_MSGIDS.items():
        assert msgid == code.message, code

"""GET /api/v1/certification/ (API.md section 2) and the resident page /certification/."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils.translation import override
from freezegun import freeze_time

from accounts.tests.factories import PersonFactory, ResidentFactory
from accounts.tests.test_delegation_pages import signed_in
from certification.channels import LABELS
from certification.cycle_run import certification_cycle_run
from certification.forms import HomeVisitForm
from certification.models import Channel, HomeVisit, HomeVisitReason, HomeVisitStatus, Result
from certification.views import RESULT_LABELS, VISIT_STATUS_LABELS

pytestmark = pytest.mark.django_db


def token_for(api, user):
    from knox.models import AuthToken

    _instance, token = AuthToken.objects.create(user=user)
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return api


@freeze_time("2026-06-01 10:00:00+08:00")
def test_the_api_says_where_a_pensioner_stands(api):
    user = ResidentFactory(person=PersonFactory(is_pensioner=True, last_certified_on=dt.date(2025, 6, 15)))
    body = token_for(api, user).get("/api/v1/certification/").json()
    assert body == {
        "pensioner": True,
        "cycle_start": "2025-06-15",
        "cycle_end": "2026-06-15",
        "status": "due",
        "last_certified_at": None,
        "pension_status": "paying",
    }


def test_the_api_shows_a_suspended_overdue_pension(api):
    user = ResidentFactory(person=PersonFactory(is_pensioner=True, last_certified_on=dt.date(2024, 1, 2)))
    certification_cycle_run(as_of=dt.date(2025, 2, 1))
    body = token_for(api, user).get("/api/v1/certification/").json()
    assert (body["status"], body["pension_status"]) == ("overdue", "suspended")


def test_the_api_for_someone_who_is_not_a_pensioner(api):
    user = ResidentFactory()
    body = token_for(api, user).get("/api/v1/certification/").json()
    assert body["pensioner"] is False and body["status"] == "not_applicable"
    assert body["cycle_end"] is None and body["pension_status"] is None


def test_the_api_needs_a_token(api):
    assert api.get("/api/v1/certification/").status_code == 401


@freeze_time("2026-06-01 10:00:00+08:00")
def test_the_page_shows_the_cycle_the_channels_and_the_home_visit_form(client):
    user = ResidentFactory(person=PersonFactory(is_pensioner=True, last_certified_on=dt.date(2025, 6, 15)))
    html = signed_in(client, user).get("/certification/").content.decode()
    assert 'data-status="due"' in html and "2026年6月15日" in html
    for label in ["支付宝", "微信", "掌上12333", "社保经办窗口", "社区服务中心", "上门认证"]:
        assert label in html
    assert '<label for="id_reason">' in html and '<label for="id_documents">' in html
    assert 'href="/certification/"' in html  # in the resident navigation


def test_a_home_visit_is_requested_on_the_page_with_a_document(client):
    user = ResidentFactory(person=PersonFactory(is_pensioner=True, last_certified_on=dt.date(2025, 6, 15)))
    signed_in(client, user)
    bad = client.post(
        "/certification/home-visit/",
        {
            "reason": "mobility",
            "address": "家里",
            "documents": [SimpleUploadedFile("a.png", b"nope", "image/png")],
        },
    )
    assert bad.status_code == 400 and 'data-code="upload_type"' in bad.content.decode()
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00\x90wS\xde"
    good = client.post(
        "/certification/home-visit/",
        {
            "reason": "mobility",
            "address": "家里",
            "documents": [SimpleUploadedFile("a.png", png, "image/png")],
        },
    )
    assert good.status_code == 302
    assert HomeVisit.objects.get().reason == "mobility"
    assert 'data-visit="requested"' in client.get("/certification/").content.decode()


def test_the_labels_the_page_translates_are_the_models():
    # the page translates these model labels through the English catalogue, so they must not drift
    assert VISIT_STATUS_LABELS == dict(HomeVisitStatus.choices)
    assert RESULT_LABELS == dict(Result.choices)
    with override("zh-hans"):
        assert {str(label) for label in LABELS.values()} == set(Channel.labels)
        reason = HomeVisitForm().fields["reason"]
        assert {str(label) for value, label in reason.choices if value} == set(HomeVisitReason.labels)

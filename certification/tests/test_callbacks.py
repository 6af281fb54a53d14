"""Channel callbacks (API.md section 4): the signature is the authentication, stale and replayed
requests are refused, a reference is recorded once, and every refusal changes nothing."""

import datetime as dt
import hmac
import time
from unittest import mock

import pytest
from django.utils import timezone

from accounts.tests.factories import PersonFactory
from certification.models import Certification, ChannelNonce
from certification.tests.conftest import callback_body, pensioner, signed_headers

pytestmark = pytest.mark.django_db


def test_a_signed_pass_certifies_the_pensioner(post_callback):
    # given a pensioner whose cycle is due
    person = pensioner(last=dt.date(2025, 12, 1))
    # when the channel posts a signed pass
    response = post_callback(callback_body(person, reference="ALI-1"), nonce="nonce-abc")
    # then it is recorded and the cycle starts again today
    assert response.status_code == 200, response.json()
    assert response.json()["recorded"] is True
    person.refresh_from_db()
    assert person.last_certified_on == timezone.localdate()
    assert Certification.objects.get().channel == "alipay"


def test_a_bad_signature_is_401_and_changes_nothing(client):
    person = pensioner()
    body = callback_body(person)
    headers = signed_headers(body, nonce="nonce-n1")
    headers["HTTP_X_SIGNATURE"] = "0" * 64
    response = client.post(
        "/api/v1/certification/callbacks/alipay/", data=body, content_type="application/json", **headers
    )
    assert response.status_code == 401
    assert response.json()["error"] == "signature_invalid"
    assert not Certification.objects.exists() and not ChannelNonce.objects.exists()


def test_a_body_changed_after_signing_is_401(client):
    person = pensioner()
    headers = signed_headers(callback_body(person, result="fail"), nonce="nonce-n1")
    response = client.post(
        "/api/v1/certification/callbacks/alipay/",
        data=callback_body(person, result="pass"),
        content_type="application/json",
        **headers,
    )
    assert response.status_code == 401


def test_signed_with_another_channels_secret_is_401(post_callback):
    person = pensioner()
    response = post_callback(callback_body(person), channel="alipay", sign_as="wechat")
    assert response.status_code == 401
    assert response.json()["error"] == "signature_invalid"


@pytest.mark.parametrize("channel", ["nosuch", "bureau", "home_visit"])
def test_a_channel_without_callbacks_is_404(client, channel):
    person = pensioner()
    body = callback_body(person)
    headers = signed_headers(body, channel="alipay")
    response = client.post(
        f"/api/v1/certification/callbacks/{channel}/", data=body, content_type="application/json", **headers
    )
    assert response.status_code == 404
    assert response.json()["error"] == "channel_unknown"


@pytest.mark.parametrize("skew", [-301, 301, -3600, 3600])
def test_a_timestamp_more_than_300_seconds_away_either_way_is_stale(post_callback, skew):
    person = pensioner()
    response = post_callback(callback_body(person), timestamp=int(time.time()) + skew)
    assert response.status_code == 401
    assert response.json()["error"] == "stale_timestamp"
    assert not Certification.objects.exists() and not ChannelNonce.objects.exists()


@pytest.mark.parametrize("skew", [-290, 290])
def test_a_timestamp_within_the_window_is_accepted(post_callback, skew):
    person = pensioner()
    assert post_callback(callback_body(person), timestamp=int(time.time()) + skew).status_code == 200


def test_a_replayed_nonce_is_409_even_with_a_new_body(post_callback):
    person = pensioner()
    assert post_callback(callback_body(person, reference="R-1"), nonce="nonce-same").status_code == 200
    response = post_callback(callback_body(person, reference="R-2"), nonce="nonce-same")
    assert response.status_code == 409
    assert response.json()["error"] == "replayed"
    assert Certification.objects.count() == 1


def test_the_same_reference_with_a_new_nonce_is_200_and_recorded_once(post_callback):
    person = pensioner()
    body = callback_body(person, reference="WX-9")
    first = post_callback(body, channel="wechat", nonce="nonce-n-a")
    second = post_callback(body, channel="wechat", nonce="nonce-n-b")
    assert (first.status_code, second.status_code) == (200, 200)
    assert second.json() == {**first.json(), "recorded": False}
    assert Certification.objects.count() == 1


def test_the_same_reference_on_another_channel_is_another_certification(post_callback):
    person = pensioner()
    body = callback_body(person, reference="X-1")
    assert post_callback(body, channel="alipay", nonce="nonce-n-a").status_code == 200
    assert post_callback(body, channel="app", nonce="nonce-n-b").status_code == 200
    assert Certification.objects.count() == 2


def test_the_signature_is_compared_in_constant_time(post_callback):
    person = pensioner()
    with mock.patch("certification.callbacks.hmac.compare_digest", wraps=hmac.compare_digest) as compare:
        assert post_callback(callback_body(person)).status_code == 200
    compare.assert_called_once()


def test_an_unknown_identity_number_is_422_person_not_found(post_callback):
    stranger = PersonFactory.build()  # a valid number nobody imported
    response = post_callback(callback_body(stranger))
    assert response.status_code == 422
    assert response.json()["error"] == "person_not_found"
    assert not ChannelNonce.objects.exists()


def test_a_result_neither_pass_nor_fail_is_400(post_callback):
    person = pensioner()
    response = post_callback(callback_body(person, result="maybe"))
    assert response.status_code == 400
    assert response.json()["error"] == "result_invalid"


def test_a_person_who_is_not_a_pensioner_is_422(post_callback):
    person = PersonFactory(is_pensioner=False)
    response = post_callback(callback_body(person))
    assert response.status_code == 422
    assert response.json()["error"] == "not_pensioner"
    assert not Certification.objects.exists()


def test_a_fail_is_recorded_and_leaves_the_cycle_alone(post_callback):
    person = pensioner(last=dt.date(2025, 6, 15))
    assert post_callback(callback_body(person, result="fail")).status_code == 200
    person.refresh_from_db()
    assert person.last_certified_on == dt.date(2025, 6, 15)
    assert Certification.objects.get().result == "fail"


def test_callbacks_need_no_session_or_csrf_token(post_callback, settings):
    from django.test import Client

    person = pensioner()
    strict = Client(enforce_csrf_checks=True)
    body = callback_body(person)
    response = strict.post(
        "/api/v1/certification/callbacks/alipay/",
        data=body,
        content_type="application/json",
        **signed_headers(body),
    )
    assert response.status_code == 200


def test_the_same_reference_for_another_person_or_result_is_409(post_callback):
    first, second = pensioner(), pensioner()
    assert post_callback(callback_body(first, reference="R-7"), nonce="nonce-ref-a").status_code == 200
    other_person = post_callback(callback_body(second, reference="R-7"), nonce="nonce-ref-b")
    other_result = post_callback(callback_body(first, reference="R-7", result="fail"), nonce="nonce-ref-c")
    assert (other_person.status_code, other_person.json()["error"]) == (409, "reference_reused")
    assert other_result.status_code == 409
    assert Certification.objects.count() == 1 and ChannelNonce.objects.count() == 1


def test_a_pending_session_started_by_an_agent_is_completed_by_the_principals_callback(post_callback):
    from accounts.tests.factories import ResidentFactory
    from certification.models import CertificationSession

    person = pensioner()
    agent = ResidentFactory()
    CertificationSession.objects.create(person=person, started_by=agent)
    assert post_callback(callback_body(person)).status_code == 200
    session = CertificationSession.objects.get()
    assert session.status == "certified"
    assert session.certification.agent == agent


@pytest.mark.parametrize(
    "nonce", ["abc.defgh", "1700000000.n", "short", "x" * 65, "nonce 1234", "随机数随机数随机数"]
)
def test_a_nonce_outside_the_pattern_is_400_and_records_nothing(post_callback, nonce):
    # given a correctly signed callback whose nonce has a dot (it could move the signed text's
    # boundaries), is too short or too long, or has other characters
    person = pensioner(last=dt.date(2025, 12, 1))
    # when it is posted
    response = post_callback(callback_body(person, reference="DOT-1"), nonce=nonce)
    # then it is refused with its own code and a Chinese message, and nothing is stored
    assert response.status_code == 400, response.content
    assert response.json()["error"] == "nonce_invalid"
    assert "随机数" in response.json()["message"]
    assert not ChannelNonce.objects.exists() and not Certification.objects.exists()
    person.refresh_from_db()
    assert person.last_certified_on == dt.date(2025, 12, 1)


def test_a_nonce_of_eight_to_sixty_four_allowed_characters_is_accepted(post_callback):
    person = pensioner(last=dt.date(2025, 12, 1))
    response = post_callback(callback_body(person, reference="OK-64"), nonce="Az09_-" + "x" * 58)
    assert response.status_code == 200, response.content

"""A son with a `certify` delegation starts the pension certification for his father on his phone;
the father's face check arrives as the channel's signed callback (posted by the test); the father
then sees 已认证 on /certification/, with the son named as the one who started it.

Screenshots land in $SCREENSHOT_DIR (default /tmp) for a person to look at."""

import datetime as dt
import json
import time

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from playwright.sync_api import expect

from accounts.delegations.services import delegation_confirm, delegation_create
from accounts.tests.factories import PersonFactory, ResidentFactory
from certification.callbacks import signature_of
from certification.models import CertificationSession
from portal.core.time import add_months
from tests.browser.test_family_binding import PNG, looks_right, phones, sign_in  # noqa: F401

pytestmark = pytest.mark.browser


def test_a_son_starts_his_fathers_certification_and_the_father_is_certified_after_the_callback(
    phones,  # noqa: F811 (the fixture imported above)
    relation_codes,
    live_server,
):
    # given a pensioner father whose cycle ends in 10 days, and his son with a certify delegation
    today = timezone.localdate()
    father = ResidentFactory(
        person=PersonFactory(
            name="张德福",
            birth=dt.date(1948, 2, 14),
            is_pensioner=True,
            last_certified_on=add_months(today, -12) + dt.timedelta(days=10),
        )
    )
    son = ResidentFactory(person=PersonFactory(name="张建国", birth=dt.date(1975, 3, 12)))
    delegation = delegation_create(
        actor=son,
        principal_name="张德福",
        principal_card_number=father.person.card_number,
        relation_code="51",
        scopes=["certify", "view_rights"],
        id_document=SimpleUploadedFile("id.png", PNG, "image/png"),
    )
    delegation_confirm(actor=father, delegation=delegation, accept=True)

    # when the son opens 亲情服务 and starts the certification for his father
    son_phone = phones()
    sign_in(son_phone, son, next_url="/family-service/")
    looks_right(son_phone, "family-service-son.png")
    son_phone.get_by_role("link", name="代为发起资格认证").click()
    son_phone.wait_for_url(f"**/certification/for/{delegation.pk}/")
    expect(son_phone.locator("[data-status]")).to_have_attribute("data-status", "due")
    son_phone.get_by_role("button", name="发起认证").click()
    expect(son_phone.locator('[data-code="session_pending"]')).to_be_visible()
    looks_right(son_phone, "certification-started-by-son.png")
    assert CertificationSession.objects.get().status == "pending"

    # and the father's face check on Alipay comes back as the channel's signed callback
    body = json.dumps(
        {
            "reference": "ALIPAY-2026-0001",
            "id_number": father.person.id_number,
            "result": "pass",
            "method": "face_blink",
            "certified_at": timezone.localtime().isoformat(),
        }
    ).encode()
    stamp, nonce = str(int(time.time())), "browser-test-nonce-1"
    secret = settings.CERT_CALLBACK_SECRETS["alipay"].encode()
    response = son_phone.request.post(
        f"{live_server.url}/api/v1/certification/callbacks/alipay/",
        data=body,
        headers={
            "Content-Type": "application/json",
            "X-Timestamp": stamp,
            "X-Nonce": nonce,
            "X-Signature": signature_of(secret, stamp, nonce, body),
        },
    )
    assert response.status == 200, response.text()

    # then the father sees that he is certified, started by his son
    father_phone = phones()
    sign_in(father_phone, father, next_url="/certification/")
    expect(father_phone.locator(".status[data-status]")).to_have_attribute("data-status", "certified")
    expect(father_phone.get_by_text("已认证").first).to_be_visible()
    expect(father_phone.locator('[data-result="pass"]')).to_contain_text("张**代为发起")
    looks_right(father_phone, "certification-father-certified.png")
    father.person.refresh_from_db()
    assert father.person.last_certified_on == today
    assert CertificationSession.objects.get().status == "certified"

    # and the father sees on 亲情服务 what his son did for him, with a way to revoke
    father_phone.goto("/family-service/")
    expect(father_phone.locator('[data-action="certification_start"]')).to_be_visible()
    expect(father_phone.get_by_role("button", name="撤销授权")).to_be_visible()
    looks_right(father_phone, "family-service-father.png")

    # and the son's page shows it too
    son_phone.reload()
    expect(son_phone.locator("[data-status]").first).to_have_attribute("data-status", "certified")

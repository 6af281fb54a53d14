"""portal_settlements_total{outcome} (issue 19): what the counters did, as the scraper sees it."""

import pytest
from prometheus_client.parser import text_string_to_metric_families

from family_sharing.settlement.tests.conftest import body

pytestmark = pytest.mark.django_db

URL = "/api/v1/settlements/"
OUTCOMES = ("settled", "refused", "replayed", "reversed")


def counts(client) -> dict[str, float]:
    text = client.get("/metrics").content.decode()
    found = {outcome: 0.0 for outcome in OUTCOMES}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            if s.name == "portal_settlements_total":
                found[s.labels["outcome"]] = s.value
    return found


def test_each_settlement_outcome_is_counted_once(
    api, client, family, hospital_staff, django_capture_on_commit_callbacks
):
    # given a hospital office settling for a family, and the counts before
    son, father, _ = family
    api.force_authenticate(hospital_staff)
    before = counts(client)
    # when it settles once, retries that settlement, is refused once and reverses the settlement
    with django_capture_on_commit_callbacks(execute=True):
        settled = api.post(URL, body(son, father), format="json", HTTP_IDEMPOTENCY_KEY="m-1")
        replayed = api.post(URL, body(son, father), format="json", HTTP_IDEMPOTENCY_KEY="m-1")
        refused = api.post(
            URL, body(son, father, amount_fen=99_999), format="json", HTTP_IDEMPOTENCY_KEY="m-2"
        )
        reversed_ = api.post(f"{URL}{settled.json()['id']}/reverse/", {"reason": "收费错误"}, format="json")
    assert [r.status_code for r in (settled, replayed, refused)] == [201, 200, 422]
    assert reversed_.status_code in {200, 201}
    # then the scraper sees one more of each outcome
    after = counts(client)
    assert {k: after[k] - before[k] for k in OUTCOMES} == dict.fromkeys(OUTCOMES, 1)


def test_a_settlement_rolled_back_is_not_counted(api, client, family, hospital_staff):
    # given a settlement whose transaction never commits (the test's own transaction is rolled back)
    son, father, _ = family
    api.force_authenticate(hospital_staff)
    before = counts(client)["settled"]
    assert api.post(URL, body(son, father), format="json", HTTP_IDEMPOTENCY_KEY="m-3").status_code == 201
    # then it is not counted as settled
    assert counts(client)["settled"] == before

"""Operations: health, readiness, metrics, JSON logs without personal data, rate limits,
graceful shutdown."""

from __future__ import annotations

import json
import logging
import shutil
import threading
import time
from pathlib import Path

import httpx
import pytest

from ledger.api import Settings, create_app
from ledger.api.logs import JsonFormatter
from ledger.application import Sunlight
from tests.api.conftest import Served
from tests.api.helpers import Load, check_log, disclosure, hammer, live, start_service, wait_until
from tests.committee import Committee

RECORDS = "/v1/communities/testcom/records"


def test_health_and_readiness(served: Served, tmp_path: Path) -> None:
    assert served.client.get("/healthz").json() == {"status": "ok"}
    assert served.client.get("/readyz").json() == {"status": "ready"}
    where = tmp_path / "gone"
    where.mkdir()
    ledger = Sunlight(f"sqlite:///{where / 'x.db'}")
    with live(create_app(ledger)) as url:
        ledger.store.engine.dispose()
        shutil.rmtree(where)  # the database can no longer be opened
        r = httpx.get(f"{url}/readyz")
        assert r.status_code == 503 and r.json()["code"] == "database-unavailable"
        assert httpx.get(f"{url}/healthz").status_code == 200


def test_metrics(served: Served) -> None:
    served.client.post(RECORDS, json=disclosure(served.committee, 1).to_json())
    served.client.get("/log/testcom/checkpoint")
    text = served.client.get("/metrics").text
    assert 'sunlight_appends_total{community="testcom"} 1.0' in text
    assert ('sunlight_http_requests_total{method="POST",route="/v1/communities/{community}/'
            'records",status="201"} 1.0') in text
    assert 'sunlight_http_request_duration_seconds_bucket{le="0.02",method="GET",' \
           'route="/log/{community}/checkpoint"}' in text


def test_logs_are_json_and_carry_no_personal_data(served: Served,
                                                  caplog: pytest.LogCaptureFixture) -> None:
    c = served.committee
    c.fund()
    from ledger.signing import PrivateRecord

    private = PrivateRecord.commit({"name": "张三", "phone": "13800138000"})
    sub = c.sign("treasurer", "fund.donation_recorded", {
        "fund_id": "f1", "donation_id": "d1", "amount_fen": 100, "channel": "cash",
        "receipt_no": "R1", "received_on": "2025-03-01", "donor_commitment": private.commitment},
        (private,))
    with caplog.at_level(logging.DEBUG, logger="sunlight"):
        assert served.client.post(RECORDS, json=sub.to_json()).status_code == 201
        served.client.post(RECORDS, json={**sub.to_json(), "signature": "bad"})
        served.client.get("/v1/communities/testcom/records?kind=fund")
    lines = [JsonFormatter().format(r) for r in caplog.records]
    assert lines, "requests are logged"
    for line in lines:
        record = json.loads(line)
        assert {"time", "level", "logger", "message"} <= set(record)
        assert "张三" not in line and "13800138000" not in line and "127.0.0.1" not in line
    assert any(json.loads(line).get("route") == "/v1/communities/{community}/records"
               for line in lines)


def test_rate_limit_per_address(committee: Committee) -> None:
    # one token per 1,000 s: the refusals do not depend on how fast the machine sends the five
    app = create_app(committee.app, Settings(rate_per_address=0.001, burst_per_address=3,
                                             rate_per_key=0))
    with live(app) as url, httpx.Client(base_url=url) as client:
        codes = [client.get("/v1/communities").status_code for _ in range(5)]
        assert codes[:3] == [200, 200, 200] and codes[3:] == [429, 429]
        r = client.get("/v1/communities")
        assert r.headers["content-type"] == "application/problem+json"
        assert int(r.headers["retry-after"]) >= 1
        assert client.get("/healthz").status_code == 200  # probes are never limited


def test_rate_limit_per_key_counts_only_signed_requests(committee: Committee) -> None:
    app = create_app(committee.app, Settings(rate_per_address=0, rate_per_key=0.01,
                                             burst_per_key=2))
    with live(app) as url, httpx.Client(base_url=url) as client:
        forged = {**disclosure(committee, 0).to_json(), "signature": "A" * 86 + "=="}
        for _ in range(3):  # forgeries in the member's name do not use up the member's budget
            assert client.post(RECORDS, json=forged).status_code == 403
        codes = [client.post(RECORDS, json=disclosure(committee, n).to_json()).status_code
                 for n in range(1, 4)]
        assert codes == [201, 201, 429]
        other = client.post(RECORDS, json=disclosure(committee, 9, who="chair").to_json())
        assert other.status_code == 201


@pytest.mark.slow
def test_sigterm_finishes_in_flight_writes(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'term.db'}"
    committee = Committee.found(url)
    committee.app.store.engine.dispose()
    service = start_service(url, tmp_path / "serve.log")
    subs = [disclosure(committee, n, now=True) for n in range(2000)]
    seen = Load([], [], 0)
    loader = threading.Thread(target=hammer, args=([service.url], subs, 16), kwargs={"load": seen})
    loader.start()
    # terminate in the middle of the writes: once the clients are up and being answered
    wait_until(lambda: len(seen.receipts) >= 20 or not loader.is_alive(), "the first 20 answers")
    terminated_at = time.monotonic()
    # uvicorn drains, then exits by re-raising the signal it caught
    assert service.terminate() in (0, -15)
    loader.join()
    assert seen.refused == [] and seen.receipts and len(seen.receipts) < len(subs)
    assert any(t > terminated_at for t in seen.answered_at), "in-flight writes were answered"
    service = start_service(url, tmp_path / "serve.log")
    with httpx.Client(base_url=service.url) as client:
        check_log(client, "testcom", seen)
    service.terminate()

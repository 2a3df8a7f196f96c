"""The service under a first-time user's mistakes: a huge number is a problem document, never a
500; neither server writes a client's address to its logs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from ledger.signing import Submission
from tests.api.conftest import Served
from tests.api.helpers import START_TIMEOUT, free_port, start_service, wait_until
from tests.committee import Committee

RECORDS = "/v1/communities/testcom/records"
SUNLIGHT = str(Path(sys.executable).parent / "sunlight")
CLIENT = "127.0.0.2"  # a loopback address of its own: easy to look for in the logs
MAX_INTEGER = 2**53 - 1  # I-JSON (RFC 7493): the largest integer every JSON reader keeps exactly


def signed_raw(committee: Committee, statement: str) -> Submission:
    """Signs statement bytes as given: a client that does not canonicalise for us."""
    key = committee.keys["treasurer"]
    data = statement.encode()
    return Submission(data, key.private.sign(data), key.key_id)


@pytest.mark.parametrize("amount", [MAX_INTEGER + 1, -MAX_INTEGER - 1, 2**63, 10**30, 10**400])
def test_a_huge_amount_is_a_problem_document_naming_the_field(served: Served, amount: int) -> None:
    statement = ('{"at":"2025-03-01T02:00:00Z","body":{"amount_fen":' + str(amount) +
                 ',"donation_id":"d1","fund_id":"f1"},"community":"testcom",'
                 '"kind":"fund.donation_recorded","v":1}')
    r = served.client.post(RECORDS, json=signed_raw(served.committee, statement).to_json())
    assert r.status_code == 400 and r.headers["content-type"] == "application/problem+json", r.text
    problem = r.json()
    assert problem["code"] == "number-out-of-range", problem
    assert "amount_fen" in problem["detail"] and str(MAX_INTEGER) in problem["detail"]


def test_a_huge_number_outside_the_statement_is_a_problem_document(served: Served) -> None:
    sub = signed_raw(served.committee, '{"v":1}').to_json()
    raw = ('{"statement":"x","signature":"' + sub["signature"] + '","key_id":"' + sub["key_id"] +
           '","extra":' + "9" * 5000 + "}")
    r = served.client.post(RECORDS, content=raw, headers={"content-type": "application/json"})
    assert r.status_code == 400 and r.headers["content-type"] == "application/problem+json", r.text


def _from(address: str) -> httpx.Client:
    return httpx.Client(transport=httpx.HTTPTransport(local_address=address), timeout=30)


@pytest.mark.slow
def test_sunlight_serve_logs_no_client_address(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'serve.db'}"
    Committee.found(url).app.store.engine.dispose()
    log = tmp_path / "serve.log"
    service = start_service(url, log, "--log-level", "info")
    try:
        with _from(CLIENT) as client:
            assert client.get(f"{service.url}/v1/communities").status_code == 200
            assert client.get(f"{service.url}/nowhere").status_code == 404
    finally:
        service.terminate()
    text = log.read_text()
    assert "/v1/communities" in text  # requests are logged ...
    assert CLIENT not in text  # ... without who made them


@pytest.mark.slow
def test_witness_serve_logs_no_client_address(tmp_path: Path) -> None:
    key = tmp_path / "w.key"
    subprocess.run([SUNLIGHT, "witness", "keygen", "witness.example/w1", "--out", str(key)],
                   check=True, capture_output=True)
    log_key = Committee.found(f"sqlite:///{tmp_path / 'log.db'}")
    port = free_port()
    log = tmp_path / "witness.log"
    with log.open("wb") as out:
        server = subprocess.Popen(
            [SUNLIGHT, "witness", "serve", "--key", str(key), "--port", str(port),
             "--log", log_key.app.community("testcom").verifier_key,
             "--db", f"sqlite:///{tmp_path / 'witness.db'}"], stdout=out, stderr=out)
    try:
        wait_until(lambda: "Application startup complete" in log.read_text() or server.poll() is not None,
                   "the witness to start", START_TIMEOUT)
        assert server.poll() is None, log.read_text()
        with _from(CLIENT) as client:
            assert client.get(f"http://127.0.0.1:{port}/").status_code < 500
            assert client.post(f"http://127.0.0.1:{port}/add-checkpoint", content=b"old 0\n").status_code >= 400
    finally:
        server.terminate()
        server.wait(START_TIMEOUT)
    text = log.read_text()
    assert "Application startup complete" in text and CLIENT not in text, text


def test_a_deeply_nested_statement_is_a_problem_document(served: Served) -> None:
    nested = "[" * 1000 + "1" + "]" * 1000
    statement = ('{"at":"2025-03-01T02:00:00Z","body":{"amount_fen":' + nested +
                 ',"donation_id":"d1","fund_id":"f1"},"community":"testcom",'
                 '"kind":"fund.donation_recorded","v":1}')
    r = served.client.post(RECORDS, json=signed_raw(served.committee, statement).to_json())
    assert r.status_code == 400 and r.headers["content-type"] == "application/problem+json", r.text

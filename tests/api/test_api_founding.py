"""Founding over HTTP, as an anonymous client and as an invited founder: the service founds a
community only with the operator's one-time invitation, once, whatever the concurrency."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import insert

from ledger.api import Settings, create_app
from ledger.application import Sunlight
from ledger.domain.kinds import DEFAULT_POLICY
from ledger.domain.state import CommunityState
from ledger.logkeys import LogKey, LogKeyDir
from ledger.replay import replay
from ledger.signing import Entry, MemberKey, Statement, Submission
from ledger.store.tables import logs_table
from tests.api.helpers import live
from tests.committee import START, Clock

COMMUNITY = "newcom"
ORIGIN = "test.example/newcom"
NAME = "新社区"


def founded(clock: Clock, key: MemberKey, name: str = NAME, **policy: str) -> Submission:
    return key.sign(Statement(COMMUNITY, "community.founded", clock(), {
        "name": name, "founder_id": "chair", "founder_name": "王主任",
        "founder_public_key": key.public_b64, "term_start": "2024-01-01",
        **(policy or {"policy": "default"})}))


def key(n: int) -> MemberKey:
    return MemberKey.from_seed(bytes([0x60 + n]) * 32)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def ledger(sqlite_url: str, clock: Clock) -> Sunlight:
    return Sunlight(sqlite_url, clock=clock)


@pytest.fixture
def client(ledger: Sunlight) -> Iterator[httpx.Client]:
    app = create_app(ledger, Settings(rate_per_address=0, rate_per_key=0))
    with live(app) as url, httpx.Client(base_url=url, timeout=60) as c:
        yield c


def kinds(ledger: Sunlight) -> list[str]:
    return [Statement.from_bytes(Entry.decode(raw).statement, check_canonical=False).kind
            for _, raw in ledger.entries(COMMUNITY)]


def problem(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["type"] == f"/problems/{code}" and body["code"] == code
    assert any("\u4e00" <= ch <= "\u9fff" for ch in body["detail"])  # said in Chinese


def found_body(*subs: Submission) -> dict[str, object]:
    return {"records": [s.to_json() for s in subs]}


def test_anonymous_founding_is_refused(client: httpx.Client, ledger: Sunlight,
                                       clock: Clock) -> None:
    # an unknown community
    problem(client.post(f"/v1/communities/{COMMUNITY}/records", json=founded(clock, key(1))
                        .to_json()), 404, "community-not-found")
    # the empty log a failed `sunlight init` used to leave behind, with its key in the database
    with ledger.store.engine.begin() as conn:
        conn.execute(insert(logs_table).values(community_id=COMMUNITY, origin=ORIGIN,
                                               key_seed=os.urandom(32), created_at=START))
    problem(client.post(f"/v1/communities/{COMMUNITY}/records", json=founded(clock, key(1))
                        .to_json()), 404, "community-not-found")
    assert client.get("/v1/communities").json()["communities"] == []
    problem(client.get(f"/v1/communities/{COMMUNITY}"), 404, "community-not-found")
    # the founding endpoint without the operator's invitation
    url = f"/v1/communities/{COMMUNITY}/founding"
    problem(client.post(url, json=found_body(founded(clock, key(1)))), 403,
            "founding-not-authorised")
    problem(client.post(url, json=found_body(founded(clock, key(1))),
                        headers={"Authorization": "Bearer not-a-real-invitation"}), 403,
            "invitation-invalid")
    assert ledger.size(COMMUNITY) == 0


def test_an_invited_founder_founds_once(client: httpx.Client, ledger: Sunlight,
                                        clock: Clock) -> None:
    token = ledger.invite(COMMUNITY, ORIGIN, NAME, expires_at=clock() + timedelta(days=7),
                          key_seed=os.urandom(32))
    other = ledger.invite("othercom", "test.example/othercom", "别的社区",
                          expires_at=clock() + timedelta(days=7), key_seed=os.urandom(32))
    url = f"/v1/communities/{COMMUNITY}/founding"
    auth = {"Authorization": f"Bearer {token}"}
    problem(client.post(url, json=found_body(founded(clock, key(1))),
                        headers={"Authorization": f"Bearer {other}"}), 403, "invitation-invalid")
    problem(client.post(url, json=found_body(founded(clock, key(1), name="冒名社区")), headers=auth),
            403, "invitation-mismatch")
    estate = key(1).sign(Statement(COMMUNITY, "community.estate_added", clock(),
                                   {"estate_id": "e1", "name": "一期"}))
    answer = client.post(url, json=found_body(founded(clock, key(1)), estate), headers=auth)
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert body["origin"] == ORIGIN and [r["index"] for r in body["receipts"]] == [0, 1]
    assert body["verifier_key"] == client.get(f"/v1/communities/{COMMUNITY}").json()["verifier_key"]
    problem(client.post(url, json=found_body(founded(clock, key(2))), headers=auth), 409,
            "invitation-used")
    assert kinds(ledger) == ["community.founded", "community.estate_added"]


def test_a_founding_without_the_default_policy_is_refused(
        client: httpx.Client, ledger: Sunlight, clock: Clock, tmp_path: Path) -> None:
    """Without ``"policy": "default"`` one signature would suffice for everything: the service
    refuses such a founding, leaves the invitation unused, and the founding it then accepts
    puts the policy in force for the verifier too."""
    token = ledger.invite(COMMUNITY, ORIGIN, NAME, expires_at=clock() + timedelta(days=7),
                          key_seed=os.urandom(32))
    url = f"/v1/communities/{COMMUNITY}/founding"
    auth = {"Authorization": f"Bearer {token}"}
    old_style = key(1).sign(Statement(COMMUNITY, "community.founded", clock(), {
        "name": NAME, "founder_id": "chair", "founder_name": "王主任",
        "founder_public_key": key(1).public_b64, "term_start": "2024-01-01"}))
    answer = client.post(url, json=found_body(old_style), headers=auth)
    problem(answer, 400, "founding-policy-missing")
    assert '"policy": "default"' in answer.json()["detail"]
    assert ledger.communities() == []
    answer = client.post(url, json=found_body(founded(clock, key(1))), headers=auth)
    assert answer.status_code == 201, answer.text
    # the policy is in the founding entry, so a replay of the log (as `sunlight verify` does)
    # finds it in force from entry 0
    state = CommunityState(COMMUNITY)
    for _ in replay(state, ledger.entries(COMMUNITY)):
        pass
    assert state.policy == DEFAULT_POLICY and state.policy_from == 0


def test_an_expired_invitation_is_refused(client: httpx.Client, ledger: Sunlight,
                                          clock: Clock) -> None:
    token = ledger.invite(COMMUNITY, ORIGIN, NAME, expires_at=clock() + timedelta(hours=2),
                          key_seed=os.urandom(32))
    clock.advance(hours=3)
    problem(client.post(f"/v1/communities/{COMMUNITY}/founding",
                        json=found_body(founded(clock, key(1))),
                        headers={"Authorization": f"Bearer {token}"}), 403, "invitation-expired")
    assert ledger.communities() == []


def test_concurrent_founders_with_one_invitation(client: httpx.Client, ledger: Sunlight,
                                                 clock: Clock) -> None:
    token = ledger.invite(COMMUNITY, ORIGIN, NAME, expires_at=clock() + timedelta(days=7),
                          key_seed=os.urandom(32))
    n = 12
    bodies = [found_body(founded(clock, key(i))) for i in range(n)]
    start = threading.Barrier(n)
    answers: list[httpx.Response] = []

    def post(i: int) -> None:
        start.wait()
        answers.append(client.post(f"/v1/communities/{COMMUNITY}/founding", json=bodies[i],
                                   headers={"Authorization": f"Bearer {token}"}))

    threads = [threading.Thread(target=post, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    statuses = sorted(a.status_code for a in answers)
    assert statuses == [201] + [409] * (n - 1), [a.text for a in answers]
    for a in answers:
        if a.status_code == 409:
            problem(a, 409, a.json()["code"])
            assert a.json()["code"] in {"invitation-used", "community-exists"}
    assert kinds(ledger) == ["community.founded"]


def test_the_document_says_how_to_found(client: httpx.Client) -> None:
    doc = client.get("/openapi.json").json()
    post = doc["paths"]["/v1/communities/{community}/founding"]["post"]
    assert post["security"] == [{"foundingInvitation": []}]
    assert doc["components"]["securitySchemes"]["foundingInvitation"]["scheme"] == "bearer"
    assert {"201", "403", "409", "503"} <= set(post["responses"])
    assert "security" not in doc["paths"]["/v1/communities/{community}/records"]["post"]


def test_the_service_signs_only_with_the_log_key_file(sqlite_url: str, tmp_path: Path,
                                                       clock: Clock) -> None:
    """Founded by invitation with the key in the operator's key directory; with the file gone,
    a record is refused with a 503 problem and nothing is written."""
    keys = tmp_path / "log-keys"
    operator = Sunlight(sqlite_url, clock=clock, log_key_dir=keys)
    LogKeyDir(keys).write(COMMUNITY, LogKey.generate(ORIGIN))
    token = operator.invite(COMMUNITY, ORIGIN, NAME, expires_at=clock() + timedelta(days=1))
    chair = key(1)
    service = Sunlight(sqlite_url, clock=clock, log_key_dir=keys)
    app = create_app(service, Settings(rate_per_address=0, rate_per_key=0))
    with live(app) as url, httpx.Client(base_url=url, timeout=60) as c:
        answer = c.post(f"/v1/communities/{COMMUNITY}/founding", json=found_body(
            founded(clock, chair)), headers={"Authorization": f"Bearer {token}"})
        assert answer.status_code == 201, answer.text
    (keys / f"{COMMUNITY}.logkey").unlink()
    restarted = Sunlight(sqlite_url, clock=clock, log_key_dir=keys)
    app = create_app(restarted, Settings(rate_per_address=0, rate_per_key=0))
    estate = chair.sign(Statement(COMMUNITY, "community.estate_added", clock(),
                                  {"estate_id": "e1", "name": "一期"}))
    with live(app) as url, httpx.Client(base_url=url, timeout=60) as c:
        problem(c.post(f"/v1/communities/{COMMUNITY}/records", json=estate.to_json()), 503,
                "log-key-missing")
    assert restarted.size(COMMUNITY) == 1

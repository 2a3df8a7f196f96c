"""Proposals and sign-in over HTTP, against a real server on a loopback socket: propose (202 and
who must still sign), list and read behind a session opened by signing a challenge (no
password), co-sign without a session (the signature is the authority), and an attacker's
attempts: malformed ids and bodies, a replayed or expired challenge, a non-member's signature,
another origin, a co-signature after expiry or over different bytes -- a Chinese problem each,
never a 500."""

from __future__ import annotations

import base64
from typing import Any

import httpx

from ledger.api.auth import SESSION_SECONDS, auth_message
from ledger.signing import MemberKey
from tests.api.conftest import Served
from tests.ledger.test_ledger_policy import grant_ready


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def problem(r: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = r.json()
    assert body["code"] == code, body
    assert any("\u4e00" <= ch <= "\u9fff" for ch in body["detail"]), body
    return body


def sign_in(served: Served, key: MemberKey, *, origin: str | None = None) -> httpx.Response:
    c = served.committee
    challenge = served.client.post(f"/v1/communities/{c.community}/auth/challenge").json()["challenge"]
    message = auth_message(c.community, origin or served.url, challenge)
    return served.client.post(f"/v1/communities/{c.community}/auth/session", json={
        "challenge": challenge, "key_id": key.key_id, "signature": b64(key.private.sign(message))})


def propose_grant(served: Served) -> dict[str, Any]:
    c = served.committee
    submission = c.sign("treasurer", "fund.grant_made", grant_ready(c))
    r = served.client.post(f"/v1/communities/{c.community}/proposals", json=submission.to_json())
    assert r.status_code == 202, r.text
    body: dict[str, Any] = r.json()
    assert body["missing"] == ["拨付资助须出纳和主任共同签署：还须主任签名"]
    assert "还须主任签名" in body["message"]
    assert r.headers["location"] == f"/v1/communities/{c.community}/proposals/{body['id']}"
    return body


def test_a_proposal_is_kept_listed_to_members_and_appended_by_the_last_signature(
        served: Served) -> None:
    c, client = served.committee, served.client
    base = f"/v1/communities/{c.community}"
    p = propose_grant(served)
    size = c.app.size(c.community)
    problem(client.get(f"{base}/proposals"), 401, "session-required")
    problem(client.get(f"{base}/proposals/{p['id']}"), 401, "session-required")
    session = sign_in(served, c.keys["supervisor"])
    assert session.status_code == 201, session.text
    cookie = session.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie
    assert f"max-age={SESSION_SECONDS}" in cookie and "secure" not in cookie  # plain http here
    token = session.json()["token"]
    # the cookie (kept by the client) and the bearer token each open the member-only reads
    listed = client.get(f"{base}/proposals")
    assert listed.status_code == 200 and [x["id"] for x in listed.json()["proposals"]] == [p["id"]]
    with httpx.Client(base_url=served.url) as cli:
        one = cli.get(f"{base}/proposals/{p['id']}", headers={"Authorization": f"Bearer {token}"})
        assert one.status_code == 200 and one.json()["statement"] == p["statement"]
        assert "private" not in one.json()
        problem(cli.get(f"{base}/proposals", headers={"Authorization": "Bearer nonsense"}), 401,
                "session-required")
    chair = c.keys["chair"]
    statement = p["statement"].encode()
    with httpx.Client(base_url=served.url) as anonymous:  # no session: the signature suffices
        r = anonymous.post(f"{base}/proposals/{p['id']}/signatures",
                           json={"key_id": chair.key_id, "signature": b64(chair.private.sign(statement))})
    assert r.status_code == 201, r.text
    assert r.json()["index"] == size and c.app.size(c.community) == size + 1
    done = client.get(f"{base}/proposals/{p['id']}").json()
    assert done["status"] == "appended" and done["log_index"] == size
    # signed enough already: simply recorded
    grant = {**__import__("json").loads(p["statement"])["body"], "grant_id": "g2", "amount_fen": 500}
    both = c.cosign(["treasurer", "chair"], "fund.grant_made", grant)
    r = client.post(f"{base}/proposals", json=both.to_json())
    assert r.status_code == 201 and r.json()["index"] == size + 1


def test_sign_in_refuses_replays_expiry_strangers_and_other_origins(served: Served) -> None:
    c, client = served.committee, served.client
    base = f"/v1/communities/{c.community}"
    chair = c.keys["chair"]
    challenge = client.post(f"{base}/auth/challenge").json()["challenge"]
    body = {"challenge": challenge, "key_id": chair.key_id,
            "signature": b64(chair.private.sign(auth_message(c.community, served.url, challenge)))}
    assert client.post(f"{base}/auth/session", json=body).status_code == 201
    problem(client.post(f"{base}/auth/session", json=body), 403, "challenge-invalid")  # replayed
    challenge = client.post(f"{base}/auth/challenge").json()["challenge"]
    c.clock.advance(seconds=121)
    problem(client.post(f"{base}/auth/session", json={
        "challenge": challenge, "key_id": chair.key_id,
        "signature": b64(chair.private.sign(auth_message(c.community, served.url, challenge)))}),
        403, "challenge-expired")
    # the host binds the signature; either scheme (a proxy in front may end TLS)
    challenge = client.post(f"{base}/auth/challenge").json()["challenge"]
    https = served.url.replace("http://", "https://")
    r = client.post(f"{base}/auth/session", headers={"X-Forwarded-Proto": "https"}, json={
        "challenge": challenge, "key_id": chair.key_id,
        "signature": b64(chair.private.sign(auth_message(c.community, https, challenge)))})
    assert r.status_code == 201 and "secure" in r.headers["set-cookie"].lower()
    problem(sign_in(served, chair, origin=served.url.replace("127.0.0.1", "localhost")), 403,
            "signature-invalid")
    problem(sign_in(served, chair, origin=served.url.replace(served.url.rsplit(":", 1)[1], "1")),
            403, "signature-invalid")
    stranger = MemberKey.generate()
    problem(sign_in(served, stranger), 403, "unknown-key")
    problem(sign_in(served, chair, origin="https://phish.example"), 403, "signature-invalid")
    problem(client.post(f"{base}/auth/session", json={"challenge": "x"}), 400, "submission-malformed")
    problem(client.post(f"{base}/auth/session", content=b"\xff\x00"), 400, "body-not-json")
    problem(client.post("/v1/communities/nowhere/auth/challenge"), 404, "community-not-found")


def test_garbage_and_attacks_on_proposals_are_chinese_problems(served: Served) -> None:
    c, client = served.committee, served.client
    base = f"/v1/communities/{c.community}"
    p = propose_grant(served)
    sign_in(served, c.keys["chair"])
    for bad in ("x", "%00", "%E4%B8%AD", "a" * 300, "AAAAAAAAAAAAAAAAAAAAAA"):
        problem(client.get(f"{base}/proposals/{bad}"), 404, "proposal-not-found")
    problem(client.get(f"{base}/proposals/..%2Frecords"), 404, "not-found")
    chair, stranger = c.keys["chair"], MemberKey.generate()
    statement = p["statement"].encode()
    url = f"{base}/proposals/{p['id']}/signatures"
    problem(client.post(url, json={"key_id": "zz", "signature": "nope"}), 400, "submission-malformed")
    problem(client.post(url, content=b"[1,2"), 400, "body-not-json")
    problem(client.post(f"{base}/proposals/{'b' * 22}/signatures", json={
        "key_id": chair.key_id, "signature": b64(chair.private.sign(statement))}),
        404, "proposal-not-found")
    problem(client.post(url, json={"key_id": stranger.key_id,
                                   "signature": b64(stranger.private.sign(statement))}),
            403, "unknown-key")
    problem(client.post(url, json={"key_id": chair.key_id,
                                   "signature": b64(chair.private.sign(statement + b" "))}),
            403, "signature-invalid")
    problem(client.post(url, json={"key_id": c.keys["supervisor"].key_id,
                                   "signature": b64(c.keys["supervisor"].private.sign(statement))}),
            403, "cosigner-not-needed")
    problem(client.post(f"{base}/proposals", json={"statement": "{}"}), 400, "submission-malformed")
    c.clock.advance(days=14, seconds=1)
    problem(client.post(url, json={"key_id": chair.key_id,
                                   "signature": b64(chair.private.sign(statement))}),
            409, "proposal-expired")
    sign_in(served, c.keys["chair"])
    listed = client.get(f"{base}/proposals?status=expired").json()["proposals"]
    assert [x["id"] for x in listed] == [p["id"]] and listed[0]["missing"] == []
    problem(client.get(f"{base}/proposals?status=bogus"), 400, "invalid-parameter")


def test_the_openapi_document_describes_sign_in_and_proposals(served: Served) -> None:
    doc = served.client.get("/openapi.json").json()
    paths = doc["paths"]
    for path in ("/v1/communities/{community}/auth/challenge",
                 "/v1/communities/{community}/auth/session",
                 "/v1/communities/{community}/proposals",
                 "/v1/communities/{community}/proposals/{proposal}",
                 "/v1/communities/{community}/proposals/{proposal}/signatures"):
        assert path in paths, path
    assert paths["/v1/communities/{community}/proposals"]["get"]["security"] == [{"memberSession": []}]
    assert "202" in paths["/v1/communities/{community}/proposals"]["post"]["responses"]
    assert "memberSession" in doc["components"]["securitySchemes"]


def test_a_session_ends_after_15_minutes_or_when_its_member_leaves_office(served: Served) -> None:
    c, client = served.committee, served.client
    base = f"/v1/communities/{c.community}"
    assert sign_in(served, c.keys["member"]).status_code == 201
    assert client.get(f"{base}/proposals").status_code == 200
    c.clock.advance(seconds=SESSION_SECONDS + 1)
    problem(client.get(f"{base}/proposals"), 401, "session-expired")
    assert sign_in(served, c.keys["member"]).status_code == 201
    c.record(["chair", "supervisor"], "member.revoked", {"member_id": "member", "reason": "辞职"})
    problem(client.get(f"{base}/proposals"), 401, "session-not-in-office")
    problem(sign_in(served, c.keys["member"]), 403, "key-revoked")


def test_an_objection_holds_a_proposal_and_the_answer_posted_as_a_record_releases_it(
        served: Served) -> None:
    """Over HTTP, as a client nobody here wrote would do it: the 监督 objects to a proposal, the
    主任's co-signature then leaves it pending (held), and the answer posted to ``/records``
    appends it."""
    c, client = served.committee, served.client
    base = f"/v1/communities/{c.community}"
    p = propose_grant(served)
    objection = c.sign("supervisor", "oversight.objection_raised", {
        "objection_id": "O1", "proposal_id": p["id"], "reason": "拨付对象未公示，请先说明。",
        "raised_on": "2025-03-01"})
    assert client.post(f"{base}/records", json=objection.to_json()).status_code == 201
    size = c.app.size(c.community)
    chair = c.keys["chair"]
    r = client.post(f"{base}/proposals/{p['id']}/signatures", json={
        "key_id": chair.key_id, "signature": b64(chair.private.sign(p["statement"].encode()))})
    assert r.status_code == 200, r.text  # the proposal as it stands: signed, but held
    assert r.json()["status"] == "pending" and "异议" in r.json()["held"]
    assert c.app.size(c.community) == size
    answer = c.sign("chair", "oversight.objection_answered", {
        "objection_id": "O1", "answer": "拨付对象已在三月公示栏公示。", "answered_on": "2025-03-01"})
    assert client.post(f"{base}/records", json=answer.to_json()).status_code == 201
    assert c.app.size(c.community) == size + 2  # the answer, then the released grant
    assert sign_in(served, c.keys["supervisor"]).status_code == 201
    done = client.get(f"{base}/proposals/{p['id']}").json()
    assert done["status"] == "appended" and done["log_index"] == size + 1

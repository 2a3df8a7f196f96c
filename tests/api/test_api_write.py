"""The write path: a signed statement in, a durable log entry and its inclusion proof out."""

from __future__ import annotations

import base64

import httpx
import pytest

from ledger.crypto.merkle import leaf_hash, verify_inclusion
from ledger.crypto.proof_file import verify_proof_file
from tests.api.conftest import Served
from tests.api.helpers import check_receipt, disclosure, read_log, root_of, verifier

RECORDS = "/v1/communities/testcom/records"


def test_201_carries_the_entry_index_and_a_verifiable_inclusion_proof(served: Served) -> None:
    size_before = served.committee.app.size("testcom")
    sub = disclosure(served.committee, 1)
    r = served.client.post(RECORDS, json=sub.to_json())
    assert r.status_code == 201, r.text
    receipt = r.json()
    assert receipt["index"] == size_before and receipt["duplicate"] is False
    assert r.headers["location"] == f"{RECORDS}/{size_before}"
    v = verifier(served.client, "testcom")
    entries = read_log(served.client, "testcom", receipt["tree_size"])
    cp = check_receipt(receipt, v, entries[receipt["index"]])
    assert root_of(entries) == cp.root_hash
    # the offline proof file verifies on its own, with nothing but the log's key
    verify_proof_file(receipt["proof"], leaf_hash(entries[receipt["index"]]), [v])
    # and the record reads back at its Location
    back = served.client.get(r.headers["location"]).json()
    assert back["index"] == receipt["index"] and back["kind"] == "disclosure.published"


def test_the_same_statement_twice_is_one_record(served: Served) -> None:
    sub = disclosure(served.committee, 2)
    first = served.client.post(RECORDS, json=sub.to_json())
    again = served.client.post(RECORDS, json=sub.to_json())
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["duplicate"] is True and again.json()["index"] == first.json()["index"]
    assert served.committee.app.size("testcom") == first.json()["index"] + 1


def _problem(r: httpx.Response, status: int, code: str) -> dict[str, object]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/problem+json"
    body = r.json()
    assert body["type"] == f"/problems/{code}" and body["code"] == code
    assert body["status"] == status
    assert isinstance(body["detail"], str) and any("\u4e00" <= ch <= "\u9fff"
                                                   for ch in body["detail"])
    return dict(body)


@pytest.mark.parametrize(("mutate", "status", "code"), [
    (lambda j: {**j, "signature": base64.b64encode(bytes(64)).decode()}, 403, "signature-invalid"),
    (lambda j: {**j, "key_id": "0123456789abcdef"}, 403, "unknown-key"),
    (lambda j: {k: v for k, v in j.items() if k != "signature"}, 400, "submission-malformed"),
    (lambda j: {**j, "statement": j["statement"].replace('"v":1', '"v":2')}, 400,
     "statement-version"),
    (lambda j: {**j, "statement": " " + j["statement"]}, 400, "not-canonical"),
    (lambda j: [j], 400, "submission-malformed"),
])
def test_bad_submissions_are_4xx_problems_and_record_nothing(served: Served, mutate: object,
                                                             status: int, code: str) -> None:
    size = served.committee.app.size("testcom")
    good = disclosure(served.committee, 3).to_json()
    r = served.client.post(RECORDS, json=mutate(good))  # type: ignore[operator]
    _problem(r, status, code)
    assert served.committee.app.size("testcom") == size


def test_rules_and_roles_are_enforced(served: Served) -> None:
    c = served.committee
    size = c.app.size("testcom")
    # a supervisor may not open a fund
    r = served.client.post(RECORDS, json=c.sign("supervisor", "fund.opened", {
        "fund_id": "f9", "name": "基金", "purpose": "用途", "opened_on": "2025-03-01"}).to_json())
    _problem(r, 403, "role-not-permitted")
    # a grant beyond any decision is refused by the rules
    r = served.client.post(RECORDS, json=c.cosign(["treasurer", "chair"], "fund.grant_made", {
        "fund_id": "nope", "grant_id": "g1", "amount_fen": 100, "purpose": "x",
        "decision_id": "d1", "granted_on": "2025-03-01"}).to_json())
    assert r.status_code in (404, 422) and r.headers["content-type"] == "application/problem+json"
    # a statement signed for another community, posted here
    other = c.keys["member"].sign(__import__("ledger.signing", fromlist=["Statement"]).Statement(
        "othercom", "disclosure.published", c.clock(), {"disclosure_id": "x"}))
    _problem(served.client.post(RECORDS, json=other.to_json()), 400, "community-mismatch")
    # personal data in public text
    r = served.client.post(RECORDS, json=c.sign("member", "disclosure.published", {
        "disclosure_id": "p1", "category": "other", "period": "2025", "title": "联系",
        "body": "请联系 13800138000"}).to_json())
    assert r.status_code in (400, 422)
    assert c.app.size("testcom") == size


def test_a_replayed_old_statement_is_refused(served: Served) -> None:
    c = served.committee
    old = disclosure(c, 4)
    c.clock.advance(hours=25)
    _problem(served.client.post(RECORDS, json=old.to_json()), 400, "stale-statement")


def test_unknown_community_and_not_json(served: Served) -> None:
    sub = disclosure(served.committee, 5).to_json()
    _problem(served.client.post("/v1/communities/nowhere/records", json=sub), 404,
             "community-not-found")
    _problem(served.client.post(RECORDS, content=b"{not json",
                                headers={"content-type": "application/json"}), 400,
             "body-not-json")
    _problem(served.client.post(RECORDS, content=b"x", headers={"content-type": "text/plain"}),
             415, "unsupported-media-type")


def test_bodies_over_64_kib_are_refused_before_reading(served: Served) -> None:
    size = served.committee.app.size("testcom")
    big = b"{" + b" " * (64 * 1024) + b"}"
    _problem(served.client.post(RECORDS, content=big,
                                headers={"content-type": "application/json"}), 413,
             "body-too-large")

    def chunks() -> object:
        for _ in range(80):
            yield b" " * 1024

    r = served.client.post(RECORDS, content=chunks(),  # type: ignore[arg-type]
                           headers={"content-type": "application/json"})
    _problem(r, 413, "body-too-large")
    assert served.committee.app.size("testcom") == size


def test_inclusion_proof_endpoint(served: Served) -> None:
    size = served.committee.app.size("testcom")
    r = served.client.get("/v1/communities/testcom/proofs/inclusion",
                          params={"index": 2, "size": size})
    assert r.status_code == 200
    body = r.json()
    cp = served.client.get("/log/testcom/checkpoint").text
    from tests.api.helpers import open_checkpoint

    checkpoint = open_checkpoint(cp, verifier(served.client, "testcom"))
    entry = read_log(served.client, "testcom", size)[2]
    assert body["leaf_hash"] == base64.b64encode(leaf_hash(entry)).decode()
    verify_inclusion(2, size, leaf_hash(entry), [base64.b64decode(h) for h in body["hashes"]],
                     checkpoint.root_hash)
    for params in ({"index": size, "size": size}, {"index": 0, "size": size + 1},
                   {"index": "x", "size": 1}, {"index": 0}):
        r = served.client.get("/v1/communities/testcom/proofs/inclusion", params=params)
        assert r.status_code == 400 and r.headers["content-type"] == "application/problem+json"


def test_a_chinese_label_in_a_signed_body_is_refused_with_the_allowed_values(
        served: Served) -> None:
    size = served.committee.app.size("testcom")
    sub = served.committee.sign("member", "disclosure.published", {
        "disclosure_id": "label-1", "category": "协商结果", "period": "2025-03",
        "title": "公开事项", "body": "本月公开内容。"})
    body = _problem(served.client.post(RECORDS, json=sub.to_json()), 400, "invalid-input")
    detail = str(body["detail"])
    assert "“协商结果”是标签，签名内容须写取值 consultation" in detail
    assert "decision（决策及执行）" in detail and "other（其他）" in detail
    assert served.committee.app.size("testcom") == size

"""The per-key rate limit, attacked from outside: anyone may claim a member's key ID, so only
statements whose signature verified against that key are charged to it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx

from ledger.api import Settings, create_app
from ledger.signing import MemberKey, Statement
from tests.api.helpers import disclosure, live
from tests.committee import Committee

RECORDS = "/v1/communities/testcom/records"
BAD_SIGNATURE = "A" * 86 + "=="


def garbage_in_the_name_of(c: Committee, who: str, published: dict[str, Any]) -> list[
        dict[str, Any]]:
    """Posts anyone can make that claim ``who``'s key ID without ``who``'s signature."""
    key_id = c.keys[who].key_id
    intruder = MemberKey.from_seed(b"\x66" * 32)
    body = {"disclosure_id": "evil", "category": "other", "period": "2025-03", "title": "冒名",
            "body": "冒名内容。"}

    def claimed(statement: Statement) -> dict[str, Any]:
        signed = intruder.sign(statement)
        return {"statement": signed.statement.decode(), "signature": BAD_SIGNATURE,
                "key_id": key_id}

    return [
        {"statement": "not a statement", "signature": BAD_SIGNATURE, "key_id": key_id},
        {"statement": '{"v":1,"kind":"disclosure.published"}', "signature": BAD_SIGNATURE,
         "key_id": key_id},
        claimed(Statement(c.community, "disclosure.published", c.clock(), body)),
        claimed(Statement(c.community, "disclosure.published",
                          c.clock() - timedelta(days=3), body)),  # stale as well
        claimed(Statement(c.community, "no.such_kind", c.clock(), body)),
        claimed(Statement("othercom", "disclosure.published", c.clock(), body)),
        claimed(Statement(c.community, "disclosure.published", c.clock(), {"title": "缺字段"})),
        {**published, "signature": BAD_SIGNATURE},  # the published record, signature garbled
        published,  # the published record replayed as it is: a duplicate
    ]


def test_posts_claiming_a_key_id_never_lock_out_its_owner(committee: Committee) -> None:
    app = create_app(committee.app, Settings(rate_per_address=0, rate_per_key=0.01,
                                             burst_per_key=3))
    with live(app) as url, httpx.Client(base_url=url) as chair, \
            httpx.Client(base_url=url) as attacker:
        first = disclosure(committee, 0, who="chair").to_json()
        assert chair.post(RECORDS, json=first).status_code == 201
        garbage = garbage_in_the_name_of(committee, "chair", first)
        answers = {attacker.post(RECORDS, json=garbage[n % len(garbage)]).status_code
                   for n in range(70)}
        assert answers <= {200, 400, 403, 404, 422}, answers
        assert 429 not in answers
        real = disclosure(committee, 1, who="chair").to_json()
        r = chair.post(RECORDS, json=real)
        assert r.status_code == 201, r.text


def test_the_owners_own_signed_statements_use_up_the_key(committee: Committee) -> None:
    """Refusals after the signature verified are the owner's doing: they count."""
    app = create_app(committee.app, Settings(rate_per_address=0, rate_per_key=0.01,
                                             burst_per_key=3))
    with live(app) as url, httpx.Client(base_url=url) as client:
        assert client.post(RECORDS, json=disclosure(committee, 0).to_json()).status_code == 201
        again = disclosure(committee, 0).to_json()  # the same disclosure ID, signed anew
        codes = [client.post(RECORDS, json=again).status_code for _ in range(2)]
        assert codes[0] == codes[1] and 400 <= codes[0] < 500 and codes[0] != 429
        r = client.post(RECORDS, json=disclosure(committee, 1).to_json())
        assert r.status_code == 429 and r.json()["code"] == "rate-limited-key"
        assert client.post(RECORDS, json=disclosure(committee, 2, who="chair").to_json()
                           ).status_code == 201


def test_the_address_limit_still_stops_the_attacker(committee: Committee) -> None:
    app = create_app(committee.app, Settings(rate_per_address=0.01, burst_per_address=5,
                                             rate_per_key=0.01, burst_per_key=3))
    with live(app) as url, httpx.Client(base_url=url) as attacker:
        garbage = garbage_in_the_name_of(committee, "chair", {
            "statement": "x", "signature": BAD_SIGNATURE, "key_id": committee.keys["chair"].key_id})
        codes = [attacker.post(RECORDS, json=garbage[n % 7]).status_code for n in range(8)]
        assert 429 not in codes[:5] and codes[5:] == [429, 429, 429]
        assert attacker.post(RECORDS, json=garbage[0]).json()["code"] == "rate-limited-address"

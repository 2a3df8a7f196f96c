"""Where a member key is registered -- the founding statement, an admission, a rotation -- a weak
key is refused with the code ``weak-key``, by the one acceptance function the ledger and the
auditor both run; so is a founding "signed" for the identity key with the fixed fake signature."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from ledger.acceptance import accept
from ledger.application import Sunlight
from ledger.domain import member
from ledger.domain.errors import InvalidInput, SignatureInvalid
from ledger.domain.member import key_id_of
from ledger.domain.state import CommunityState, parse_body
from ledger.signing import MemberKey, Statement, Submission
from publisher.records import read_records
from tests.committee import Committee

VECTORS = json.loads((Path(__file__).resolve().parents[1] / "vectors" / "ed25519-edge.json")
                     .read_text(encoding="utf-8"))
WEAK = {c["desc"]: base64.b64encode(bytes.fromhex(c["public_key"])).decode()
        for c in VECTORS if not c["key_ok"] and len(c["public_key"]) == 64}
IDENTITY = base64.b64encode(bytes([1]) + bytes(31)).decode()
FAKE_SIGNATURE = bytes([1]) + bytes(31) + bytes(32)  # R = identity, S = 0
AT = datetime(2025, 3, 1, 2, 0, tzinfo=UTC)


def bodies(key: str) -> list[tuple[str, dict[str, Any], str]]:
    return [
        ("community.founded", {"name": "测试社区", "founder_id": "chair", "founder_name": "王主任",
                               "founder_public_key": key, "term_start": "2024-01-01"}, "founder_public_key"),
        ("member.admitted", {"member_id": "m1", "name": "李委员", "role": "member", "public_key": key,
                             "term_start": "2024-01-01"}, "public_key"),
        ("member.key_rotated", {"member_id": "m1", "public_key": key}, "public_key"),
    ]


@pytest.mark.parametrize("desc", sorted(WEAK))
def test_every_body_that_registers_a_key_refuses_a_weak_one(desc: str) -> None:
    for kind, body, field in bodies(WEAK[desc]):
        with pytest.raises(InvalidInput) as refused:
            parse_body(kind, body)
        assert refused.value.code == "weak-key" and refused.value.field == field
        assert "公钥不安全，不能登记" in refused.value.message


def test_real_keys_are_registered() -> None:
    key = MemberKey.from_seed(b"\x09" * 32).public_b64
    for kind, body, _ in bodies(key):
        parse_body(kind, body)


def test_a_founding_signed_for_the_identity_key_is_refused() -> None:
    """Before: the fixed fake signature verified, and the community was founded by nobody."""
    _, body, _ = bodies(IDENTITY)[0]
    statement = Statement("weak", "community.founded", AT, body)
    domain = CommunityState("weak")
    with pytest.raises(InvalidInput) as refused:
        accept(domain, statement.to_bytes(), statement, FAKE_SIGNATURE, key_id_of(IDENTITY))
    assert refused.value.code == "weak-key"
    assert domain.community is None and domain.size == 0


def test_a_ledger_written_before_the_rule_still_loads_and_its_weak_key_signs_nothing(
        sqlite_url: str, committee: Committee, monkeypatch: pytest.MonkeyPatch) -> None:
    """An old ledger registered the identity key (simulated by switching the key check off for one
    admission). The upgraded ledger still loads the log and its projections, refuses what is
    "signed" for the weak key with the fake signature, and lets the 主任 rotate the key away."""
    with monkeypatch.context() as old_release:
        old_release.setattr(member, "check_public_key", lambda raw: None)
        committee.record(["chair", "supervisor"], "member.admitted", {
            "member_id": "weak", "name": "新委员", "role": "member", "public_key": IDENTITY,
            "term_start": "2024-01-01"})
    app = Sunlight(sqlite_url, clock=committee.clock)  # the upgraded ledger on the same database
    size = app.size(committee.community)
    committee.app = app
    statement = Statement(committee.community, "disclosure.published", committee.clock(), {
        "disclosure_id": "F1", "category": "other", "period": "2025", "title": "伪造", "body": "无人签名"})
    with pytest.raises(SignatureInvalid) as refused:
        app.submit(Submission(statement.to_bytes(), FAKE_SIGNATURE, key_id_of(IDENTITY)))
    assert refused.value.code == "weak-key" and "不接受用它签名的记录" in refused.value.message
    assert app.size(committee.community) == size
    assert [r.kind for r in read_records(app.entries(committee.community))][-1] == "member.admitted"
    fresh = MemberKey.from_seed(b"\x44" * 32)
    committee.record("chair", "member.key_rotated", {"member_id": "weak", "public_key": fresh.public_b64})
    assert app.size(committee.community) == size + 1

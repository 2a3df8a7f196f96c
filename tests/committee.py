"""A small committee for tests: keys, a controllable clock, and one-line signed submissions."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from ledger.application import Receipt, Sunlight
from ledger.signing import MemberKey, PrivateRecord, Statement, Submission

COMMUNITY = "testcom"
START = datetime(2025, 3, 1, 2, 0, tzinfo=UTC)


@dataclass
class Clock:
    now: datetime = START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> None:
        self.now += timedelta(**kwargs)


def member_keys() -> dict[str, MemberKey]:
    """The committee's keys (fixed seeds: the same in every test and in tests/fixtures)."""
    return {name: MemberKey.from_seed(bytes([n + 1]) * 32)
            for n, name in enumerate(["chair", "member", "treasurer", "supervisor", "spare"])}


@dataclass
class Committee:
    app: Sunlight
    clock: Clock
    keys: dict[str, MemberKey] = field(default_factory=dict)
    community: str = COMMUNITY

    @classmethod
    def found(cls, db_url: str, community: str = COMMUNITY, log_seed: bytes | None = None
              ) -> Committee:
        """Founds the community as the operator does (its log key kept in the database)."""
        clock = Clock()
        c = cls(Sunlight(db_url, clock=clock), clock, member_keys(), community=community)
        c.app.found([c.founding()], origin=f"test.example/{community}",
                    key_seed=log_seed or os.urandom(32))
        c.record("chair", "community.estate_added", {"estate_id": "e1", "name": "一期"})
        c.record("chair", "community.estate_added", {"estate_id": "e2", "name": "二期"})
        for role in ("member", "treasurer", "supervisor"):
            # from three members in office on, an admission is co-signed (the default policy)
            c.record(["chair", "member"] if role == "supervisor" else "chair", "member.admitted", {
                "member_id": role, "name": f"{role}-name", "role": role,
                "public_key": c.keys[role].public_b64, "term_start": "2024-01-01",
                "term_end": "2027-12-31"})
        return c

    def founding(self, who: str = "chair", name: str = "测试社区") -> Submission:
        """The ``community.founded`` statement, signed by ``who`` as the founder."""
        return self.sign(who, "community.founded", {
            "name": name, "founder_id": who, "founder_name": "王主任",
            "founder_public_key": self.keys[who].public_b64, "term_start": "2024-01-01",
            "term_end": "2027-12-31", "policy": "default"})

    def sign(self, who: str, kind: str, body: dict[str, Any],
             private: tuple[PrivateRecord, ...] = (), at: datetime | None = None) -> Submission:
        self.clock.advance(seconds=1)
        signed = self.keys[who].sign(Statement(self.community, kind, at or self.clock(), body))
        return Submission(signed.statement, signed.signature, signed.key_id, private)

    def cosign(self, who: list[str], kind: str, body: dict[str, Any],
               private: tuple[PrivateRecord, ...] = (), at: datetime | None = None) -> Submission:
        """One statement signed by every member in ``who`` (a version 2 entry for two or more)."""
        submission = self.sign(who[0], kind, body, private, at)
        for other in who[1:]:
            submission = self.keys[other].cosign(submission)
        return submission

    def record(self, who: str | list[str], kind: str, body: dict[str, Any],
               private: tuple[PrivateRecord, ...] = ()) -> Receipt:
        """Signed by ``who``, or by every member of a list ``who`` together."""
        signers = [who] if isinstance(who, str) else who
        return self.app.submit(self.cosign(signers, kind, body, private))

    # common records

    def fund(self, fund_id: str = "f1") -> Receipt:
        return self.record("treasurer", "fund.opened", {
            "fund_id": fund_id, "name": "微基金", "purpose": "资助小项目", "opened_on": "2025-03-01"})

    def donate(self, donation_id: str, amount_fen: int, restriction: str = "general",
               fund_id: str = "f1", **extra: Any) -> Receipt:
        private = PrivateRecord.commit({"name": "张三", "phone": "13800138000"})
        body = {"fund_id": fund_id, "donation_id": donation_id, "amount_fen": amount_fen,
                "restriction": restriction, "channel": "cash", "receipt_no": f"R-{donation_id}",
                "received_on": "2025-03-01", "donor_commitment": private.commitment} | extra
        return self.record("treasurer", "fund.donation_recorded", body, (private,))

    def decide(self, decision_id: str, authorises: list[dict[str, Any]] | None = None,
               votes: tuple[int, int, int] = (4, 1, 0), passed: bool = True,
               present: int = 5, eligible: int = 7) -> Receipt:
        meeting_id = f"M-{decision_id}"
        self.record("member", "decision.meeting_held", {
            "meeting_id": meeting_id, "body": "residents_committee", "title": "例会",
            "held_on": "2025-03-01", "attendance": {"eligible": eligible, "present": present}})
        return self.record("member", "decision.resolved", {
            "decision_id": decision_id, "meeting_id": meeting_id, "agenda_item": "议题",
            "votes": {"for": votes[0], "against": votes[1], "abstain": votes[2]},
            "passed": passed, "resolution": "决议内容", "authorises": authorises or []})

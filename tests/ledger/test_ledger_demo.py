"""The demo community: a deterministic year of every record kind, through the signed path."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from ledger.application import Sunlight
from ledger.demo import COMMUNITY, build_demo
from ledger.domain.state import BODY_TYPES
from ledger.signing import Entry, Statement


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Sunlight:
    app = Sunlight(f"sqlite:///{tmp_path_factory.mktemp('demo') / 'demo.db'}")
    build_demo(app)
    return app


def test_every_kind_over_twelve_months(demo: Sunlight) -> None:
    kinds: Counter[str] = Counter()
    months = set()
    for _, raw in demo.entries(COMMUNITY):
        st = Statement.from_bytes(Entry.decode(raw).statement)
        kinds[st.kind] += 1
        months.add((st.at.year, st.at.month))
    assert set(kinds) == set(BODY_TYPES), set(BODY_TYPES) - set(kinds)
    assert len({m for m in months if m[0] == 2025}) == 12
    assert kinds["fund.donation_recorded"] >= 60 and kinds["fee.spend_recorded"] >= 100
    state = demo.state(COMMUNITY)
    assert state.community is not None and state.community.name == "幸福里社区"
    assert len(state.community.estates) == 2
    assert all(f.balance >= 0 for f in state.funds.values())


def test_deterministic(demo: Sunlight, tmp_path: Path) -> None:
    again = Sunlight(f"sqlite:///{tmp_path / 'again.db'}")
    build_demo(again)
    assert again.checkpoint(COMMUNITY) == demo.checkpoint(COMMUNITY)


def test_personal_data_stays_private(demo: Sunlight) -> None:
    private = demo.private_records(COMMUNITY)
    people = [r for r in private if "phone" in r["data"]]  # type: ignore[operator]
    assert len(people) >= 40
    log = b"".join(raw for _, raw in demo.entries(COMMUNITY)).decode()
    for record in people:
        data = record["data"]
        assert isinstance(data, dict)
        assert data["phone"] not in log and data["name"] not in log


def test_one_grant_proposal_was_never_co_signed_and_expired(demo: Sunlight) -> None:
    from ledger.proposals import Proposals

    (expired,) = Proposals(demo).listing(COMMUNITY)
    assert expired.status == "expired" and expired.row.kind == "fund.grant_made"
    assert expired.row.private is None and len(expired.row.signatures) == 1
    assert (expired.row.closed_at - expired.row.expires_at).days < 31  # by the demo's clock
    assert expired.row.expires_at.year == 2025
    grants = [Statement.from_bytes(Entry.decode(raw).statement).body.get("grant_id")
              for _, raw in demo.entries(COMMUNITY)]
    assert "G2025Q3-draft" not in grants and "G2025Q3" in grants

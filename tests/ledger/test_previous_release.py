"""A database written by an earlier release (``tests/fixtures/previous_release``, made at
da62944) opens with today's code: it reads, verifies, takes new signed records and verifies again.

The fixture is SQLite; the same flows on a fresh PostgreSQL database are the storage cases that
run on both backends. What PostgreSQL adds here is the schema: today's code creates, on either
backend, the tables and columns the earlier release wrote.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, inspect, text
from typer.testing import CliRunner

import ledger.cli.log  # noqa: F401  (registers the commands)
from ledger.application import Sunlight
from ledger.cli.root import app as cli
from ledger.crypto.checkpoint import Checkpoint
from ledger.crypto.cosignature import CosignatureSigner
from ledger.crypto.merkle import leaf_hash, verify_inclusion
from ledger.crypto.note import Verifier, split_note
from ledger.domain.errors import Conflict
from ledger.signing import PrivateRecord
from ledger.tlog.cosignatures import published_checkpoint
from ledger.tlog.push import push_checkpoint
from ledger.tlog.witness import Witness
from tests.committee import Clock, Committee, member_keys

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "previous_release"
FACTS: dict[str, Any] = json.loads((FIXTURE / "fixture.json").read_text())
WITNESS_SEED = hashlib.sha256(b"sunlight fixture witness key").digest()

runner = CliRunner()


def sunlight(*args: str) -> tuple[int, str]:
    result = runner.invoke(cli, list(args))
    return result.exit_code, result.output + (result.stderr if result.stderr_bytes is not None else "")


@pytest.fixture
def old_db(tmp_path: Path) -> str:
    """A copy of the earlier release's database (the committed file is never written)."""
    shutil.copyfile(FIXTURE / "sunlight.db", tmp_path / "sunlight.db")
    return f"sqlite:///{tmp_path / 'sunlight.db'}"


@pytest.fixture
def committee(old_db: str, tmp_path: Path) -> Committee:
    """The fixture community's committee, a day after its last record, on today's code."""
    clock = Clock(datetime.fromisoformat(FACTS["last_accepted_at"]) + timedelta(days=1))
    app = Sunlight(old_db, clock=clock, log_key_dir=tmp_path / "keys")
    return Committee(app, clock, member_keys(), community=FACTS["community"])


def root(checkpoint: str) -> Checkpoint:
    return Checkpoint.parse(split_note(checkpoint)[0])


def test_reads_what_the_earlier_release_wrote(committee: Committee) -> None:
    app, community = committee.app, committee.community
    assert [(i.community_id, i.origin, i.verifier_key) for i in app.communities()] == [
        (community, FACTS["origin"], FACTS["verifier_key"])]
    assert app.size(community) == FACTS["size"] == 17
    assert app.checkpoint(community) == FACTS["checkpoint"]
    assert published_checkpoint(app, community) == FACTS["published_checkpoint"]
    state = app.state(community)
    assert state.community is not None and set(state.community.estates) == {"e1", "e2"}
    assert set(state.members) == {"chair", "member", "treasurer", "supervisor"}
    assert len(state.disclosures["D1"].corrections) == 1
    assert state.funds["f1"].balance == 70_000
    fees = state.fees["e1"]
    assert set(fees.income) == {"i1"} and set(fees.spends) == {"s1", "s2"}
    assert fees.remaining(2025, "elevators") == 10_000 - 46_000
    assert state.decisions["R1"].passed
    # private data: the forgotten donor's record is gone, the other is there
    assert [(r["commitment"], r["data"]) for r in app.private_records(community)] == [
        (FACTS["kept_commitment"], {"name": "张三", "phone": "13800138000"})]
    # the tree hashes: every entry's inclusion in the stored checkpoint
    checkpoint = root(FACTS["checkpoint"])
    for index, entry in app.entries(community):
        verify_inclusion(index, checkpoint.size, leaf_hash(entry),
                         app.inclusion_proof(community, index, checkpoint.size), checkpoint.root_hash)


def test_export_verifies_then_appends_and_verifies_again(committee: Committee, old_db: str,
                                                         tmp_path: Path) -> None:
    app, community = committee.app, committee.community
    out, trusted = tmp_path / "log", tmp_path / "trusted"
    assert sunlight("log", "export", str(out), "-c", community, "--db", old_db)[0] == 0
    witness = CosignatureSigner.from_seed("witness.example/fixture", WITNESS_SEED)
    assert witness.verifier_key() == FACTS["witness_key"]
    code, output = sunlight("verify", str(out), "--key", FACTS["verifier_key"], "--witness",
                            FACTS["witness_key"], "--quorum", "1", "--save-checkpoint", str(trusted))
    assert code == 0 and "17 条记录" in output, output
    assert trusted.read_text() == FACTS["published_checkpoint"]

    receipt = committee.record("member", "disclosure.published", {
        "disclosure_id": "D2", "category": "other", "period": "2025-03", "title": "新公告",
        "body": "今天的代码写入的第一条记录。"})
    assert receipt.index == 17 and not receipt.duplicate
    proof = receipt.inclusion_proof()
    assert proof is not None
    entry = dict(app.entries(community, 17))[17]
    verify_inclusion(17, 18, leaf_hash(entry), proof, root(receipt.checkpoint).root_hash)
    # the witness state in the same file: it cosigns the new size, consistent with what it held
    core = Witness(witness, [Verifier.from_key_string(FACTS["verifier_key"])], app.store.witness_state())

    def post(_url: str, body: bytes) -> tuple[int, bytes]:
        answer = core.add_checkpoint(body)
        return answer.status, answer.body.encode()

    pushed = push_checkpoint(app, community, "http://witness.invalid/", witness.verifier(), post)
    assert (pushed.old_size, pushed.size) == (17, 18)

    assert sunlight("log", "export", str(out), "-c", community, "--db", old_db)[0] == 0
    code, output = sunlight("verify", str(out), "--key", FACTS["verifier_key"], "--witness",
                            FACTS["witness_key"], "--quorum", "1", "--trusted", str(trusted))
    assert code == 0 and "18 条记录" in output, output
    # the entries written today are stored under the event topic the earlier release wrote
    with app.store.engine.connect() as conn:
        topics = conn.execute(text("SELECT DISTINCT topic FROM sunlight_events")).scalars().all()
    assert topics == ["ledger.persistence:CommunityLog.EntryAppended"]


def test_remembers_salts_and_takes_a_founding_by_its_invitation(committee: Committee) -> None:
    app = committee.app
    # the forgotten donor's salt is still remembered: it is refused once more
    salt = hashlib.sha256(b"sunlight fixture salt d2").digest()
    reused = PrivateRecord.commit({"name": "王五", "phone": "13700137000"}, salt=salt)
    with pytest.raises(Conflict) as refused:
        committee.record("treasurer", "fund.donation_recorded", {
            "fund_id": "f1", "donation_id": "d3", "amount_fen": 100, "channel": "cash",
            "receipt_no": "R-d3", "received_on": "2025-03-02", "donor_commitment": reused.commitment},
            (reused,))
    assert refused.value.code == "salt-reused"
    # the unused invitation founds the second community
    invitation = FACTS["invitation"]
    second = Committee(app, committee.clock, member_keys(), community=invitation["community"])
    receipts = app.found_by_invitation(invitation["community"], invitation["token"],
                                       [second.founding(name=invitation["name"])])
    assert [r.index for r in receipts] == [0]
    assert [i.community_id for i in app.communities()] == [FACTS["community"], "fixture2"]
    assert app.forget(FACTS["community"], FACTS["kept_commitment"]) == 1
    assert app.private_records(FACTS["community"]) == []


# Tables added since the fixture was written (created beside the earlier ones, which stay as
# they were): proposals, sign-in challenges and sessions, snapshots of folded state, the
# witnesses a community's checkpoints are pushed to, the console's pairing codes.
NEW_TABLES = {"sunlight_proposals", "sunlight_auth_challenges", "sunlight_sessions",
              "sunlight_snapshots", "sunlight_witnesses", "sunlight_pairings"}


def _schema(db_url: str) -> dict[str, tuple[set[str], set[str]]]:
    engine = create_engine(db_url)
    try:
        inspector = inspect(engine)
        return {t: ({c["name"] for c in inspector.get_columns(t)},
                    set(inspector.get_pk_constraint(t)["constrained_columns"]))
                for t in inspector.get_table_names()}
    finally:
        engine.dispose()


def test_today_creates_the_tables_the_earlier_release_wrote(db_url: str, old_db: str,
                                                            tmp_path: Path) -> None:
    fresh = Sunlight(db_url, log_key_dir=tmp_path / "keys")
    fresh.store.witness_state()  # a service that is also a witness
    fresh.close()
    today = _schema(db_url)
    earlier = {t: v for t, v in _schema(old_db).items() if t not in NEW_TABLES}
    assert {t: today.get(t) for t in earlier} == earlier
    assert set(today) == set(earlier) | NEW_TABLES

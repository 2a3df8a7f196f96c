"""Storage cases that every backend must pass: SQLite always, PostgreSQL when reachable."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from sqlalchemy import text

from ledger.application import BatchRejected, Receipt, Sunlight
from ledger.crypto.checkpoint import Checkpoint
from ledger.crypto.merkle import CompactRange, leaf_hash, root_at, verify_consistency, verify_inclusion
from ledger.crypto.note import Verifier, open_note
from ledger.domain.errors import DomainError
from ledger.signing import Entry, Statement, verify_signature
from tests.committee import Committee


@pytest.fixture
def db_url(storage_db_url: str) -> str:
    """Every storage layout: SQLite, PostgreSQL, partitioned by community, with a hot standby."""
    return storage_db_url

def disclosure(n: int) -> dict[str, Any]:
    return {"disclosure_id": f"D{n}", "category": "other", "period": "2025-03",
            "title": f"公开 {n}", "body": "内容"}


def checkpoint_of(app: Sunlight, community: str) -> Checkpoint:
    note = app.checkpoint(community)
    verifier = Verifier.from_key_string(app.community(community).verifier_key)
    opened = open_note(note, [verifier])
    return Checkpoint.parse(opened.text)


def test_records_survive_a_restart_and_the_tree_matches(db_url: str) -> None:
    c = Committee.found(db_url)
    for n in range(20):
        c.record("member", "disclosure.published", disclosure(n))
    again = Sunlight(db_url, clock=c.clock)
    assert again.size(c.community) == 26
    assert set(again.state(c.community).disclosures) == {f"D{n}" for n in range(20)}
    cp = checkpoint_of(again, c.community)
    assert cp.size == 26
    leaves = [leaf_hash(e) for _, e in again.entries(c.community)]
    tree = CompactRange()
    for h in leaves:
        tree.append(h)
    assert tree.root() == cp.root_hash == root_at(26, again.nodes(c.community))
    for index in (0, 7, 25):
        proof = again.inclusion_proof(c.community, index, 26)
        verify_inclusion(index, 26, leaves[index], proof, cp.root_hash)
    old_root = root_at(9, again.nodes(c.community))
    verify_consistency(9, 26, old_root, cp.root_hash, again.consistency_proof(c.community, 9, 26))
    # and the restarted ledger keeps appending where the log ends
    again.submit(c.sign("member", "disclosure.published", disclosure(99)))
    assert again.size(c.community) == 27


def test_every_entry_keeps_the_exact_signed_bytes(db_url: str) -> None:
    c = Committee.found(db_url)
    sub = c.sign("member", "disclosure.published", disclosure(1))
    receipt = c.app.submit(sub)
    (index, raw), = list(c.app.entries(c.community, receipt.index, receipt.index + 1))
    entry = Entry.decode(raw)
    assert index == receipt.index and entry.statement == sub.statement
    assert entry.signature == sub.signature and entry.key_id == sub.key_id
    verify_signature(c.keys["member"].public_b64, entry.statement, entry.signature)


def test_idempotent_across_instances(db_url: str) -> None:
    c = Committee.found(db_url)
    sub = c.sign("member", "disclosure.published", disclosure(1))
    first = c.app.submit(sub)
    other = Sunlight(db_url, clock=c.clock)
    again = other.submit(sub)
    assert again.duplicate and again.index == first.index
    assert other.size(c.community) == c.app.size(c.community) == first.index + 1


def test_many_communities_in_one_database(db_url: str) -> None:
    a = Committee.found(db_url, "alpha")
    b = Committee(Sunlight(db_url, clock=a.clock), a.clock, community="beta")
    b_found = Committee.found(db_url, "beta")
    for n in range(3):
        a.record("member", "disclosure.published", disclosure(n))
    assert a.app.size("alpha") == 9 and b_found.app.size("beta") == 6
    assert {i.community_id for i in b.app.communities()} == {"alpha", "beta"}
    assert checkpoint_of(a.app, "alpha").root_hash != checkpoint_of(a.app, "beta").root_hash


def test_a_bad_row_rejects_the_whole_batch(db_url: str) -> None:
    c = Committee.found(db_url)
    c.fund()
    good = [c.sign("member", "disclosure.published", disclosure(n)) for n in range(3)]
    bad = c.sign("member", "disclosure.published", disclosure(1) | {"title": "重复编号"})
    worse = c.sign("member", "fund.opened", {"fund_id": "x", "name": "n", "purpose": "p",
                                             "opened_on": "2025-03-01"})
    with pytest.raises(BatchRejected) as err:
        c.app.submit_batch([*good, bad, worse])
    assert [(e.row, e.error.code) for e in err.value.errors] == [(4, "id-exists"),
                                                                 (5, "role-not-permitted")]
    assert "第 4 行" in err.value.message and "第 5 行" in err.value.message
    assert c.app.size(c.community) == 7
    assert c.app.state(c.community).disclosures == {}
    receipts = c.app.submit_batch(good)
    assert [r.index for r in receipts] == [7, 8, 9]


def test_concurrent_writers_on_one_database_never_fork(db_url: str) -> None:
    c = Committee.found(db_url)
    writers = [c.app, Sunlight(db_url, clock=c.clock), Sunlight(db_url, clock=c.clock)]
    subs = [c.sign("member", "disclosure.published", disclosure(n)) for n in range(60)]
    errors: list[BaseException] = []

    def write(app: Sunlight, mine: list[Any]) -> None:
        try:
            for sub in mine:
                app.submit(sub)
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(w, subs[i::3])) for i, w in enumerate(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    fresh = Sunlight(db_url, clock=c.clock)
    indices = [i for i, _ in fresh.entries(c.community)]
    assert indices == list(range(66))
    assert set(fresh.state(c.community).disclosures) == {f"D{n}" for n in range(60)}
    # every checkpoint ever signed is a prefix of the final tree
    cp = checkpoint_of(fresh, c.community)
    notes = _all_checkpoints(fresh, c.community)
    assert len(notes) >= 60
    for size, root in notes:
        verify_consistency(size, cp.size, root, cp.root_hash,
                           fresh.consistency_proof(c.community, size, cp.size))


def _all_checkpoints(app: Sunlight, community: str) -> list[tuple[int, bytes]]:
    from ledger.store import CommunityLog, log_id

    out = []
    for record in app.recorder.select_events(log_id(community)):
        event = app.mapper.to_domain_event(record)
        assert isinstance(event, CommunityLog.EntryAppended)
        if event.checkpoint:
            cp = Checkpoint.parse(event.checkpoint.split("\n\n")[0] + "\n")
            out.append((cp.size, cp.root_hash))
    return out


def test_forget_erases_private_data_and_signatures_still_verify(db_url: str) -> None:
    c = Committee.found(db_url)
    c.fund()
    c.donate("d1", 100)
    c.donate("d2", 200)
    records = c.app.private_records(c.community)
    assert len(records) == 2 and records[0]["data"] == {"name": "张三", "phone": "13800138000"}
    before = c.app.checkpoint(c.community)
    assert c.app.forget(c.community, records[0]["commitment"]) == 1  # type: ignore[arg-type]
    assert c.app.forget(c.community, "13800138000") == 1
    assert c.app.private_records(c.community) == []
    with c.app.store.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM sunlight_private")).scalar() == 0
    assert c.app.checkpoint(c.community) == before
    for _, raw in c.app.entries(c.community):
        entry = Entry.decode(raw)
        key = c.app.state(c.community).keys[entry.key_id]
        verify_signature(key.public_key, entry.statement, entry.signature)
        Statement.from_bytes(entry.statement)


def test_private_data_never_reaches_the_event_store(db_url: str) -> None:
    c = Committee.found(db_url)
    c.fund()
    c.donate("d1", 100)
    with c.app.store.engine.connect() as conn:
        states = conn.execute(text("SELECT state FROM sunlight_events")).scalars().all()
    blob = b"".join(bytes(s) for s in states)
    assert "张三".encode() not in blob and b"13800138000" not in blob
    assert b"\\u5f20\\u4e09" not in blob.lower()


def test_receipts_carry_a_proof_that_matches_the_stored_tree(db_url: str) -> None:
    c = Committee.found(db_url)
    subs = [c.sign("member", "disclosure.published", disclosure(n)) for n in range(13)]
    receipts = [c.app.submit(subs[0]), *c.app.submit_batch(subs[1:9]),
                *[r for r in c.app.submit_each(c.community, subs[9:]) if isinstance(r, Receipt)]]
    assert len(receipts) == 13
    leaves = dict(c.app.entries(c.community))
    for r in receipts:
        proof = r.inclusion_proof()
        assert proof is not None and r.tree_size > r.index
        assert proof == c.app.inclusion_proof(c.community, r.index, r.tree_size)
        cp = Checkpoint.parse(r.checkpoint.split("\n\n")[0] + "\n")
        verify_inclusion(r.index, r.tree_size, leaf_hash(leaves[r.index]), proof, cp.root_hash)


def test_submit_each_answers_each_on_its_own_merits(db_url: str) -> None:
    c = Committee.found(db_url)
    good = c.sign("member", "disclosure.published", disclosure(1))
    bad = c.sign("supervisor", "fund.opened", {"fund_id": "x", "name": "n", "purpose": "p",
                                               "opened_on": "2025-03-01"})
    also_good = c.sign("member", "disclosure.published", disclosure(2))
    results = c.app.submit_each(c.community, [good, bad, also_good, good])
    assert isinstance(results[0], Receipt) and isinstance(results[2], Receipt)
    assert isinstance(results[1], DomainError) and results[1].code == "role-not-permitted"
    assert isinstance(results[3], Receipt) and results[3].duplicate and results[3].index == results[0].index
    assert c.app.size(c.community) == 8


def test_an_oversized_entry_is_refused_alone(db_url: str) -> None:
    c = Committee.found(db_url)
    big = c.sign("member", "disclosure.published", disclosure(1) | {"body": '"' * 19_999})
    small = c.sign("member", "disclosure.published", disclosure(2))
    results = c.app.submit_each(c.community, [big, small])
    assert isinstance(results[0], DomainError) and results[0].code == "entry-too-large"
    assert isinstance(results[1], Receipt) and results[1].index == 6
    assert c.app.size(c.community) == 7


def test_the_same_private_record_cannot_come_with_two_records(db_url: str) -> None:
    """A commitment (and its salt) used by two records would tie them to one person publicly."""
    from ledger.signing import PrivateRecord

    c = Committee.found(db_url)
    c.fund()
    donor = PrivateRecord.commit({"name": "张三", "phone": "13800138000"})
    bodies = [{"fund_id": "f1", "donation_id": f"d{n}", "amount_fen": 100, "channel": "cash",
               "receipt_no": f"R{n}", "received_on": "2025-03-01",
               "donor_commitment": donor.commitment} for n in range(3)]
    c.record("treasurer", "fund.donation_recorded", bodies[0], (donor,))
    results = c.app.submit_each(c.community, [
        c.sign("treasurer", "fund.donation_recorded", b, (donor,)) for b in bodies[1:]])
    assert [r.code for r in results if isinstance(r, DomainError)] == ["salt-reused"] * 2
    assert [r["commitment"] for r in c.app.private_records(c.community)] == [donor.commitment]


def test_the_checkpoint_is_read_without_folding_the_log(db_url: str) -> None:
    c = Committee.found(db_url)
    for n in range(5):
        c.record("member", "disclosure.published", disclosure(n))
    again = Sunlight(db_url, clock=c.clock)
    assert checkpoint_of(again, c.community).size == 11
    assert again._states[c.community].domain.size == 0  # publish() reads this: no fold of the rules
    assert again.checkpoint(c.community) == c.app.checkpoint(c.community)

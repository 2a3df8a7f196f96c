"""Two ledger instances on one database (two service processes, or the CLI beside a service): a
refusal is never made against a cached state that another instance has since extended."""

from __future__ import annotations

import threading

import pytest

from ledger.application import BatchRejected, Receipt, Sunlight
from ledger.domain.errors import DomainError, NotAuthorised
from ledger.signing import MemberKey, Statement, Submission
from tests.committee import Committee


def admit_spare(c: Committee) -> None:
    c.record(["chair", "supervisor"], "member.admitted", {
        "member_id": "spare", "name": "spare-name", "role": "member",
        "public_key": c.keys["spare"].public_b64, "term_start": "2024-01-01",
        "term_end": "2027-12-31"})


def disclosure(c: Committee, who: str, n: int) -> Submission:
    return c.sign(who, "disclosure.published", {
        "disclosure_id": f"{who}-{n}", "category": "other", "period": "2025-03",
        "title": f"公开事项 {n}", "body": "本月公开内容。"})


def second_instance(c: Committee, db_url: str) -> Sunlight:
    """Another instance on the same database, already holding the log in its cache (it has
    written before), as a long-running service does."""
    other = Sunlight(db_url, clock=c.clock)
    assert not other.submit(disclosure(c, "member", 0)).duplicate
    return other


def test_a_member_admitted_through_one_instance_records_through_another(db_url: str) -> None:
    c = Committee.found(db_url)
    b = second_instance(c, db_url)
    admit_spare(c)  # through the first instance only
    receipt = b.submit(disclosure(c, "spare", 1))
    assert not receipt.duplicate and receipt.index == c.app.size(c.community) - 1
    assert b.size(c.community) == c.app.size(c.community)
    # each way of writing: on its own merits in a group, an all-or-nothing batch, a dry run
    answers = b.submit_each(c.community, [disclosure(c, "member", 2),
                                          disclosure(c, admit_another(c, "p1"), 1)])
    assert all(isinstance(r, Receipt) and not r.duplicate for r in answers), answers
    batch = b.submit_batch([disclosure(c, "member", 3), disclosure(c, admit_another(c, "p2"), 1)])
    assert [r.duplicate for r in batch] == [False, False]
    assert b.submit_batch([disclosure(c, admit_another(c, "p3"), 1)], dry_run=True) == []
    assert b.size(c.community) == c.app.size(c.community)


def admit_another(c: Committee, name: str) -> str:
    """Admits ``name`` through the committee's own instance; returns the name."""
    c.keys[name] = MemberKey.from_seed(name.encode().ljust(32, b"k"))
    c.record(["chair", "supervisor"], "member.admitted", {
        "member_id": name, "name": f"{name}-name", "role": "member",
        "public_key": c.keys[name].public_b64, "term_start": "2024-01-01",
        "term_end": "2027-12-31"})
    return name


def test_a_stale_instance_refuses_only_what_the_log_refuses(db_url: str) -> None:
    """The attacker's angle: a statement the log refuses is refused once (no loop), however the
    log moves meanwhile; one accepted elsewhere is never recorded twice."""
    c = Committee.found(db_url)
    b = second_instance(c, db_url)
    outsider = MemberKey.from_seed(b"\x77" * 32)
    forged = outsider.sign(Statement(c.community, "disclosure.published", c.clock(), {
        "disclosure_id": "x1", "category": "other", "period": "2025-03", "title": "冒名",
        "body": "冒名内容。"}))
    admit_spare(c)
    with pytest.raises(NotAuthorised) as refused:
        b.submit(forged)
    assert refused.value.code == "unknown-key"
    # a group: the refused statement beside an accepted one, while the log has moved again
    c.record("member", "disclosure.published", {
        "disclosure_id": "moved", "category": "other", "period": "2025-03", "title": "又一条",
        "body": "内容。"})
    answers = b.submit_each(c.community, [disclosure(c, "spare", 1), forged])
    assert isinstance(answers[0], Receipt) and isinstance(answers[1], DomainError)
    with pytest.raises(BatchRejected):
        b.submit_batch([disclosure(c, "spare", 2), forged])
    # a statement the first instance accepted: the second answers with the same record
    accepted_by_a = disclosure(c, "spare", 3)
    first = c.app.submit(accepted_by_a)
    again = b.submit(accepted_by_a)
    assert again.duplicate and again.index == first.index
    size = c.app.size(c.community)
    assert b.size(c.community) == size
    hashes = [h for _, h in _statement_hashes(b, c.community)]
    assert len(hashes) == len(set(hashes)) == size


def test_refusals_end_while_another_instance_keeps_writing(db_url: str) -> None:
    c = Committee.found(db_url)
    b = second_instance(c, db_url)
    outsider = MemberKey.from_seed(b"\x78" * 32)
    writing = threading.Event()
    stop = threading.Event()
    subs = [disclosure(c, "member", 100 + n) for n in range(400)]
    forged = [outsider.sign(Statement(c.community, "disclosure.published", c.clock(), {
        "disclosure_id": f"y{n}", "category": "other", "period": "2025-03", "title": "冒名",
        "body": "冒名内容。"})) for n in range(20)]

    def write() -> None:
        for sub in subs:
            c.app.submit(sub)
            writing.set()
            if stop.is_set():
                return

    writer = threading.Thread(target=write)
    writer.start()
    try:
        assert writing.wait(60)
        for sub in forged:
            with pytest.raises(NotAuthorised):
                b.submit(sub)
    finally:
        stop.set()
        writer.join()
    assert b.size(c.community) == c.app.size(c.community)


def _statement_hashes(ledger: Sunlight, community: str) -> list[tuple[int, bytes]]:
    from ledger.signing import Entry, statement_hash

    return [(i, statement_hash(Entry.decode(data).statement))
            for i, data in ledger.entries(community)]

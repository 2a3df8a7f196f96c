"""The auditor's bounded-memory state: record ids that spill to disk, and statement hashes that
leave the duplicate check once the acceptance window has passed them."""

from __future__ import annotations

import base64
import os
import tempfile
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledger.acceptance import MAX_PAST, accept
from ledger.audit.source import DirectorySource
from ledger.audit.spill import SpillingIds, _encode, _encode_bucket
from ledger.audit.verify import CannotVerify, Policy, Report, verify_log
from ledger.crypto.note import Verifier
from ledger.domain.ids import MemoryIds
from ledger.domain.state import CommunityState
from ledger.signing import MemberKey, Statement, encode_entry
from tests.tlog.conftest import Built
from tests.tlog.logbuild import accepted_at, fields, forged, problems, write_log


def key(n: int, what: str = "donation") -> tuple[str, str, str]:
    return (what, f"fund-{n % 7}", f"D{n:06d}")


def test_spilled_ids_answer_exactly(tmp_path: Path) -> None:
    # A tiny Bloom filter: most lookups of unseen ids are false positives the file must refute.
    with SpillingIds(memory_limit=50, bloom_bits=1024, directory=str(tmp_path)) as ids:
        for n in range(2000):
            assert not ids.taken(key(n))
            ids.add(key(n))
        assert len(ids) == 2000 and ids.spilled >= 1950
        assert all(ids.taken(key(n)) for n in range(2000))
        assert not any(ids.taken(key(n)) for n in range(2000, 4000))
        assert not any(ids.taken(key(n, "receipt")) for n in range(500))  # same id, other kind
        odd = [("x\x1fy", "", "z"), ("x", "\x1fy", "z"), ("x", "y\nz", ""), ("\x1ex", "y", "z")]
        for k in odd:
            ids.add(k)
        ids.add(("x", "y", "z"))
        for _ in range(60):  # push them all to the file
            ids.add(key(10_000 + _))
        assert all(ids.taken(k) for k in odd) and not ids.taken(("x", "y\x1fz", ""))
        assert ids.reads > 2000  # most answers came from the spilled file, not the set
        assert os.listdir(tmp_path) == [], "the spill file is unlinked at once: nothing is left behind"


@pytest.mark.parametrize("spill_every", [3, None])  # ids spilled to the file after every 3, and never
def test_claim_marks_all_or_nothing(tmp_path: Path, spill_every: int | None) -> None:
    stores = [MemoryIds()] if spill_every is None else [
        SpillingIds(memory_limit=spill_every, bloom_bits=1024, directory=str(tmp_path))]
    for ids in stores:
        a, b, c = key(1), key(1, "receipt"), key(2)
        assert ids.claim(a, b) is None
        assert ids.taken(a) and ids.taken(b)
        for n in range(10):  # push a and b to the file (a SpillingIds of 3)
            ids.add(key(100 + n))
        assert ids.claim(c, b) is b  # the first key already taken; c is not marked
        assert not ids.taken(c)
        assert ids.claim(a, c) is a and not ids.taken(c)
        assert ids.claim(c) is None and ids.taken(c)
        assert len(ids) == 13  # type: ignore[arg-type]
        if isinstance(ids, SpillingIds):
            assert ids.spilled >= 9  # the answers above came partly from the file
            ids.close()


_part = st.text(alphabet=st.sampled_from("ab\x1f\x1e\n张"), max_size=4)


@given(st.lists(st.tuples(_part, _part, _part), min_size=1, max_size=20))
def test_a_bucket_is_written_as_its_keys_one_line_each(keys: list[tuple[str, str, str]]) -> None:
    """The whole-bucket shortcut writes exactly what encoding key by key writes."""
    assert _encode_bucket(keys) == b"".join(_encode(k) + b"\n" for k in keys)


def test_spilled_ids_keep_memory_flat(tmp_path: Path) -> None:
    def peak(n: int) -> int:
        # Memory: at most 5,000 ids, the Bloom filter, and 8 KiB of offsets per spilled run (4
        # runs for 20,000 ids, 20 for 100,000); a much smaller run would let the offsets dominate.
        tracemalloc.start()
        with SpillingIds(memory_limit=5000, bloom_bits=1 << 16, directory=str(tmp_path)) as ids:
            for i in range(n):
                ids.add(key(i))
        _, top = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        return top

    small, large = peak(20_000), peak(100_000)
    assert large < small * 1.5, (small, large)  # five times the ids, about the same memory
    tracemalloc.start()
    everything = MemoryIds()
    for i in range(100_000):
        everything.add(key(i))
    in_memory = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    # Growth from 20,000 to 100,000 ids: a sliver of what keeping every id in memory costs.
    assert (large - small) * 20 < in_memory, (small, large, in_memory)


def run(out: Path, built: Built, ids_in_memory: int) -> Report:
    return verify_log(DirectorySource(out), Policy(Verifier.from_key_string(built.vkey)), workers=0,
                      ids_in_memory=ids_in_memory)


def test_a_reused_id_is_found_after_it_spilled(audited: Built, tmp_path: Path) -> None:
    assert audited.committee is not None
    first = next(i for i, e in enumerate(audited.entries)
                 if fields(e)["statement"]["kind"] == "fund.donation_recorded")
    body = fields(audited.entries[first])["statement"]["body"]
    again = forged(audited.entries[-1], audited.committee.keys["treasurer"], audited.community,
                   "fund.donation_recorded", body | {"receipt_no": "R-NEW"})
    receipt = forged(again, audited.committee.keys["treasurer"], audited.community,
                     "fund.donation_recorded", body | {"donation_id": "D-NEW"})
    write_log(tmp_path, [*audited.entries, again, receipt], audited.signer)
    n = len(audited.entries)
    for limit in (4, 1_000_000):  # spilled to disk after every 4 ids, and all in memory
        report = run(tmp_path, audited, limit)
        assert problems(report) == [
            (n, "id-exists"), (n + 1, "receipt-reused")], limit


def replayed(entry: bytes, accepted: datetime) -> bytes:
    """The very same signed statement, accepted again at ``accepted``."""
    obj = orjson.loads(entry)
    return encode_entry(obj["statement"].encode(), base64.b64decode(obj["sig"]),
                        obj["key_id"], accepted)


def test_a_replayed_statement_is_refused_inside_and_outside_the_window(audited: Built, tmp_path: Path) -> None:
    last = audited.entries[-1]
    inside = replayed(last, accepted_at(last) + timedelta(minutes=1))
    write_log(tmp_path / "in", [*audited.entries, inside], audited.signer)
    n = len(audited.entries)
    assert problems(run(tmp_path / "in", audited, 4)) == [
        (n, "duplicate-statement")]
    # A day later the hash has left the duplicate check; the time window refuses the replay.
    late = accepted_at(last) + MAX_PAST + timedelta(hours=1)
    filler = forged(replayed(last, late - timedelta(minutes=2)), audited.committee.keys["chair"],  # type: ignore[union-attr]
                    audited.community, "disclosure.published", {
                        "disclosure_id": "LATE1", "category": "other", "period": "2025", "title": "次日公开",
                        "body": "第二天登记的一条公开事项"})
    outside = replayed(last, accepted_at(filler) + timedelta(minutes=1))
    write_log(tmp_path / "out", [*audited.entries, filler, outside], audited.signer)
    assert problems(run(tmp_path / "out", audited, 4)) == [
        (n + 1, "stale-statement")]


def test_statement_hashes_stay_within_the_window() -> None:
    chair = MemberKey.from_seed(b"\x07" * 32)
    state = CommunityState("c1", keep_records=False, forget_statements=True)
    start = datetime(2025, 1, 1, tzinfo=UTC)
    per_day, days = 500, 4
    step = timedelta(days=1) / per_day

    def fold(kind: str, body: dict[str, object], at: datetime) -> None:
        signed = chair.sign(Statement("c1", kind, at, body))
        statement = Statement.from_bytes(signed.statement)
        state.forget_statements_signed_before(at - MAX_PAST)
        accept(state, signed.statement, statement, signed.signature, signed.key_id)

    fold("community.founded", {"name": "测试", "founder_id": "chair", "founder_name": "王主任",
                               "founder_public_key": chair.public_b64, "term_start": "2024-01-01",
                               "term_end": "2099-12-31"}, start)
    fold("disclosure.published", {"disclosure_id": "D0", "category": "other", "period": "2025",
                                  "title": "开头", "body": "第一条"}, start + step)
    sizes = []
    for n in range(per_day * days):
        fold("disclosure.corrected", {"disclosure_id": "D0", "correction_id": f"C{n}", "reason": "更正",
                                      "body": f"第 {n} 次更正"}, start + (n + 2) * step)
        sizes.append(len(state.statements))
    assert state.size == per_day * days + 2
    assert max(sizes) <= per_day + 2, max(sizes)  # one day's hashes, not the whole log
    assert sizes[-1] >= per_day - 1  # and every hash inside the window is still checked


def test_nowhere_to_spill_cannot_run(audited: Built, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_log(tmp_path / "log", audited.entries, audited.signer)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "no-such-directory"))
    with pytest.raises(CannotVerify, match="临时文件"):
        run(tmp_path / "log", audited, 4)
    assert run(tmp_path / "log", audited, 1_000_000).verified  # nothing to spill: no file needed

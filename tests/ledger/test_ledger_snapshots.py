"""Snapshots of a community's folded state: used only where they match the stored tree.

Every test runs on SQLite and on PostgreSQL. The demo log is folded in full once per test; a
snapshot at any size plus the log's tail must give exactly that state (the writer's and the read
view's), and a snapshot that does not match, does not decode or was written by other code is
ignored, logged and reported.
"""

from __future__ import annotations

import gc
import logging
import random
import threading
from dataclasses import replace
from pathlib import Path
from typing import Any

import orjson
import pytest

from ledger import snapshot
from ledger.api.readmodel import ReadModel
from ledger.application import Sunlight
from ledger.demo import COMMUNITY, build_demo
from ledger.domain.state import CommunityState, parse_body
from ledger.replay import replay
from ledger.statecopy import copy_state
from ledger.store import SnapshotRow
from tests.api.helpers import wait_until
from tests.committee import Committee


def full_fold(app: Sunlight, community: str) -> bytes:
    state = CommunityState(community)
    for _ in replay(state, app.entries(community)):
        pass
    return snapshot.encode(state)


def view_of(app: Sunlight, community: str) -> tuple[bytes, object, int]:
    reads = ReadModel(app, snapshot_every=0)
    with reads.locked(community) as view:
        found = snapshot.encode(view.state), view.to_snapshot(), view.snapshot_size
    reads.close(snapshot=False)
    return found


def reopen(app: Sunlight, tmp_path: Path) -> Sunlight:
    app.close()
    return Sunlight(app.db_url, log_key_dir=tmp_path)


@pytest.fixture
def demo(db_url: str, tmp_path: Path) -> Sunlight:
    app = Sunlight(db_url, log_key_dir=tmp_path)
    build_demo(app)
    return app


def test_a_snapshot_and_the_tail_give_the_full_fold(demo: Sunlight, tmp_path: Path) -> None:
    expected = full_fold(demo, COMMUNITY)
    reference = ReadModel(demo, snapshot_every=0)
    with reference.locked(COMMUNITY) as view:
        expected_view = view.to_snapshot()
        size = view.size
    reference.close(snapshot=False)
    # Property-style over the demo log: the edges and a random sample of sizes in between.
    cuts = sorted({1, 2, size - 1, size, *random.Random(16).sample(range(3, size - 1), 6)})
    app = demo
    for cut in cuts:
        app.store.drop_snapshots(COMMUNITY)
        writer = ReadModel(app, snapshot_every=0)
        writer.snapshot_at(COMMUNITY, cut)
        writer.close(snapshot=False)
        app = reopen(app, tmp_path)
        state, extra, restored_at = view_of(app, COMMUNITY)
        assert restored_at == cut, f"the view did not start from the snapshot at {cut}"
        assert state == expected, f"read view from the snapshot at {cut} + tail differs"
        assert extra == expected_view, f"read view indexes from the snapshot at {cut} differ"
        assert snapshot.encode(app.state(COMMUNITY)) == expected, f"writer state at {cut}"
        assert app.refused_snapshots == {}
    # ... and the writer goes on writing on top of a restored state.
    app.store.drop_snapshots(COMMUNITY)
    ReadModel(app, snapshot_every=0).snapshot_at(COMMUNITY, size - 3)
    app = reopen(app, tmp_path)
    assert app.size(COMMUNITY) == size
    assert app.checkpoint(COMMUNITY)


def test_the_service_side_writes_snapshots_every_n_entries_and_on_close(
        db_url: str) -> None:
    c = Committee.found(db_url)
    reads = ReadModel(c.app, snapshot_every=5)
    for n in range(12):
        c.record("member", "disclosure.published", {
            "disclosure_id": f"D{n}", "category": "other", "period": "2025", "title": f"第 {n} 条",
            "body": "内容"})
        with reads.locked(c.community):
            pass
        # written in a loader thread once 5 entries have been folded since the last
        wait_until(lambda: c.app.store.latest_snapshot_size(c.community) >= c.app.size(
            c.community) - 4, "a snapshot every 5 entries")
    assert c.app.store.latest_snapshot_size(c.community) >= 15
    reads.close()
    assert c.app.store.latest_snapshot_size(c.community) == c.app.size(c.community)


def _stored(app: Sunlight) -> SnapshotRow:
    return next(app.store.snapshots(COMMUNITY, 10**9))


@pytest.mark.parametrize("damage", ["corrupt", "truncated", "other-root", "other-format",
                                    "foreign-class", "other-community", "size-mismatch"])
def test_a_snapshot_that_does_not_match_is_ignored_and_reported(
        demo: Sunlight, tmp_path: Path, damage: str, caplog: pytest.LogCaptureFixture) -> None:
    expected = full_fold(demo, COMMUNITY)
    ReadModel(demo, snapshot_every=0).snapshot_at(COMMUNITY, 300)
    good = _stored(demo)
    head, newline, segments = good.data.partition(b"\n")  # the head, then its segments
    doc = orjson.loads(head)
    if damage == "corrupt":
        bad = replace(good, data=good.data.replace(b'"o"', b'"O"', 1))
    elif damage == "truncated":
        bad = replace(good, data=good.data[: len(good.data) // 2])
    elif damage == "other-root":
        bad = replace(good, root_hash=bytes(32))
    elif damage == "other-format":
        bad = replace(good, format="sunlight-state-0-0000000000000000")
    elif damage == "foreign-class":
        doc["classes"][0] = "os:system"
        bad = replace(good, data=orjson.dumps(doc) + newline + segments)
    elif damage == "other-community":
        doc["community_id"] = "another"
        bad = replace(good, data=orjson.dumps(doc) + newline + segments)
    else:
        doc["size"] = 299
        bad = replace(good, data=orjson.dumps(doc) + newline + segments)
    demo.store.drop_snapshots()
    demo.store.put_snapshot(bad)
    app = reopen(demo, tmp_path)
    with caplog.at_level(logging.WARNING, logger="sunlight.snapshot"):
        state, _extra, restored_at = view_of(app, COMMUNITY)
    assert restored_at == 0  # folded from the log
    assert state == expected
    assert snapshot.encode(app.state(COMMUNITY)) == expected
    refused = app.refused_snapshots[COMMUNITY]
    assert refused.size == 300 and refused.reason
    assert any(getattr(r, "event", None) == "snapshot-refused" for r in caplog.records)


def test_a_snapshot_of_a_different_log_is_ignored(db_url: str, tmp_path: Path) -> None:
    """Two logs of the same community id that diverge: one's snapshot never loads into the
    other, though it decodes and has the same size."""
    ours = Committee.found(db_url)
    theirs = Committee.found(f"sqlite:///{tmp_path / 'rival.db'}")
    for c, title in ((ours, "本"), (theirs, "另")):
        c.record("member", "disclosure.published", {
            "disclosure_id": "D1", "category": "other", "period": "2025", "title": title,
            "body": "内容"})
    ReadModel(theirs.app, snapshot_every=0).snapshot_at(theirs.community, 7)
    rival = next(theirs.app.store.snapshots(theirs.community, 10**9))
    ours.app.store.put_snapshot(rival)
    expected = full_fold(ours.app, ours.community)
    fresh = Sunlight(ours.app.db_url)
    assert snapshot.encode(fresh.state(ours.community)) == expected
    assert "root does not match" in fresh.refused_snapshots[ours.community].reason


def test_the_newest_usable_snapshot_is_taken(demo: Sunlight, tmp_path: Path) -> None:
    reads = ReadModel(demo, snapshot_every=0)
    reads.snapshot_at(COMMUNITY, 200)
    reads.snapshot_at(COMMUNITY, 300)
    newest = _stored(demo)
    demo.store.put_snapshot(replace(newest, data=b"{not json"))
    app = reopen(demo, tmp_path)
    _state, _extra, restored_at = view_of(app, COMMUNITY)
    assert restored_at == 200
    assert app.refused_snapshots[COMMUNITY].size == 300


def test_the_codec_makes_only_domain_objects() -> None:
    """A snapshot names the classes it makes; only ``ledger.domain`` classes are known, and an
    object is made without running its constructor."""
    state = CommunityState("c1")
    doc = orjson.loads(snapshot.encode(state))
    for name in ("os:system", "builtins:eval", "subprocess:Popen", "ledger.application:Sunlight"):
        doc["classes"] = [name]
        doc["state"] = ["o", 0, 0, {}]
        with pytest.raises(snapshot.SnapshotError):
            snapshot.decode(orjson.dumps(doc), "c1")
    assert all(name.startswith("ledger.domain.") for name in snapshot.CLASSES)
    with pytest.raises(snapshot.SnapshotError):
        snapshot.decode(b"\x80\x04\x95pickle", "c1")



def _disclose(c: Committee, n: int) -> None:
    c.record("member", "disclosure.published", {
        "disclosure_id": f"D{n}", "category": "other", "period": "2025", "title": f"第 {n} 条",
        "body": "内容"})


def test_the_writers_start_from_a_copy_of_the_read_views_restored_state(
        db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The snapshot is decoded once: the read view keeps the state it restored, the writers a
    copy of it; from then on each folds on its own, and a write shows in the view only once
    the view reads it from the log."""
    c = Committee.found(db_url)
    for n in range(6):
        _disclose(c, n)
    ReadModel(c.app, snapshot_every=0).snapshot_at(c.community, c.app.size(c.community) - 2)
    expected = full_fold(c.app, c.community)
    c.app.close()
    c.app = Sunlight(db_url, clock=c.clock)
    decodes: list[int] = []
    real = snapshot.decode

    def counted(data: bytes, community_id: str) -> object:
        decodes.append(len(data))
        return real(data, community_id)

    monkeypatch.setattr("ledger.application.decode_snapshot", counted)
    reads = ReadModel(c.app, snapshot_every=0)
    with reads.locked(c.community) as view:
        assert view.snapshot_size == c.app.size(c.community) - 2
        assert snapshot.encode(view.state) == expected
        state = view.state
    writers = c.app.state(c.community)
    assert decodes and len(decodes) == 1, "the writers decoded the snapshot again"
    assert writers is not state and writers.ids is not state.ids
    assert snapshot.encode(writers) == expected
    _disclose(c, 6)
    assert "D6" in writers.disclosures and "D6" not in state.disclosures
    assert snapshot.encode(state) == expected
    with reads.locked(c.community) as view:
        assert "D6" in view.state.disclosures
        assert snapshot.encode(view.state) == snapshot.encode(c.app.state(c.community))
    reads.close(snapshot=False)


def test_a_copy_of_a_state_is_independent(demo: Sunlight) -> None:
    """Folding into a copy leaves the original as it was; what the original shares between its
    parts (the ids every fund and estate consult) the copy shares too."""
    entries = list(demo.entries(COMMUNITY))
    original = CommunityState(COMMUNITY)
    for _ in replay(original, entries[:-40]):
        pass
    before = snapshot.encode(original)
    copy = copy_state(original)
    assert snapshot.encode(copy) == before
    assert all(fee.ids is copy.ids for fee in copy.fees.values())
    assert all(fund.ids is copy.ids for fund in copy.funds.values())
    for _ in replay(copy, entries[-40:]):
        pass
    assert snapshot.encode(original) == before
    assert snapshot.encode(copy) == full_fold(demo, COMMUNITY)


def test_records_restored_are_decoded_on_first_use(
        demo: Sunlight, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every dict of records (here: of two or more) is written as a segment of its own,
    decoded on first use: a state folded on from it, copied, or written again is the same as
    one that decoded everything at once; a segment that does not match its digest is refused
    when the snapshot is read, not when a record is first read."""
    monkeypatch.setattr(snapshot, "LAZY_MIN", 2)
    entries = list(demo.entries(COMMUNITY))
    cut = len(entries) - 60
    head = CommunityState(COMMUNITY)
    for _ in replay(head, entries[:cut]):
        pass
    data = snapshot.encode(head)
    assert data.count(b"\n") >= 5
    state, _ = snapshot.decode(data, COMMUNITY)
    lazy = [(state.disclosures, head.disclosures)]
    assert all(isinstance(r, snapshot.Records) and r.lazy for r, _ in lazy)
    assert all(list(r) == list(d) for r, d in lazy)
    # records kept as JSON (ledger.domain.kept) come back as that JSON, byte for byte
    kept = [(f.donations, g.donations) for f, g in zip(state.funds.values(), head.funds.values(),
                                                       strict=True)]
    kept += [(f.income, g.income) for f, g in zip(state.fees.values(), head.fees.values(),
                                                  strict=True)]
    assert kept and all(type(r.data) is dict and r.data == d.data for r, d in kept)
    assert all(r[k] == d[k] for r, d in kept for k in d)
    copy = copy_state(state)
    for _ in replay(state, entries[cut:]):
        pass
    expected = full_fold(demo, COMMUNITY)
    assert snapshot.encode(state) == expected
    assert snapshot.encode(copy) == data  # the copy decodes its records on its own
    for _ in replay(copy, entries[cut:]):
        pass
    assert snapshot.encode(copy) == expected
    # a byte changed inside a segment: refused at once
    last = data.rindex(b"\n") + 1
    damaged = data[:last + 1] + bytes([data[last + 1] ^ 1]) + data[last + 2:]
    with pytest.raises(snapshot.SnapshotError, match="digest"):
        snapshot.decode(damaged, COMMUNITY)
    with pytest.raises(snapshot.SnapshotError):
        snapshot.decode(data[:-1], COMMUNITY)
    with pytest.raises(snapshot.SnapshotError):
        snapshot.decode(data + b"\nx", COMMUNITY)


def test_records_behave_as_the_dict_they_stand_for() -> None:
    values = {"a": 1, "b": 2}
    loads: list[int] = []

    def load() -> list[int]:
        loads.append(1)
        return list(values.values())

    r = snapshot.Records(dict.fromkeys(values), load)
    r["c"] = 3
    assert "a" in r and "c" in r and "z" not in r and len(r) == 3 and list(r) == ["a", "b", "c"]
    assert r.get("z") is None and r.get("c") == 3 and not loads  # nothing decoded yet
    assert r["a"] == 1 and loads == [1] and not r.lazy
    assert list(r.items()) == [("a", 1), ("b", 2), ("c", 3)] and r == {"a": 1, "b": 2, "c": 3}
    r["a"] = 9
    del r["b"]
    assert dict(r) == {"a": 9, "c": 3} and loads == [1]


def test_kept_records_are_their_bodies_json_and_read_back_as_the_bodies(demo: Sunlight) -> None:
    """Donations, grants, income and spends are kept as their bodies' JSON (a fifth of the
    memory): read back, each is the body the fold was given; a body of another kind is refused."""
    state = CommunityState(COMMUNITY)
    bodies: dict[tuple[str, str], object] = {}
    for r in replay(state, demo.entries(COMMUNITY)):
        if r.statement.kind in ("fee.spend_recorded", "fund.donation_recorded"):
            body = parse_body(r.statement.kind, r.statement.body)
            own = "spend_id" if r.statement.kind == "fee.spend_recorded" else "donation_id"
            bodies[(r.statement.kind, r.statement.body[own])] = body
    spends = {k: v for f in state.fees.values() for k, v in f.spends.items()}
    donations = {k: v for f in state.funds.values() for k, v in f.donations.items()}
    assert len(spends) > 100 and len(donations) > 20
    assert all(type(d) is bytes for f in state.fees.values() for d in f.spends.data.values())
    assert spends == {k: v for (kind, k), v in bodies.items() if kind == "fee.spend_recorded"}
    assert donations == {k: v for (kind, k), v in bodies.items()
                         if kind == "fund.donation_recorded"}
    fee = next(iter(state.fees.values()))
    first = next(iter(fee.spends))
    assert fee.spends.get(first) == fee.spends[first] and fee.spends.get("nope") is None
    assert first in fee.spends and "nope" not in fee.spends
    with pytest.raises(TypeError, match=r"fund\.donation_recorded"):
        fee.spends["x"] = next(iter(donations.values()))  # type: ignore[assignment]
    assert "x" not in fee.spends


def test_kept_records_in_a_snapshot_are_checked(demo: Sunlight) -> None:
    """The kept records' segment and the lengths the head lists must agree, or the snapshot is
    refused."""
    state = CommunityState(COMMUNITY)
    for _ in replay(state, demo.entries(COMMUNITY)):
        pass
    data = snapshot.encode(state)
    head, _, rest = data.partition(b"\n")

    def kept_lengths(value: object) -> list[list[int]]:
        if isinstance(value, list):
            found = [value[4]] if value[:1] == ["B"] else []
            return found + [x for v in value for x in kept_lengths(v)]
        if isinstance(value, dict):
            return [x for v in value.values() for x in kept_lengths(v)]
        return []

    doc = orjson.loads(head)
    lengths = kept_lengths(doc["state"])
    assert lengths and all(sum(n) > 0 for n in lengths)
    lengths[0][0] += 1  # one record a byte longer, the next one a byte shorter: still refused
    lengths[0][1] -= 1
    with pytest.raises(snapshot.SnapshotError, match="lengths"):
        snapshot.decode(orjson.dumps(doc) + b"\n" + rest, COMMUNITY)
    lengths[0][1] += 1  # the lengths no longer add up to the segment
    with pytest.raises(snapshot.SnapshotError, match="lengths"):
        snapshot.decode(orjson.dumps(doc) + b"\n" + rest, COMMUNITY)


def test_without_a_snapshot_the_writers_take_a_copy_of_the_read_views_fold(
        db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """No snapshot: the read view folds the log, and the writers start from a copy of its state
    at its size (folding only what was appended since), not from the first entry."""
    c = Committee.found(db_url)
    for n in range(4):
        _disclose(c, n)
    expected = full_fold(c.app, c.community)
    c.app.close()
    c.app = Sunlight(db_url, clock=c.clock)
    folded: list[int] = []
    real = Sunlight._fold_stored

    def counted(self: Sunlight, state: object, version: int, *args: object) -> None:
        folded.append(version)
        real(self, state, version, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(Sunlight, "_fold_stored", counted)
    reads = ReadModel(c.app, snapshot_every=0)
    with reads.locked(c.community) as view:
        assert view.snapshot_size == 0 and view.size == c.app.size(c.community)
    assert snapshot.encode(c.app.state(c.community)) == expected
    assert folded == [], "the writers folded the log again"
    _disclose(c, 4)
    assert c.app.size(c.community) == view.size + 1
    reads.close(snapshot=False)


@pytest.mark.parametrize("n", [0, 1, 1999, 2000, 2001, 4000, 4001])
def test_a_segment_written_in_slices_is_the_same_bytes(n: int) -> None:
    values = [["o", 3, 0, {"id": f"D{i}", "title": "第 1 条\n\"引号\"", "n": i}] for i in range(n)]
    assert snapshot._dumps_list(values) == orjson.dumps(values)


def test_no_collection_runs_while_a_snapshot_is_written(
        demo: Sunlight, monkeypatch: pytest.MonkeyPatch) -> None:
    """Encoding a snapshot makes a great many short-lived objects: a cyclic collection would
    walk the whole process each time (at 100,000 entries ~0.1 s, every thread paused, the event
    loop's too). With collections due after every allocation, none runs while it is written."""
    reads = ReadModel(demo, snapshot_every=0)
    writing = threading.Event()
    save = demo.save_snapshot

    def saving(*args: Any) -> None:
        writing.set()
        try:
            save(*args)
        finally:
            writing.clear()

    monkeypatch.setattr(demo, "save_snapshot", saving)
    try:
        with reads.locked(COMMUNITY) as view:
            started: list[int] = []

            def seen(phase: str, info: dict[str, int]) -> None:
                if phase == "start" and writing.is_set():
                    started.append(info["generation"])

            threshold = gc.get_threshold()
            gc.set_threshold(1)
            gc.callbacks.append(seen)
            try:
                reads._snapshot(COMMUNITY, view)
            finally:
                gc.callbacks.remove(seen)
                gc.set_threshold(*threshold)
            assert view.snapshot_size == view.size > 0
            assert started == []
    finally:
        reads.close(snapshot=False)

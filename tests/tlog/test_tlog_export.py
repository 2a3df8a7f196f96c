"""``export_tiles``: the exact C2SP tlog-tiles layout, and incremental re-export."""

from __future__ import annotations

import hashlib
from pathlib import Path

from ledger.crypto.merkle import leaf_hash, node_hash
from ledger.crypto.note import Verifier
from ledger.crypto.tiles import decode_entry_bundle, decode_hash_tile
from ledger.tlog.cosignatures import store_cosignature
from ledger.tlog.export import export_tiles
from tests.committee import Committee
from tests.tlog.conftest import Built


def files(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}


def mth(hashes: list[bytes]) -> bytes:
    """Reference Merkle tree hash over leaf hashes (a power-of-two count)."""
    while len(hashes) > 1:
        hashes = [node_hash(hashes[i], hashes[i + 1]) for i in range(0, len(hashes), 2)]
    return hashes[0]


def test_demo_export_layout_and_contents(demo_log: Built, tmp_path: Path) -> None:
    result = export_tiles(demo_log.app, demo_log.community, tmp_path)
    assert files(tmp_path) == {"checkpoint", "tile/entries/000", "tile/entries/001.p/143", "tile/0/000",
                               "tile/0/001.p/143", "tile/1/000.p/1"}
    assert (result.size, result.written, result.unchanged) == (399, 6, 0)
    entries = decode_entry_bundle((tmp_path / "tile/entries/000").read_bytes(), 256)
    entries += decode_entry_bundle((tmp_path / "tile/entries/001.p/143").read_bytes(), 143)
    assert entries == demo_log.entries
    leaves = [leaf_hash(e) for e in entries]
    assert decode_hash_tile((tmp_path / "tile/0/000").read_bytes()) == leaves[:256]
    assert decode_hash_tile((tmp_path / "tile/0/001.p/143").read_bytes(), 143) == leaves[256:]
    assert decode_hash_tile((tmp_path / "tile/1/000.p/1").read_bytes(), 1) == [mth(leaves[:256])]
    assert (tmp_path / "checkpoint").read_text() == demo_log.app.checkpoint(demo_log.community)
    again = export_tiles(demo_log.app, demo_log.community, tmp_path)
    assert (again.written, again.unchanged, again.removed) == (0, 6, 0)


def test_incremental_export_writes_only_what_changed(committee: Committee, tmp_path: Path) -> None:
    app, cid = committee.app, committee.community
    tmp_path = tmp_path / "log"  # the committee's database lives in tmp_path itself
    first = export_tiles(app, cid, tmp_path)
    assert first.size == 6
    assert files(tmp_path) == {"checkpoint", "tile/entries/000.p/6", "tile/0/000.p/6"}
    committee.app.submit_batch([committee.sign("member", "disclosure.published", {
        "disclosure_id": f"D{n}", "category": "other", "period": "2025", "title": f"公开 {n}",
        "body": "内容"}) for n in range(260)])
    second = export_tiles(app, cid, tmp_path)
    # Full tiles 000 replace (and remove) the partial ones of widths 6; new partials of width 10.
    assert files(tmp_path) == {"checkpoint", "tile/entries/000", "tile/0/000", "tile/entries/001.p/10",
                               "tile/0/001.p/10", "tile/1/000.p/1"}
    assert (second.size, second.written, second.unchanged, second.removed) == (266, 6, 0, 2)
    full = tmp_path / "tile/entries/000"
    before = full.stat()
    committee.record("member", "disclosure.published", {
        "disclosure_id": "D-last", "category": "other", "period": "2025", "title": "再一条", "body": "内容"})
    third = export_tiles(app, cid, tmp_path)
    assert (third.size, third.written, third.unchanged) == (267, 3, 3)
    after = full.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)  # never rewritten
    # The partial tiles of the previous checkpoint (width 10) stay: a client may still ask for them.
    assert {"tile/entries/001.p/10", "tile/entries/001.p/11"} <= files(tmp_path)


def test_published_checkpoint_carries_cosignatures(committee: Committee, tmp_path: Path) -> None:
    from ledger.crypto.cosignature import CosignatureSigner, verify_cosigned

    app, cid = committee.app, committee.community
    signed = app.checkpoint(cid)
    text = signed.split("\n\n")[0] + "\n"
    witness = CosignatureSigner.from_seed("w.example", hashlib.sha256(b"w").digest())
    store_cosignature(app, cid, 6, witness.name, witness.cosign(text, 1_700_000_000))
    export_tiles(app, cid, tmp_path)
    published = (tmp_path / "checkpoint").read_text()
    assert published.startswith(signed) and published != signed
    verify_cosigned(published, [Verifier.from_key_string(app.community(cid).verifier_key)],
                    [witness.verifier()], 1)

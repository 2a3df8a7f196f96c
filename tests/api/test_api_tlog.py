"""The log as C2SP tlog-tiles, checked against the checkpoint; and the witness endpoint."""

from __future__ import annotations

import base64
import os
from collections.abc import Iterator

import httpx
import pytest

from ledger.api import Settings, create_app
from ledger.crypto.checkpoint import Checkpoint
from ledger.crypto.cosignature import CosignatureSigner, verify_cosigned
from ledger.crypto.merkle import CompactRange, leaf_hash
from ledger.crypto.note import split_note
from ledger.crypto.tiles import decode_entry_bundle, decode_hash_tile
from ledger.crypto.witness_protocol import format_add_checkpoint_request
from tests.api.conftest import Served
from tests.api.helpers import disclosure, live, open_checkpoint, verifier
from tests.committee import Committee


def _grow(c: Committee, total: int) -> None:
    missing = total - c.app.size("testcom")
    c.app.submit_batch([disclosure(c, n, tag="t") for n in range(missing)])


def test_tiles_rebuild_the_checkpoint(served: Served) -> None:
    _grow(served.committee, 300)
    get = served.client.get
    cp_response = get("/log/testcom/checkpoint")
    assert cp_response.headers["content-type"] == "text/plain; charset=utf-8"
    assert cp_response.headers["cache-control"] == "no-cache"
    cp = open_checkpoint(cp_response.text, verifier(served.client, "testcom"))
    assert cp.size == 300
    full = get("/log/testcom/tile/0/000")
    assert full.headers["content-type"] == "application/octet-stream"
    assert "immutable" in full.headers["cache-control"] and len(full.content) == 8192
    partial = get("/log/testcom/tile/0/001.p/44")
    assert partial.status_code == 200 and "immutable" not in partial.headers["cache-control"]
    level1 = get("/log/testcom/tile/1/000.p/1")
    bundle0 = get("/log/testcom/tile/entries/000", headers={"accept-encoding": "gzip"})
    assert bundle0.headers.get("content-encoding") == "gzip"  # httpx decodes it for us
    bundle1 = get("/log/testcom/tile/entries/001.p/44")
    entries = decode_entry_bundle(bundle0.content, 256) + decode_entry_bundle(bundle1.content, 44)
    leaves = [leaf_hash(e) for e in entries]
    assert decode_hash_tile(full.content) == leaves[:256]
    assert decode_hash_tile(partial.content, 44) == leaves[256:]
    first_subtree = CompactRange()
    for h in leaves[:256]:
        first_subtree.append(h)
    assert decode_hash_tile(level1.content, 1) == [first_subtree.root()]
    tree = CompactRange()
    for h in leaves:
        tree.append(h)
    assert tree.root() == cp.root_hash
    # tiles the tree does not (yet) hold, and malformed paths, are 404 problems
    for path in ("tile/0/001", "tile/0/001.p/45", "tile/1/000", "tile/entries/002.p/1",
                 "tile/0/1", "tile/0/000.p/256", "tile/64/000", "tile/0/x000/000",
                 "tile/entries/001.p/044"):
        r = get(f"/log/testcom/{path}")
        assert r.status_code == 404, path
        assert r.headers["content-type"] == "application/problem+json"


def test_consistency_proofs(served: Served) -> None:
    c = served.committee
    old = open_checkpoint(served.client.get("/log/testcom/checkpoint").text,
                          verifier(served.client, "testcom"))
    _grow(c, 40)
    new = open_checkpoint(served.client.get("/log/testcom/checkpoint").text,
                          verifier(served.client, "testcom"))
    from tests.api.helpers import check_consistent

    check_consistent(served.client, "testcom", old, new)
    r = served.client.get("/v1/communities/testcom/proofs/consistency",
                          params={"old": 30, "new": 20})
    assert r.status_code == 400 and r.json()["code"] == "old-after-new"


@pytest.fixture
def witness(committee: Committee) -> Iterator[tuple[httpx.Client, CosignatureSigner]]:
    signer = CosignatureSigner.from_seed("witness.example/w1", os.urandom(32))
    app = create_app(committee.app, Settings(rate_per_address=0, rate_per_key=0,
                                             witness=signer))
    with live(app) as url, httpx.Client(base_url=url) as client:
        yield client, signer


def test_witness_add_checkpoint(committee: Committee,
                                witness: tuple[httpx.Client, CosignatureSigner]) -> None:
    c, (client, signer) = committee, witness
    log_key = verifier(client, "testcom")
    first = c.app.checkpoint("testcom")
    body = format_add_checkpoint_request(0, [], first)
    r = client.post("/witness/add-checkpoint", content=body)
    assert r.status_code == 200, r.text
    text, _ = split_note(first)
    verify_cosigned(text + "\n" + first.split("\n\n", 1)[1] + r.text, [log_key],
                    [signer.verifier()], 1)
    # replaying from size 0 again: the witness says what it has
    again = client.post("/witness/add-checkpoint", content=body)
    assert again.status_code == 409 and again.headers["content-type"] == "text/x.tlog.size"
    old_size = Checkpoint.parse(text).size
    assert again.text == f"{old_size}\n"
    _grow(c, old_size + 10)
    second = c.app.checkpoint("testcom")
    new_size = Checkpoint.parse(split_note(second)[0]).size
    proof = c.app.consistency_proof("testcom", old_size, new_size)
    bad = client.post("/witness/add-checkpoint", content=format_add_checkpoint_request(
        old_size, [bytes(32)] * len(proof), second))
    assert bad.status_code == 422 and bad.headers["content-type"] == "application/problem+json"
    ok = client.post("/witness/add-checkpoint",
                     content=format_add_checkpoint_request(old_size, proof, second))
    assert ok.status_code == 200, ok.text
    malformed = client.post("/witness/add-checkpoint", content=b"hello")
    assert malformed.status_code == 400
    assert base64.b64decode(ok.text.split()[-1])  # a cosignature line


def test_witness_not_configured_is_404(served: Served) -> None:
    r = served.client.post("/witness/add-checkpoint", content=b"old 0\n\nx\n")
    assert r.status_code == 404 and r.json()["code"] == "witness-not-configured"


def test_the_served_checkpoint_carries_stored_cosignatures(served: Served) -> None:
    from ledger.tlog.cosignatures import store_cosignature

    _grow(served.committee, 20)
    signed = served.committee.app.checkpoint("testcom")
    text, _ = split_note(signed)
    witness = CosignatureSigner.from_seed("witness.example/w1", b"\x05" * 32)
    line = witness.cosign(text, 1_700_000_000)
    store_cosignature(served.committee.app, "testcom", Checkpoint.parse(text).size,
                      witness.name, line.rstrip("\n"))
    served_note = served.client.get("/log/testcom/checkpoint").text
    assert served_note.startswith(signed) and witness.name in served_note
    verify_cosigned(served_note, [verifier(served.client, "testcom")], [witness.verifier()], 1)

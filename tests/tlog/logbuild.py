"""Test helpers: a small audited community, and a forger's toolkit that rewrites a log's entries,
rebuilds every tile and re-signs the checkpoint with the log's own key -- so that only the
content checks (signatures, signers, rules, order, trusted checkpoints) can catch the change."""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import select

from ledger.application import Sunlight
from ledger.audit.verify import Report
from ledger.crypto.checkpoint import Checkpoint
from ledger.crypto.merkle import CompactRange, leaf_hash
from ledger.crypto.note import Signer, sign_note
from ledger.crypto.tiles import (
    TILE_HEIGHT,
    TILE_WIDTH,
    encode_entry_bundle,
    encode_hash_tile,
    entries_path,
    tile_path,
    tiles_for_size,
)
from ledger.domain.member import key_id_of
from ledger.signing import MemberKey, Statement, canonical, encode_entry, encode_signed_entry, parse_time
from ledger.store.tables import logs_table
from tests.committee import Committee

FUND_DONATIONS = 280


def log_signer(app: Sunlight, community_id: str) -> Signer:
    with app.store.engine.connect() as conn:
        row = conn.execute(select(logs_table).where(logs_table.c.community_id == community_id)).one()
    return Signer.from_seed(row.origin, row.key_seed)


def build_audited(db_url: str) -> Committee:
    """292 entries: founding (0-5), a fund (6), 280 donations in four batches (7-286), a meeting
    and a decision (287-288), the revocation of "member" (289), two donations (290-291)."""
    c = Committee.found(db_url)
    c.fund()
    for start in range(0, FUND_DONATIONS, 70):
        batch = [c.sign("treasurer", "fund.donation_recorded", {
            "fund_id": "f1", "donation_id": f"B{n}", "amount_fen": 100 + n, "channel": "wechat",
            "receipt_no": f"RB{n}", "received_on": "2025-03-01",
            "donor_commitment": f"{n:064x}"}) for n in range(start, start + 70)]
        c.app.submit_batch(batch)
    c.decide("d1")
    c.clock.advance(minutes=1)
    c.record(["chair", "supervisor"], "member.revoked", {"member_id": "member", "reason": "辞去委员职务"})
    c.clock.advance(minutes=1)
    c.donate("late1", 5000)
    c.clock.advance(minutes=1)
    c.donate("late2", 7000)
    return c


def entries_of(app: Sunlight, community_id: str) -> list[bytes]:
    return [data for _, data in app.entries(community_id)]


def write_log(out: Path, entries: list[bytes], signer: Signer, *extra: str) -> str:
    """Writes ``entries`` as a complete tlog-tiles directory with a checkpoint signed by
    ``signer``; ``extra`` signature lines (cosignatures) are appended. Returns the checkpoint."""
    tree = CompactRange()
    nodes: dict[tuple[int, int], bytes] = {}
    for entry in entries:
        for level, idx, h in tree.append(leaf_hash(entry)):
            nodes[(level, idx)] = h
    size = len(entries)
    for level, n, width in tiles_for_size(size):
        first = n * TILE_WIDTH
        hashes = [nodes[(TILE_HEIGHT * level, i)] for i in range(first, first + width)]
        _put(out / tile_path(level, n, width), encode_hash_tile(hashes))
        if level == 0:
            _put(out / entries_path(n, width), encode_entry_bundle(entries[first:first + width]))
    note = sign_note(Checkpoint(signer.name, size, tree.root()).text(), signer) + "".join(extra)
    _put(out / "checkpoint", note.encode())
    return note


def _put(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def fields(entry: bytes) -> dict[str, Any]:
    obj = orjson.loads(entry)
    obj["statement"] = orjson.loads(obj["statement"])
    assert isinstance(obj, dict)
    return obj


def altered(entry: bytes, change: Callable[[dict[str, Any]], None]) -> bytes:
    """The entry with its statement changed and the original signature kept."""
    obj = orjson.loads(entry)
    statement = orjson.loads(obj["statement"])
    change(statement)
    obj["statement"] = canonical(statement).decode()
    return orjson.dumps(obj, option=orjson.OPT_SORT_KEYS)


def with_signature(entry: bytes, signature: bytes) -> bytes:
    obj = orjson.loads(entry)
    obj["sig"] = base64.b64encode(signature).decode()
    return orjson.dumps(obj, option=orjson.OPT_SORT_KEYS)


def forged(after: bytes, key: MemberKey | list[MemberKey], community: str, kind: str,
           body: dict[str, Any]) -> bytes:
    """A correctly signed entry by ``key`` (or by every key of a list, co-signed), accepted a
    minute after the entry ``after``."""
    accepted_at = parse_time(orjson.loads(after)["accepted_at"], "accepted_at") + timedelta(minutes=1)
    at = accepted_at - timedelta(seconds=5)
    first, *others = key if isinstance(key, list) else [key]
    submission = first.sign(Statement(community, kind, at, body))
    for other in others:
        submission = other.cosign(submission)
    return encode_signed_entry(submission.statement, submission.signatures, accepted_at)


def accepted_at(entry: bytes) -> datetime:
    return parse_time(orjson.loads(entry)["accepted_at"], "accepted_at")


def problems(report: Report) -> list[tuple[int | None, str]]:
    """What a verification found, in order: ``(entry index, code)``."""
    return [(f.index, f.code) for f in report.sorted_failures()]


# --- logs written before weak keys were refused --------------------------------------------------

IDENTITY_KEY = base64.b64encode(bytes([1]) + bytes(31)).decode()
"""The identity point as a public key ("AQAAAA…"): of order 1, the weakest key there is."""
FAKE_SIGNATURE = bytes([1]) + bytes(31) + bytes(32)
"""R = identity, S = 0: under the identity key, cofactorless OpenSSL accepts it for any message."""


def by_identity_key(accepted: datetime, community: str, kind: str, body: dict[str, Any]) -> bytes:
    """An entry nobody signed, "signed" for the identity key with the fixed fake signature."""
    statement = Statement(community, kind, accepted - timedelta(seconds=5), body).to_bytes()
    return encode_entry(statement, FAKE_SIGNATURE, key_id_of(IDENTITY_KEY), accepted)


def weak_key_log(built: Any, how: str) -> tuple[list[bytes], int]:
    """``built``'s log with a weak key registered the way an old ledger let it be, and then a
    donation "signed" by that key (which OpenSSL alone accepts). ``how``: ``admitted`` (the chair
    admits a 出纳 whose key is the identity point), ``rotated`` (the chair rotates the 出纳's key to
    it) or ``founded`` (a new community founded with it, the founding "signed" by it too).
    Returns the entries and the index of the entry that registered the key."""
    keys, community = built.committee.keys, built.community
    body = fields(built.entries[7])["statement"]["body"]  # a donation to fund f1
    donation = body | {"donation_id": "WEAK1", "receipt_no": "RW1"}
    if how == "founded":
        at = accepted_at(built.entries[0])
        founded = by_identity_key(at, community, "community.founded", {
            "name": "弱密钥社区", "founder_id": "chair", "founder_name": "王主任",
            "founder_public_key": IDENTITY_KEY, "term_start": "2024-01-01"})
        estate = by_identity_key(at + timedelta(minutes=1), community, "community.estate_added",
                                 {"estate_id": "e1", "name": "一期"})
        return [founded, estate], 0
    if how == "admitted":
        registered = forged(built.entries[-1], keys["chair"], community, "member.admitted", {
            "member_id": "weak", "name": "新出纳", "role": "treasurer", "public_key": IDENTITY_KEY,
            "term_start": "2024-01-01"})
    else:
        registered = forged(built.entries[-1], keys["chair"], community, "member.key_rotated", {
            "member_id": "treasurer", "public_key": IDENTITY_KEY})
    forgery = by_identity_key(accepted_at(registered) + timedelta(minutes=1), community,
                              "fund.donation_recorded", donation)
    entries = [*built.entries, registered, forgery]
    return entries, len(built.entries)

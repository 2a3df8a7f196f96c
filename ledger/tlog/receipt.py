"""A donor's receipt: a c2sp.org/tlog-proof@v1 file proving that one entry is in the log.

The file carries the entry itself in its ``extra`` line (unauthenticated on its own; it is
trusted only once its leaf hash is shown to be in the signed tree), so one file and the log's
verifier key are enough to check it offline.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

from ledger.application import Sunlight
from ledger.crypto.checkpoint import Checkpoint
from ledger.crypto.errors import MalformedError
from ledger.crypto.merkle import leaf_hash
from ledger.crypto.note import Verifier, split_note
from ledger.crypto.proof_file import format_proof, parse_proof, verify_proof_file
from ledger.domain.errors import NotFound
from ledger.tlog.cosignatures import published_checkpoint


def make_receipt(app: Sunlight, community_id: str, index: int) -> str:
    """The proof file for entry ``index`` against the latest (cosigned) checkpoint."""
    signed = published_checkpoint(app, community_id)
    checkpoint = Checkpoint.parse(split_note(signed)[0])
    if not 0 <= index < checkpoint.size:
        raise NotFound(f"日志（长度 {checkpoint.size}）中没有序号 {index}", code="index-not-found")
    entry = next(iter(app.entries(community_id, index, index + 1)))[1]
    proof = app.inclusion_proof(community_id, index, checkpoint.size)
    return format_proof(index, proof, signed, extra=entry)


@dataclass(frozen=True)
class CheckedReceipt:
    checkpoint: Checkpoint
    index: int
    entry: bytes | None  # the entry, when the file carried it (now authenticated)

    def statement(self) -> dict[str, Any] | None:
        """The signed statement inside the entry, decoded (for display)."""
        if self.entry is None:
            return None
        obj = orjson.loads(self.entry)
        statement = orjson.loads(obj["statement"])
        assert isinstance(statement, dict)
        return statement


def check_receipt(text: str | bytes, log_key: Verifier, *, entry: bytes | None = None,
                  leaf: bytes | None = None, witnesses: tuple[Verifier, ...] = (),
                  quorum: int = 0) -> CheckedReceipt:
    """Verifies a proof file for ``entry``, or for the entry hashing to ``leaf``, or else for the
    entry the file carries. Raises :class:`ledger.crypto.errors.VerificationError` when it does not verify."""
    parsed = parse_proof(text)
    if leaf is None:
        entry = entry if entry is not None else parsed.extra
        if entry is None:
            raise MalformedError("proof file carries no entry; give the entry or its leaf hash")
        leaf = leaf_hash(entry)
    else:
        entry = None  # only the hash is known
    checkpoint = verify_proof_file(text, leaf, [log_key], origin=log_key.name, witnesses=witnesses,
                                   quorum=quorum)
    return CheckedReceipt(checkpoint, parsed.index, entry)

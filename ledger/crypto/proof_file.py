"""c2sp.org/tlog-proof@v1: offline-verifiable inclusion proofs (``.tlog-proof`` files).

::

    c2sp.org/tlog-proof@v1
    extra <base64>          (optional, unauthenticated)
    index <n>
    <base64 hash>           (zero or more, the leaf's sibling first)
    <empty line>
    <signed checkpoint, verbatim>
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ledger.crypto._encoding import b64decode, b64encode, parse_decimal
from ledger.crypto.checkpoint import Checkpoint
from ledger.crypto.cosignature import verify_cosigned
from ledger.crypto.errors import MalformedError
from ledger.crypto.merkle import HASH_SIZE, verify_inclusion
from ledger.crypto.note import Verifier

HEADER = "c2sp.org/tlog-proof@v1"
MAX_PROOF_HASHES = 63


@dataclass(frozen=True)
class ProofFile:
    index: int
    proof: tuple[bytes, ...]
    signed_checkpoint: str
    extra: bytes | None = None

    def text(self) -> str:
        return format_proof(self.index, list(self.proof), self.signed_checkpoint, self.extra)


def format_proof(
    index: int, proof: Sequence[bytes], signed_checkpoint: str, extra: bytes | None = None
) -> str:
    if index < 0 or len(proof) > MAX_PROOF_HASHES or any(len(h) != HASH_SIZE for h in proof):
        raise MalformedError("invalid index or inclusion proof")
    if not signed_checkpoint.endswith("\n"):
        raise MalformedError("a signed checkpoint ends with a newline")
    lines = [HEADER]
    if extra is not None:
        lines.append(f"extra {b64encode(extra)}")
    lines.append(f"index {index}")
    lines.extend(b64encode(h) for h in proof)
    lines.append("")
    return "\n".join(lines) + "\n" + signed_checkpoint


def _take_line(text: str, pos: int) -> tuple[str, int]:
    end = text.find("\n", pos)
    if end < 0:
        raise MalformedError("proof file ends before the signed checkpoint")
    return text[pos:end], end + 1


def parse_proof(text: str | bytes) -> ProofFile:
    """Parse the proof file's syntax (signatures and the proof are not checked here)."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError:
            raise MalformedError("proof file is not valid UTF-8") from None
    line, pos = _take_line(text, 0)
    if line != HEADER:
        raise MalformedError(f"proof file does not start with {HEADER}")
    line, pos = _take_line(text, pos)
    extra = None
    if line.startswith("extra "):
        extra = b64decode(line[len("extra ") :], "extra data")
        line, pos = _take_line(text, pos)
    if not line.startswith("index "):
        raise MalformedError("proof file has no index line")
    index = parse_decimal(line[len("index ") :], "index")
    proof: list[bytes] = []
    line, pos = _take_line(text, pos)
    while line:
        if len(proof) == MAX_PROOF_HASHES:
            raise MalformedError("inclusion proof is too long")
        hash_ = b64decode(line, "proof hash")
        if len(hash_) != HASH_SIZE:
            raise MalformedError("proof hash is not 32 bytes")
        proof.append(hash_)
        line, pos = _take_line(text, pos)
    checkpoint = text[pos:]
    if not checkpoint:
        raise MalformedError("proof file has no signed checkpoint")
    return ProofFile(index, tuple(proof), checkpoint, extra)


def verify_proof_file(
    text: str | bytes,
    leaf_hash: bytes,
    verifiers: Iterable[Verifier],
    *,
    origin: str | None = None,
    witnesses: Sequence[Verifier] = (),
    quorum: int = 0,
) -> Checkpoint:
    """Verify a proof file for the entry whose RFC 9162 leaf hash is ``leaf_hash``.

    Pass ``merkle.leaf_hash(entry)`` when holding the entry. ``verifiers`` are the log's keys;
    the checkpoint must be signed by one of them, cosigned by ``quorum`` distinct
    ``witnesses``, carry ``origin`` if given, and the inclusion proof must reach its root.
    """
    proof_file = parse_proof(text)
    note = verify_cosigned(proof_file.signed_checkpoint, verifiers, witnesses, quorum)
    checkpoint = Checkpoint.parse(note.text)
    if origin is not None and checkpoint.origin != origin:
        raise MalformedError(f"checkpoint origin {checkpoint.origin!r} is not {origin!r}")
    verify_inclusion(
        proof_file.index, checkpoint.size, leaf_hash, proof_file.proof, checkpoint.root_hash
    )
    return checkpoint

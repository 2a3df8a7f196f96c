"""The pure part of c2sp.org/tlog-witness ``add-checkpoint``: request format and decision.

No I/O: the caller parses the body, loads the latest cosigned checkpoint for
``request.origin``, calls :meth:`WitnessState.add_checkpoint`, and on :class:`Cosigned`
persists ``result.checkpoint`` atomically with the size check (see the spec's race).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ledger.crypto._encoding import b64decode, b64encode, parse_decimal
from ledger.crypto.checkpoint import Checkpoint
from ledger.crypto.cosignature import CosignatureSigner
from ledger.crypto.errors import MalformedError, NoteError, VerificationError
from ledger.crypto.merkle import EMPTY_ROOT, HASH_SIZE, verify_consistency
from ledger.crypto.note import Verifier, open_note, split_note

MAX_PROOF_LINES = 63
SIZE_CONTENT_TYPE = "text/x.tlog.size"
TEXT_CONTENT_TYPE = "text/plain; charset=utf-8"


@dataclass(frozen=True)
class AddCheckpointRequest:
    old_size: int
    proof: tuple[bytes, ...]
    signed_checkpoint: str
    checkpoint: Checkpoint
    """The parsed, not yet verified, checkpoint text."""

    @property
    def origin(self) -> str:
        return self.checkpoint.origin

    def body(self) -> str:
        return format_add_checkpoint_request(self.old_size, self.proof, self.signed_checkpoint)


def format_add_checkpoint_request(
    old_size: int, proof: Sequence[bytes], signed_checkpoint: str
) -> str:
    if old_size < 0 or len(proof) > MAX_PROOF_LINES or any(len(h) != HASH_SIZE for h in proof):
        raise MalformedError("invalid old size or consistency proof")
    lines = [f"old {old_size}", *(b64encode(h) for h in proof), ""]
    return "\n".join(lines) + "\n" + signed_checkpoint


def parse_add_checkpoint_request(body: str | bytes) -> AddCheckpointRequest:
    """Parse a request body; any syntax error is a :class:`MalformedError` (400)."""
    if isinstance(body, bytes):
        try:
            body = body.decode("utf-8")
        except UnicodeDecodeError:
            raise MalformedError("request body is not valid UTF-8") from None
    head, sep, signed_checkpoint = body.partition("\n\n")
    if not sep:
        raise MalformedError("request body has no empty line before the checkpoint")
    lines = head.split("\n")
    if not lines[0].startswith("old "):
        raise MalformedError("request body does not start with an old size line")
    old_size = parse_decimal(lines[0][len("old ") :], "old size")
    if len(lines) - 1 > MAX_PROOF_LINES:
        raise MalformedError("more than 63 consistency proof lines")
    proof = tuple(b64decode(line, "consistency proof line") for line in lines[1:])
    if any(len(h) != HASH_SIZE for h in proof):
        raise MalformedError("consistency proof hash is not 32 bytes")
    text, _ = split_note(signed_checkpoint)
    return AddCheckpointRequest(old_size, proof, signed_checkpoint, Checkpoint.parse(text))


@dataclass(frozen=True)
class Cosigned:
    """200: store ``checkpoint`` (and ``signed_checkpoint``), answer with ``body``."""

    checkpoint: Checkpoint
    signed_checkpoint: str
    """The checkpoint with the log signatures verified here and this witness's cosignature."""
    body: str
    status: int = 200
    content_type: str = TEXT_CONTENT_TYPE


@dataclass(frozen=True)
class Rejected:
    status: int
    reason: str
    body: str = ""
    content_type: str = TEXT_CONTENT_TYPE


class WitnessState:
    """A witness's decision logic over the latest checkpoint it cosigned for each log."""

    def __init__(self, cosigner: CosignatureSigner, logs: Mapping[str, Sequence[Verifier]]) -> None:
        self.cosigner = cosigner
        self.logs = dict(logs)

    def add_checkpoint(
        self, stored: Checkpoint | None, request: AddCheckpointRequest, now: int
    ) -> Cosigned | Rejected:
        """Decide on ``request`` given the latest cosigned checkpoint of its log (or None)."""
        if stored is not None and stored.origin != request.origin:
            raise ValueError("stored checkpoint belongs to another log")
        verifiers = self.logs.get(request.origin)
        if verifiers is None:
            return Rejected(404, f"unknown log {request.origin!r}")
        try:
            note = open_note(request.signed_checkpoint, verifiers)
        except MalformedError as exc:
            return Rejected(400, str(exc))
        except NoteError as exc:
            return Rejected(403, str(exc))
        checkpoint = request.checkpoint
        if request.old_size > checkpoint.size:
            return Rejected(400, "old size is larger than the checkpoint size")
        known = stored.size if stored is not None else 0
        if request.old_size != known:
            return Rejected(
                409, f"latest cosigned size is {known}", f"{known}\n", SIZE_CONTENT_TYPE
            )
        if checkpoint.size == 0 and checkpoint.root_hash != EMPTY_ROOT:
            return Rejected(422, "a checkpoint of size 0 must have the empty root")
        if stored is None or request.old_size == 0:
            if request.proof:
                return Rejected(422, "consistency proof must be empty from size 0")
        else:
            try:
                verify_consistency(
                    stored.size,
                    checkpoint.size,
                    stored.root_hash,
                    checkpoint.root_hash,
                    request.proof,
                )
            except VerificationError as exc:
                return Rejected(422, f"not consistent with size {stored.size}: {exc}")
        line = self.cosigner.cosign(note.text, now)
        signed = note.text + "\n" + "".join(s.line() for s in note.signatures) + line
        return Cosigned(checkpoint, signed, line)

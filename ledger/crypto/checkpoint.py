"""C2SP tlog-checkpoint: the note text ``<origin>\\n<size>\\n<base64 root>\\n[extensions]``."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ledger.crypto._encoding import MAX_UINT64, b64decode, b64encode, parse_decimal
from ledger.crypto.errors import MalformedError, UnverifiedNoteError
from ledger.crypto.merkle import HASH_SIZE
from ledger.crypto.note import Note, Verifier, open_note


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    size: int
    root_hash: bytes
    extensions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.origin or "\n" in self.origin:
            raise MalformedError("checkpoint origin must be one non-empty line")
        if not 0 <= self.size <= MAX_UINT64:
            raise MalformedError(f"checkpoint size {self.size} out of range")
        if len(self.root_hash) != HASH_SIZE:
            raise MalformedError("checkpoint root hash must be 32 bytes")
        if any(not ext or "\n" in ext for ext in self.extensions):
            raise MalformedError("checkpoint extension lines must be non-empty single lines")

    def text(self) -> str:
        """The note text, every line (the last included) ending in a newline."""
        lines = [self.origin, str(self.size), b64encode(self.root_hash), *self.extensions]
        return "".join(line + "\n" for line in lines)

    @classmethod
    def parse(cls, text: str) -> Checkpoint:
        """Parse a checkpoint note text strictly."""
        if not text.endswith("\n"):
            raise MalformedError("checkpoint text must end with a newline")
        lines = text[:-1].split("\n")
        if len(lines) < 3:
            raise MalformedError("checkpoint text has fewer than three lines")
        origin, size, root, *extensions = lines
        root_hash = b64decode(root, "checkpoint root hash")
        return cls(origin, parse_decimal(size, "checkpoint size"), root_hash, tuple(extensions))


def open_checkpoint(
    signed_note: str | bytes, verifiers: Iterable[Verifier], *, origin: str | None = None
) -> tuple[Checkpoint, Note]:
    """Verify a signed checkpoint note and parse its text.

    With ``origin``, the checkpoint must carry exactly that origin and a verified signature by a
    key named like it (the log's key).
    """
    note = open_note(signed_note, verifiers)
    checkpoint = Checkpoint.parse(note.text)
    if origin is not None:
        if checkpoint.origin != origin:
            raise MalformedError(f"checkpoint origin {checkpoint.origin!r} is not {origin!r}")
        if not any(sig.name == origin for sig in note.signatures):
            raise UnverifiedNoteError(f"checkpoint is not signed by the log key {origin!r}")
    return checkpoint, note

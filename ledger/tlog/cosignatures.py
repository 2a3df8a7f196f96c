"""Witness cosignatures the log has collected, kept in the store by tree size.

A cosignature is a note signature line over one checkpoint text; the published checkpoint is the
log's signed note with every stored cosignature for its size appended.
"""

from __future__ import annotations

from ledger.application import Sunlight
from ledger.crypto.checkpoint import Checkpoint
from ledger.crypto.note import add_signatures, split_note


def checkpoint_size(signed: str) -> int:
    text, _ = split_note(signed)
    return Checkpoint.parse(text).size


def store_cosignature(app: Sunlight, community_id: str, size: int, witness: str, line: str) -> None:
    """Keeps ``line`` (one ``— name base64`` signature line) as ``witness``'s cosignature at ``size``,
    replacing an earlier one by the same witness for the same size."""
    app.store.put_cosignature(community_id, size, witness, line.rstrip("\n"))


def cosignature_lines(app: Sunlight, community_id: str, size: int) -> list[str]:
    return app.store.cosignature_lines(community_id, size)


def latest_cosigned_size(app: Sunlight, community_id: str, witness: str) -> int:
    """The largest tree size ``witness`` cosigned for this log (0 if none): the witness's
    likely ``old`` size for the next push."""
    return app.store.latest_cosigned_size(community_id, witness)


def published_checkpoint(app: Sunlight, community_id: str) -> str:
    """The latest signed checkpoint with every stored cosignature for its size appended."""
    signed = app.checkpoint(community_id)
    lines = cosignature_lines(app, community_id, checkpoint_size(signed))
    return add_signatures(signed, lines) if lines else signed

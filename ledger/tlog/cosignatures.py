"""Witness cosignatures the log has collected, kept in ``sunlight_cosignatures`` by tree size.

A cosignature is a note signature line over one checkpoint text; the published checkpoint is the
log's signed note with every stored cosignature for its size appended.
"""

from __future__ import annotations

from sqlalchemy import delete, insert, select

from ledger.application import Sunlight
from ledger.crypto.checkpoint import Checkpoint
from ledger.crypto.note import add_signatures, split_note
from ledger.persistence import cosignatures_table


def checkpoint_size(signed: str) -> int:
    text, _ = split_note(signed)
    return Checkpoint.parse(text).size


def store_cosignature(app: Sunlight, community_id: str, size: int, witness: str, line: str) -> None:
    """Keeps ``line`` (one ``— name base64`` signature line) as ``witness``'s cosignature at ``size``,
    replacing an earlier one by the same witness for the same size."""
    line = line.rstrip("\n")
    with app.engine.begin() as conn:
        conn.execute(delete(cosignatures_table).where(
            cosignatures_table.c.community_id == community_id, cosignatures_table.c.size == size,
            cosignatures_table.c.witness == witness))
        conn.execute(insert(cosignatures_table).values(
            community_id=community_id, size=size, witness=witness, line=line))


def cosignature_lines(app: Sunlight, community_id: str, size: int) -> list[str]:
    with app.engine.connect() as conn:
        rows = conn.execute(select(cosignatures_table.c.line).where(
            cosignatures_table.c.community_id == community_id, cosignatures_table.c.size == size
        ).order_by(cosignatures_table.c.witness)).all()
    return [r.line for r in rows]


def latest_cosigned_size(app: Sunlight, community_id: str, witness: str) -> int:
    """The largest tree size ``witness`` cosigned for this log (0 if none): the witness's
    likely ``old`` size for the next push."""
    with app.engine.connect() as conn:
        rows = conn.execute(select(cosignatures_table.c.size).where(
            cosignatures_table.c.community_id == community_id,
            cosignatures_table.c.witness == witness)).all()
    return max((r.size for r in rows), default=0)


def published_checkpoint(app: Sunlight, community_id: str) -> str:
    """The latest signed checkpoint with every stored cosignature for its size appended."""
    signed = app.checkpoint(community_id)
    lines = cosignature_lines(app, community_id, checkpoint_size(signed))
    return add_signatures(signed, lines) if lines else signed

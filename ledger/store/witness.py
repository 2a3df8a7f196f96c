"""A witness's state: per log origin, the latest checkpoint it cosigned (``witness_checkpoints``).

It advances only by an atomic compare-and-swap on the size, so two concurrent requests can never
both advance from the same size (the race c2sp.org/tlog-witness describes).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import create_engine, insert, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from ledger.store.tables import witness_metadata, witness_table


class WitnessStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        witness_metadata.create_all(engine)

    @classmethod
    def open(cls, db_url: str) -> WitnessStore:
        """The witness's own database (``sunlight witness serve --db``)."""
        return cls(create_engine(db_url))

    def latest(self, origin: str) -> tuple[int, str] | None:
        """The size and the checkpoint (as cosigned) last stored for ``origin``."""
        with self.engine.connect() as conn:
            row = conn.execute(select(witness_table.c.size, witness_table.c.checkpoint).where(
                witness_table.c.origin == origin)).first()
        return None if row is None else (row.size, row.checkpoint)

    def swap(self, origin: str, old: int | None, size: int, checkpoint: str, at: datetime) -> bool:
        """Stores ``checkpoint`` at ``size`` only if the stored size is still ``old`` (None: no
        row yet); False if another request moved it first."""
        values = {"size": size, "checkpoint": checkpoint, "updated_at": at}
        try:
            with self.engine.begin() as conn:
                if old is None:
                    conn.execute(insert(witness_table).values(origin=origin, **values))
                    return True
                result = conn.execute(update(witness_table).where(
                    witness_table.c.origin == origin, witness_table.c.size == old).values(**values))
                return bool(result.rowcount == 1)
        except IntegrityError:
            return False  # another request stored this origin's first checkpoint first

    def close(self) -> None:
        self.engine.dispose()

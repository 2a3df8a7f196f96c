"""The storage boundary: the only package that knows tables, SQL or SQLAlchemy.

``events`` (the log's one event and its stored topic), ``recorder`` (the eventsourcing event
store), ``tables`` (every other table), ``schema`` (creating and upgrading them), ``store`` (every
query: logs, invitations, tree hashes, private data, salts, cosignatures, proposals, sign-in
challenges and sessions), ``replica`` (the read side's queries on a hot standby), ``partitioned``
(the tables partitioned by community), ``witness`` (a witness's checkpoints). A new table is added
in ``tables`` and read and written in ``store``.
"""

from __future__ import annotations

import os
from pathlib import Path

from ledger.store.events import CommunityLog, log_id
from ledger.store.replica import ReadStore, StandbyError, parse_lsn, reading_from_standby
from ledger.store.store import (
    Invitation,
    LogRow,
    ProposalRow,
    ReadOnlyDatabase,
    SessionRow,
    SnapshotRow,
    Store,
    Transaction,
    WitnessRow,
)
from ledger.store.witness import WitnessStore

__all__ = ["DEFAULT_DB_URL", "CommunityLog", "Invitation", "LogRow", "ProposalRow",
           "ReadOnlyDatabase", "ReadStore", "SessionRow", "SnapshotRow", "StandbyError", "Store",
           "Transaction", "WitnessRow", "WitnessStore", "default_db_url", "default_read_db_url",
           "log_id", "missing_database", "parse_lsn", "reading_from_standby"]


DEFAULT_DB_URL = "sqlite:///sunlight.db"  # every command's --db default, and the service's


def default_db_url() -> str:
    return os.environ.get("SUNLIGHT_DB") or DEFAULT_DB_URL


def default_read_db_url() -> str | None:
    """The hot standby the service reads from (``sunlight serve --read-db``), if any."""
    return os.environ.get("SUNLIGHT_READ_DB") or None


def missing_database(url: str) -> Path | None:
    """The file of a SQLite ``url`` when it does not exist (a mistyped folder or ``--db``: opening
    it would create an empty ledger); None when it exists or the database is not a file."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):
        return None  # reported when the database is opened
    database = parsed.database or ""
    if parsed.get_backend_name() != "sqlite" or database in ("", ":memory:") or \
            database.startswith("file:") or parsed.query.get("uri"):
        return None
    path = Path(database)
    return None if path.exists() else path

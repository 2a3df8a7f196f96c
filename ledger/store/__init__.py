"""The storage boundary: the only package that knows tables, SQL or SQLAlchemy.

``events`` (the log's one event and its stored topic), ``recorder`` (the eventsourcing event
store), ``tables`` (every other table), ``schema`` (creating and upgrading them), ``store`` (every
query: logs, invitations, tree hashes, private data, salts, cosignatures, proposals, sign-in
challenges and sessions), ``witness`` (a witness's
checkpoints). A new table is added in ``tables`` and read and written in ``store``.
"""

from __future__ import annotations

import os

from ledger.store.events import CommunityLog, log_id
from ledger.store.store import Invitation, LogRow, ProposalRow, SessionRow, Store, Transaction
from ledger.store.witness import WitnessStore

__all__ = ["DEFAULT_DB_URL", "CommunityLog", "Invitation", "LogRow", "ProposalRow", "SessionRow",
           "Store", "Transaction", "WitnessStore", "default_db_url", "log_id"]


DEFAULT_DB_URL = "sqlite:///sunlight.db"  # every command's --db default, and the service's


def default_db_url() -> str:
    return os.environ.get("SUNLIGHT_DB") or DEFAULT_DB_URL

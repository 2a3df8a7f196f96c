"""Every table Sunlight keeps beside the event store, in one place.

The log's events are eventsourcing-sqlalchemy's ``sunlight_events`` table (:mod:`ledger.store.recorder`);
the tables here are written in the same transactions. A witness keeps its one table in
:data:`witness_metadata`, apart: ``sunlight witness serve`` runs on a database of its own.
"""

from __future__ import annotations

from sqlalchemy import Column, DateTime, Integer, LargeBinary, MetaData, String, Table, Text

metadata = MetaData()

logs_table = Table(
    "sunlight_logs", metadata,
    Column("community_id", String(64), primary_key=True),
    Column("origin", String(200), nullable=False, unique=True),
    # The log's checkpoint signing key, only where the operator chose to keep it in the database
    # (``sunlight init --log-key-in-db``, the demo, logs founded before key files); otherwise NULL
    # (empty on a table created before key files, whose column is NOT NULL on SQLite) and the key
    # is in the operator's key directory (``ledger.logkeys``).
    Column("key_seed", LargeBinary(32), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("verifier_key", String(300), nullable=True),  # NULL on old rows: derived from key_seed
)

# One-time founding invitations (``sunlight init --invite``): the token is kept only as its
# SHA-256; using it founds the community and marks it used, in one transaction.
invitations_table = Table(
    "sunlight_invitations", metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("community_id", String(64), nullable=False),
    Column("origin", String(200), nullable=False),
    Column("name", Text, nullable=False),
    Column("verifier_key", String(300), nullable=False),
    Column("key_seed", LargeBinary(32), nullable=True),  # only with --log-key-in-db
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("used_at", DateTime(timezone=True), nullable=True),
)

tree_table = Table(
    "sunlight_tree", metadata,
    Column("community_id", String(64), primary_key=True),
    Column("level", Integer, primary_key=True, autoincrement=False),
    Column("idx", Integer, primary_key=True, autoincrement=False),
    Column("hash", LargeBinary(32), nullable=False),
)

private_table = Table(
    "sunlight_private", metadata,
    Column("community_id", String(64), primary_key=True),
    Column("commitment", String(64), primary_key=True),
    Column("salt", LargeBinary(32), nullable=False),
    Column("data", Text, nullable=False),  # JSON
    Column("log_index", Integer, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

# SHA-256 of every salt the ledger has accepted, kept after ``forget`` erases the salt itself: a
# salt is never accepted twice (a reused salt ties two records to one person, and the hash of a
# 32-byte random salt reveals nothing).
salts_table = Table(
    "sunlight_salts_seen", metadata,
    Column("salt_sha256", LargeBinary(32), primary_key=True),
    Column("seen_at", DateTime(timezone=True), nullable=False),
)

# Witness cosignatures the log has collected, by tree size: one note signature line each.
cosignatures_table = Table(
    "sunlight_cosignatures", metadata,
    Column("community_id", String(64), primary_key=True),
    Column("size", Integer, primary_key=True, autoincrement=False),
    Column("witness", String(200), primary_key=True),
    Column("line", Text, nullable=False),
)

# Snapshots of each community's folded state (``ledger.snapshot``), each tied to the tree size
# and root it was folded from: a cache the ledger checks against the stored tree before use.
snapshots_table = Table(
    "sunlight_snapshots", metadata,
    Column("community_id", String(64), primary_key=True),
    Column("size", Integer, primary_key=True, autoincrement=False),
    Column("root_hash", LargeBinary(32), nullable=False),
    Column("format", String(100), nullable=False),
    Column("data", LargeBinary, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

# The witnesses a community's checkpoints are pushed to (``ledger.api.witnessing``): the URL of
# each one's add-checkpoint endpoint, its verifier key (name+id+key, C2SP signed-note) and the
# name the portal gives it.
witnesses_table = Table(
    "sunlight_witnesses", metadata,
    Column("community_id", String(64), primary_key=True),
    Column("name", String(200), primary_key=True),  # the witness's key name
    Column("url", String(500), nullable=False),
    Column("verifier_key", String(300), nullable=False),
    Column("label", String(100), nullable=True),  # what residents call it (街道办); NULL: the name
)

witness_metadata = MetaData()

# A witness's latest cosigned checkpoint per log origin (``ledger.tlog.witness``).
witness_table = Table(
    "witness_checkpoints", witness_metadata,
    Column("origin", String(200), primary_key=True),
    Column("size", Integer, nullable=False),
    Column("checkpoint", Text, nullable=False),  # the checkpoint as cosigned (log sigs + ours)
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

# Proposals (``ledger.proposals``): statements signed by fewer members than the signing policy
# asks for, waiting for their co-signatures; never in the log. ``private`` (the donor's name, ...)
# is erased when a proposal expires or is appended (the log's private table takes it then);
# the row stays, with its status, for the audit views.
proposals_table = Table(
    "sunlight_proposals", metadata,
    Column("proposal_id", String(32), primary_key=True),
    Column("community_id", String(64), nullable=False, index=True),
    Column("kind", String(64), nullable=False),
    Column("statement", Text, nullable=False),
    Column("statement_hash", String(64), nullable=False),
    Column("signatures", Text, nullable=False),  # JSON [[key_id, signature base64], ...]
    Column("private", Text, nullable=True),  # JSON, NULL once erased
    Column("status", String(16), nullable=False),  # pending | appended | expired
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("closed_at", DateTime(timezone=True), nullable=True),
    Column("log_index", Integer, nullable=True),  # once appended
)

# Sign-in without passwords (``ledger.api.auth``): single-use challenges and sessions, each kept
# only as the SHA-256 of its random token.
challenges_table = Table(
    "sunlight_auth_challenges", metadata,
    Column("challenge_hash", String(64), primary_key=True),
    Column("community_id", String(64), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
)

sessions_table = Table(
    "sunlight_sessions", metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("community_id", String(64), nullable=False),
    Column("member_id", String(64), nullable=False),
    Column("key_id", String(16), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
)

# New members' public keys under their key ID (the console's pairing code), for a day: the
# 主任's console reads one back to admit the member. Public keys only; nothing secret.
pairings_table = Table(
    "sunlight_pairings", metadata,
    Column("key_id", String(16), primary_key=True),
    Column("public_key", String(44), nullable=False),
    Column("name", String(32), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
)

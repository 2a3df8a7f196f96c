"""The tables partitioned by community (``sunlight db init --partitioned``, PostgreSQL only).

Each community's rows -- its log's events, its tree hashes, its private data, its witness
cosignatures -- live in one partition of each table, chosen by hashing the community's key: the
log's id (``originator_id``, a UUID derived from the community id) for the events, the community
id for our own tables. PostgreSQL's declarative hash partitioning here; on a distributed
PostgreSQL such as Citus the same column is each table's distribution column.

**The invariant.** Everything that keeps a log whole -- no gap, no duplicate, no fork -- is
enforced inside one community's partition: the events' primary key (``originator_id``,
``originator_version``) and the row lock on the community's ``sunlight_logs`` row, taken in the
transaction that appends. So a community's log must be written by one primary at a time: every
partition (or shard) holding its rows sits on the node that commits its appends, and moving a
community to another node stops its writes until the move is done.

**The event store's table.** eventsourcing-sqlalchemy defines ``sunlight_events`` with the
notification id (``id``) alone as primary key and a unique index on (``originator_id``,
``originator_version``). A partitioned table cannot have that: PostgreSQL requires every primary
key and unique index of a partitioned table to include the partition key, and ``id`` is a
counter over all logs. The recorder creates its table only if there is none (``checkfirst``) and
never relies on ``id`` being a key (it inserts without it and reads ``RETURNING id``; it selects
by ``originator_id`` and orders notifications by ``id``). So the table is created here first, with
the same columns and types, (``originator_id``, ``originator_version``) as primary key -- the
constraint the ledger depends on, now enforced in each partition -- and a plain index on ``id``,
still filled from its own sequence (unique by the sequence, no longer by an index).

Not partitioned: ``sunlight_logs`` (one row per community; its ``origin`` is unique across all
communities), ``sunlight_invitations`` and ``sunlight_salts_seen`` (a salt is refused in every
community once seen in any): small, and unique across communities by design; and the proposals
and sign-in tables (few rows, none of them part of a log).
"""

from __future__ import annotations

from sqlalchemy import Table, create_engine, inspect
from sqlalchemy.engine import Engine
from sqlalchemy.schema import CreateIndex, CreateTable

from ledger.store.store import Store
from ledger.store.tables import cosignatures_table, private_table, tree_table

DEFAULT_PARTITIONS = 16
EVENTS = "sunlight_events"  # the eventsourcing application "Sunlight"'s stored events
# our tables partitioned by community, with their partition key
OURS: tuple[Table, ...] = (tree_table, private_table, cosignatures_table)


class PartitionError(Exception):
    """The database cannot be given the partitioned layout (a Chinese sentence)."""


def _events_ddl(partitions: int) -> list[str]:
    return [
        f"CREATE TABLE {EVENTS} ("
        "id BIGSERIAL NOT NULL, originator_id UUID NOT NULL, originator_version BIGINT NOT NULL, "
        "topic TEXT NOT NULL, state BYTEA NOT NULL, "
        "PRIMARY KEY (originator_id, originator_version)) PARTITION BY HASH (originator_id)",
        f"CREATE INDEX {EVENTS}_id_idx ON {EVENTS} (id)",
        *_partitions(EVENTS, partitions),
    ]


def _partitions(table: str, partitions: int) -> list[str]:
    return [f"CREATE TABLE {table}_p{n} PARTITION OF {table} "
            f"FOR VALUES WITH (MODULUS {partitions}, REMAINDER {n})" for n in range(partitions)]


def _ours_ddl(engine: Engine, partitions: int) -> list[str]:
    statements: list[str] = []
    for table in OURS:
        create = str(CreateTable(table).compile(dialect=engine.dialect)).strip()
        statements.append(f"{create} PARTITION BY HASH (community_id)")
        statements += [str(CreateIndex(index).compile(dialect=engine.dialect))
                       for index in table.indexes]
        statements += _partitions(table.name, partitions)
    return statements


def create_partitioned(url: str, partitions: int = DEFAULT_PARTITIONS) -> None:
    """Creates the partitioned tables in the empty PostgreSQL database at ``url`` (the others
    are created as usual when the ledger first opens it)."""
    if not 1 <= partitions <= 1024:
        raise PartitionError("分区数须在 1 到 1024 之间")
    engine = create_engine(url)
    try:
        if engine.dialect.name != "postgresql":
            raise PartitionError("按社区分区的表只能建在 PostgreSQL 上")
        existing = [name for name in inspect(engine).get_table_names()
                    if name == EVENTS or name.startswith("sunlight_")]
        if existing:
            shown = "、".join(sorted(existing)[:3]) + ("等" if len(existing) > 3 else "")
            raise PartitionError(f"数据库中已有账本的表（{shown}）：分区布局只能在新的空数据库中建立")
        with engine.begin() as conn:
            for statement in [*_events_ddl(partitions), *_ours_ddl(engine, partitions)]:
                conn.exec_driver_sql(statement)
    finally:
        engine.dispose()


def partitioned_tables(store: Store) -> dict[str, int]:
    """The partitioned tables of the store's database and how many partitions each has."""
    engine = store.engine
    if engine.dialect.name != "postgresql":
        return {}
    with engine.connect() as conn:
        rows = conn.exec_driver_sql(
            "SELECT c.relname, count(i.inhrelid) FROM pg_partitioned_table p "
            "JOIN pg_class c ON c.oid = p.partrelid "
            "JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = current_schema() "
            "LEFT JOIN pg_inherits i ON i.inhparent = c.oid GROUP BY c.relname").all()
    return {str(name): int(count) for name, count in rows}

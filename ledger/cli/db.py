"""``sunlight db init``: creates the ledger's tables, optionally partitioned by community."""

from __future__ import annotations

from typing import Annotated

import typer

from ledger.cli.root import DbOption, app, fail, open_ledger
from ledger.store import DEFAULT_DB_URL

db_app = typer.Typer(help="数据库：建表（可按社区分区）。", no_args_is_help=True)
app.add_typer(db_app, name="db")


@db_app.command("init")
def db_init(
    db: DbOption = DEFAULT_DB_URL,
    partitioned: Annotated[bool, typer.Option(
        "--partitioned", help="按社区分区（PostgreSQL 声明式分区；须为新的空数据库），见 docs/scaling.md")
    ] = False,
    partitions: Annotated[int, typer.Option(
        "--partitions", min=1, max=1024, help="--partitioned 时每张表的分区数")] = 16,
) -> None:
    """建立账本的表（已有的表保持不变）；--partitioned 时事件、树哈希、私密数据和联署按社区分区。"""
    from ledger.store.partitioned import PartitionError, create_partitioned, partitioned_tables

    if partitioned:
        try:
            create_partitioned(db, partitions)
        except PartitionError as exc:
            fail(str(exc), 2)
        except Exception as exc:  # a bad URL or an unreachable server
            fail(f"无法打开数据库 {db}：{type(exc).__name__}: {exc}", 2)
    ledger = open_ledger(db, create=True)
    try:
        layout = partitioned_tables(ledger.store)
    finally:
        ledger.close()
    if layout:
        parts = "、".join(f"{name}（{n} 个分区）" for name, n in sorted(layout.items()))
        typer.echo(f"已建表，按社区分区：{parts}")
    else:
        typer.echo("已建表")

"""``sunlight serve``: the ledger service over HTTP (Starlette under uvicorn)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ledger.cli.root import DbOption, LogKeyDirOpt, app, check_port, fail, open_ledger, os_error
from ledger.store import DEFAULT_DB_URL, ReadStore, StandbyError

if TYPE_CHECKING:
    from ledger.application import Sunlight


def check_standby(ledger: Sunlight, read_db: str) -> None:
    """Fails (exit 2) unless ``read_db`` is a hot standby the service can read from."""
    try:
        ReadStore.open(ledger.store, read_db).close()
    except StandbyError as exc:
        fail(str(exc), 2)
    except Exception as exc:  # a bad URL: the service cannot run
        fail(f"无法打开读副本 {read_db}：{type(exc).__name__}: {exc}", 2)


@app.command("serve")
def serve(
    db: DbOption = DEFAULT_DB_URL,
    host: Annotated[str, typer.Option(envvar="SUNLIGHT_HOST", help="监听地址")] = "127.0.0.1",
    port: Annotated[int, typer.Option(envvar="SUNLIGHT_PORT", help="监听端口")] = 8080,
    workers: Annotated[int, typer.Option(envvar="SUNLIGHT_WORKERS", min=1,
                                         help="工作进程数（SQLite 建议 1）")] = 1,
    worker_timeout: Annotated[int, typer.Option(
        envvar="SUNLIGHT_WORKER_TIMEOUT", min=1,
        help="多个工作进程时，每个进程启动及应答健康检查的时限（秒），超时则被替换")] = 60,
    log_level: Annotated[str, typer.Option(envvar="SUNLIGHT_LOG_LEVEL",
                                           help="日志级别：debug、info、warning")] = "info",
    rate_per_address: Annotated[float | None, typer.Option(
        envvar="SUNLIGHT_RATE_PER_ADDRESS",
        help="每个客户端地址每秒请求数上限（0 为不限；不给出则用服务的默认值，见 README）")] = None,
    rate_per_key: Annotated[float | None, typer.Option(
        envvar="SUNLIGHT_RATE_PER_KEY",
        help="每把成员密钥每秒提交数上限（0 为不限；不给出则用服务的默认值，见 README）")] = None,
    publish_cmd: Annotated[str | None, typer.Option(
        envvar="SUNLIGHT_PUBLISH_CMD",
        help="有新记录后重建门户的命令，{community} 与 {db} 会被替换")] = None,
    witness_name: Annotated[str | None, typer.Option(
        envvar="SUNLIGHT_WITNESS_NAME", help="作为见证人时的名称")] = None,
    witness_seed_file: Annotated[str | None, typer.Option(
        envvar="SUNLIGHT_WITNESS_SEED_FILE", help="见证人 Ed25519 种子文件（32 字节或 64 位十六进制）")
    ] = None,
    witness_log: Annotated[list[str] | None, typer.Option(
        help="另外见证的日志公钥（note verifier key），可重复")] = None,
    log_key_dir: LogKeyDirOpt = None,
    files_dir: Annotated[str | None, typer.Option(
        envvar="SUNLIGHT_FILES_DIR",
        help="附件公开副本的存放目录（每个社区一个子目录；发布命令用 --attachments 目录/{community}）")] = None,
    read_db: Annotated[str | None, typer.Option(
        "--read-db", envvar="SUNLIGHT_READ_DB",
        help="读副本：--db 的 PostgreSQL 流复制热备库地址；查询由它回答，写入仍在主库")] = None,
) -> None:
    """运行账本服务：登记签名记录、查询记录与日志、提供证明（HTTP API）。"""
    from ledger.api.server import ServeOptions
    from ledger.api.server import serve as run

    if (witness_name is None) != (witness_seed_file is None):
        fail("--witness-name 与 --witness-seed-file 须同时提供")
    check_port(host, port)
    ledger = open_ledger(db, create=True)  # creates the tables once, and fails clearly on a bad database URL
    if ledger.store.read_only:
        ledger.close()
        fail("--db 是只读的热备库：服务须在主库上写入；热备库请用 --read-db 给出", 2)
    if read_db:
        check_standby(ledger, read_db)
    ledger.close()
    try:
        run(ServeOptions(db=db, host=host, port=port, workers=workers, log_level=log_level,
                         worker_timeout=worker_timeout,
                         rate_per_address=rate_per_address, rate_per_key=rate_per_key,
                         publish_cmd=publish_cmd, witness_name=witness_name,
                         witness_seed_file=witness_seed_file,
                         witness_logs=tuple(witness_log or ()),
                         log_key_dir=str(log_key_dir.resolve()) if log_key_dir else None,
                         files_dir=str(Path(files_dir).resolve()) if files_dir else None,
                         read_db=read_db))
    except (ValueError, OSError) as exc:
        fail(f"无法启动服务：{os_error(exc) if isinstance(exc, OSError) else exc}", 2)

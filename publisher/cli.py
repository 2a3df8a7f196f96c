"""``sunlight publish``: builds a community's public portal from its log.

The publisher's own command, with its own options: it imports nothing from ``ledger.cli`` (the
command line adds this command to itself, see :mod:`ledger.cli`). Its ``--db`` and
``-c/--community`` read the same environment variables, with the same defaults, as every other
``sunlight`` command.
"""

from __future__ import annotations

import errno
import logging
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn
from urllib.parse import urlsplit

import typer

from ledger.redaction import redact
from ledger.store import DEFAULT_DB_URL

if TYPE_CHECKING:
    from publisher.build import PublishResult
    from publisher.district import DistrictResult
    from publisher.witnesses import Witness

DEFAULT_OUT = Path("build/portal")

DbOption = Annotated[str, typer.Option(
    "--db", envvar="SUNLIGHT_DB", help=f"SQLAlchemy 数据库地址，如 {DEFAULT_DB_URL} 或 postgresql+psycopg://…")]
CommunityOption = Annotated[str | None, typer.Option(
    "--community", "-c", envvar="SUNLIGHT_COMMUNITY", help="社区编号；库中只有一个社区时可省略")]


def register(app: typer.Typer) -> None:
    app.command("publish", help="根据日志生成社区公开门户（静态网站）。")(publish_command)


def _fail(message: str, code: int) -> NoReturn:
    typer.echo(redact(f"错误：{message}"), err=True)
    raise typer.Exit(code)


def publish_command(
    db: DbOption = DEFAULT_DB_URL,
    community: CommunityOption = None,
    out: Annotated[Path, typer.Option("--out", help="输出目录")] = DEFAULT_OUT,
    base_url: Annotated[str, typer.Option(
        "--base-url", envvar="SUNLIGHT_PUBLIC_URL",
        help="网站的公开地址，用于二维码和核验命令，如 https://example.org/xingfuli/")
    ] = "http://127.0.0.1:8000/",
    serve: Annotated[bool, typer.Option("--serve", help="生成后在本机提供浏览")] = False,
    port: Annotated[int, typer.Option("--port", help="--serve 使用的端口")] = 8000,
    attachments: Annotated[Path | None, typer.Option(
        "--attachments", help="要公开的附件原件所在目录：只公开账本登记了其 SHA-256 的文件")
    ] = None,
    witness: Annotated[list[str] | None, typer.Option(
        "--witness", help="门户上说明其确认的见证人：名称=联署公钥，如 街道办=witness.example+1a2b3c4d+…（可重复）")
    ] = None,
    district: Annotated[str | None, typer.Option(
        "--district", help="生成整个街道的门户：库中每个社区的门户在 /<社区编号>/ 下，另加各社区比较页；"
                           "值为街道名称，如 城南街道")] = None,
) -> None:
    from publisher.preview import serve_site
    from publisher.witnesses import Witness

    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    if attachments is not None and not attachments.is_dir():
        _fail(f"附件目录 {attachments} 不存在或不是目录", 2)
    try:
        witnesses = tuple(Witness.parse(w) for w in witness or ())
    except ValueError as exc:
        _fail(str(exc), 2)
    # before the build, not after it; at the public address's path, as the real host serves it
    server = _listen(out, port, urlsplit(base_url).path) if serve else None
    if district is not None:
        if community is not None or attachments is not None:
            _fail("--district 生成库中全部社区的门户，不能同时用 -c/--community 或 --attachments", 2)
        try:
            done = _build_district(db, district, out, base_url, witnesses)
        except BaseException:
            if server is not None:
                server.server_close()
            raise
        typer.echo(f"已生成街道门户：{done.out_dir}（{done.communities} 个社区，本次重新生成 "
                   f"{len(done.published)} 个，{sum(done.seconds.values()):.1f} 秒）")
        if server is not None:
            serve_site(server)
        return
    try:
        result = _build(db, community, out, base_url, attachments, witnesses)
    except BaseException:
        if server is not None:
            server.server_close()
        raise
    typer.echo(f"已生成门户：{result.out_dir}（{result.records} 条记录，"
               f"{sum(result.seconds.values()):.1f} 秒）")
    if not result.searchable:
        typer.echo("注意：未安装 pagefind，网站没有搜索功能", err=True)
    if server is not None:
        serve_site(server)


def _listen(out: Path, port: int, prefix: str) -> ThreadingHTTPServer:
    from publisher.preview import make_server

    try:
        return make_server(out, "127.0.0.1", port, prefix)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            _fail(f"端口 {port} 已被占用（另一个程序正在使用 127.0.0.1:{port}）；"
                  "请用 --port 指定另一个端口，或先停止那个程序", 2)
        _fail(f"无法监听 127.0.0.1:{port}：{exc.strerror or exc}；请检查 --port", 2)


def _build_district(db: str, name: str, out: Path, base_url: str,
                    witnesses: tuple[Witness, ...]) -> DistrictResult:
    from ledger.application import Sunlight
    from publisher.build import PublishError
    from publisher.district import publish_district

    if not name.strip():
        _fail("--district 须给出街道名称，如 --district 城南街道", 2)
    try:
        ledger = Sunlight(db)
    except Exception as exc:  # a bad URL or an unreachable server: the command cannot run
        _fail(f"无法打开数据库 {db}：{type(exc).__name__}: {exc}", 2)
    try:
        return publish_district(ledger, name.strip(), out, base_url=base_url, witnesses=witnesses)
    except PublishError as exc:
        _fail(str(exc), 2)


def _build(db: str, community: str | None, out: Path, base_url: str,
           attachments: Path | None = None, witnesses: tuple[Witness, ...] = ()) -> PublishResult:
    from ledger.application import Sunlight
    from ledger.store import missing_database
    from publisher.build import PublishError, publish

    missing = missing_database(db)
    if missing is not None:  # a mistyped folder or --db: never publish an empty, new ledger
        _fail(f"找不到账本数据库 {missing}（当前目录：{Path.cwd()}）。请在建账时所在的目录运行，"
              "或用 --db（或环境变量 SUNLIGHT_DB）指定数据库", 2)
    try:
        ledger = Sunlight(db)
    except Exception as exc:  # a bad URL or an unreachable server: the command cannot run
        _fail(f"无法打开数据库 {db}：{type(exc).__name__}: {exc}", 2)
    if community is None:
        ids = [c.community_id for c in ledger.communities()]
        if len(ids) != 1:
            _fail("请用 -c/--community 指定社区编号" + (f"（现有：{'、'.join(ids)}）" if ids else
                                                  "（库中还没有社区）"), 1)
        community = ids[0]
    try:
        return publish(ledger, community, out, base_url=base_url, attachments=attachments,
                       witnesses=witnesses)
    except PublishError as exc:
        _fail(str(exc), 2)

"""The root of the command line: the ``sunlight`` app, the options every command shares
(``--db``, ``-c/--community``, ``-k/--key``, ``--log-key-dir``), and error reporting.

Errors reach the user as one Chinese sentence on stderr and a non-zero exit: 1 when the input
was refused, 2 when the command could not run or was not written as it should be (a usage
error, explained in Chinese by :mod:`ledger.cli.usage`).
"""

from __future__ import annotations

import errno
import socket
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
from typer._click.exceptions import ClickException
from typer.core import TyperGroup

if TYPE_CHECKING:
    from ledger.application import Sunlight

from ledger.cli.usage import NoArgsIsHelpError, UsageError, choice_parser, explain, speak_chinese
from ledger.domain.errors import DomainError
from ledger.domain.roles import Role
from ledger.redaction import redact
from ledger.store import DEFAULT_DB_URL, ReadOnlyDatabase, missing_database


class _Group(TyperGroup):
    """Turns a refused statement into one Chinese line on stderr and exit code 1, a file that
    cannot be read or written into one line and exit code 2, and a usage error into Chinese
    sentences and exit code 2."""

    def main(self, args: Sequence[str] | None = None, prog_name: str | None = None,
             complete_var: str | None = None, standalone_mode: bool = True,
             windows_expand_args: bool = True, **extra: Any) -> Any:
        speak_chinese(self)
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, False, windows_expand_args, **extra)
        try:
            code = super().main(args, prog_name, complete_var, False, windows_expand_args, **extra)
        except NoArgsIsHelpError as exc:  # `sunlight` or `sunlight member` alone: the help
            typer.echo(exc.format_message(), err=True)
            sys.exit(2)
        except UsageError as exc:
            typer.echo(redact(explain(exc)), err=True)
            sys.exit(2)
        except ClickException as exc:
            typer.echo(redact(f"错误：{exc.format_message()}"), err=True)
            sys.exit(exc.exit_code)
        except typer.Abort:
            typer.echo("已取消", err=True)
            sys.exit(1)
        sys.exit(code if isinstance(code, int) else 0)

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except DomainError as exc:
            typer.echo(redact(f"错误：{exc}"), err=True)
            ctx.exit(2 if exc.status >= 500 else 1)  # e.g. the log key is missing: could not run
        except ReadOnlyDatabase as exc:
            typer.echo(f"错误：{exc}", err=True)
            ctx.exit(2)
        except OSError as exc:
            hint = "；请用 --port 指定另一个端口" if exc.errno == errno.EADDRINUSE else ""
            typer.echo(redact(f"错误：{os_error(exc)}{hint}"), err=True)
            ctx.exit(2)


app = typer.Typer(
    cls=_Group,
    name="sunlight",
    help="阳光账本 Sunlight：社区居务、微基金、物业费、决议与评议的签名账本与公开门户。",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

DbOption = Annotated[
    str,
    typer.Option("--db", envvar="SUNLIGHT_DB",
                 help=f"SQLAlchemy 数据库地址，如 {DEFAULT_DB_URL} 或 postgresql+psycopg://…"),
]
CommunityOpt = Annotated[str, typer.Option("--community", "-c", envvar="SUNLIGHT_COMMUNITY",
                                           help="社区编号，如 xingfuli")]
SignerOpt = Annotated[list[str], typer.Option(
    "--key", "-k", help="签名人的密钥名或文件；须多人共同签署时重复给出（-k chen -k wang）")]
RoleOpt = Annotated[Role, typer.Option(
    "--role", parser=choice_parser(Role),
    help="职务：" + "、".join(f"{r.label}（{r.value}）" for r in Role) + "，写中文或英文均可")]
ServerOpt = Annotated[str | None, typer.Option(
    "--server", envvar="SUNLIGHT_SERVER",
    help="经由运行中的服务提交（如 https://ledger.example），而不直接访问数据库；密钥只在本机签名")]
LogKeyDirOpt = Annotated[Path | None, typer.Option(
    "--log-key-dir", envvar="SUNLIGHT_LOG_KEY_DIR",
    help="日志签名密钥目录：每个社区一个 <社区编号>.logkey 文件，权限 600（默认 ./log-keys）")]


def fail(message: str, code: int = 1) -> NoReturn:
    typer.echo(redact(f"错误：{message}"), err=True)
    raise typer.Exit(code)


def recorded(kind: str, index: int, duplicate: bool = False) -> str:
    """What a command says once a statement is in the log: the record's Chinese name (from the
    kinds registry) and its log index -- ``已登记：登记捐赠（日志序号 12）``."""
    from ledger.domain.kinds import KINDS

    title = KINDS[kind].title if kind in KINDS else kind
    word = "已登记过（未重复登记）" if duplicate else "已登记"
    return f"{word}：{title}（日志序号 {index}）"


def os_error(exc: OSError) -> str:
    """A file or network error as one Chinese sentence (with the system's own words after it)."""
    where = f"{exc.filename}：" if exc.filename is not None else ""
    reason = {errno.ENOENT: "文件或目录不存在", errno.EACCES: "没有访问权限",
              errno.EPERM: "没有访问权限", errno.EISDIR: "这是一个目录，不是文件",
              errno.ENOTDIR: "路径中有一部分不是目录", errno.ENOSPC: "磁盘已满",
              errno.EADDRINUSE: "端口已被占用"}.get(exc.errno or 0, "操作失败")
    return f"{where}{reason}（{exc.strerror or exc}）"


def read_input(path: Path, what: str) -> bytes:
    """The bytes of an input file the command cannot run without: exit 2 if it cannot be read."""
    try:
        return path.read_bytes()
    except OSError as exc:
        fail(f"无法读取{what} {path}：{os_error(exc).removeprefix(f'{path}：')}", 2)


def check_port(host: str, port: int, option: str = "--port") -> None:
    """Fails (exit 2) with a Chinese sentence naming ``option`` when ``host:port`` cannot be
    listened on -- before any work, instead of an ``OSError`` once the work is done."""
    try:
        addresses = socket.getaddrinfo(host or None, port, type=socket.SOCK_STREAM,
                                       flags=socket.AI_PASSIVE)
    except (OSError, UnicodeError) as exc:
        fail(f"无法监听 {host}:{port}：地址无效（{exc}）", 2)
    for family, kind, proto, _name, address in addresses:
        with socket.socket(family, kind, proto) as probe:
            # the servers (uvicorn, http.server) set SO_REUSEADDR too: a port in TIME_WAIT is free
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind(address)
            except OSError as exc:
                if exc.errno == errno.EADDRINUSE:
                    fail(f"端口 {port} 已被占用（另一个程序正在使用 {host}:{port}）；"
                         f"请用 {option} 指定另一个端口，或先停止那个程序", 2)
                fail(f"无法监听 {host}:{port}：{os_error(exc)}；请检查 {option}", 2)


def open_ledger(db: str, log_key_dir: Path | None = None, *, create: bool = False) -> Sunlight:
    """The ledger; log keys kept outside the database are read from ``log_key_dir`` (default
    ``SUNLIGHT_LOG_KEY_DIR``, else ``./log-keys``).

    Only a command that founds a community or sets up a database (``create``) makes a new SQLite
    file: any other refuses (exit 2) when the file is not there -- a mistyped folder or ``--db``
    -- instead of working on an empty ledger."""
    from ledger.application import Sunlight

    missing = None if create else missing_database(db or DEFAULT_DB_URL)
    if missing is not None:
        fail(f"找不到账本数据库 {missing}（当前目录：{Path.cwd()}）。请在建账时所在的目录运行，"
             f"或用 --db（或环境变量 SUNLIGHT_DB）指定数据库；新建社区请用 sunlight init", 2)
    try:
        return Sunlight(db or DEFAULT_DB_URL, log_key_dir=log_key_dir)
    except Exception as exc:  # a bad URL or an unreachable server: the command cannot run
        fail(f"无法打开数据库 {db}：{type(exc).__name__}: {exc}", 2)


def run() -> None:
    # Always a group, even when one command is registered (``sunlight serve`` registers only
    # its own, see :mod:`ledger.cli`): typer would otherwise run that command as the app itself.
    typer.main.get_group(app)()

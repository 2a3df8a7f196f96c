"""What every command shares: the root app, the database option, and error reporting.

Errors reach the user as one Chinese sentence on stderr and a non-zero exit: 1 when the input
was refused, 2 when the command could not run.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
from typer.core import TyperGroup

if TYPE_CHECKING:
    from ledger.application import Sunlight

from ledger.domain.errors import DomainError
from ledger.redaction import redact


class _Group(TyperGroup):
    """Turns a refused statement into one Chinese line on stderr and exit code 1."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except DomainError as exc:
            typer.echo(redact(f"错误：{exc}"), err=True)
            ctx.exit(1)


app = typer.Typer(
    cls=_Group,
    name="sunlight",
    help="阳光账本 Sunlight：社区居务、微基金、物业费、决议与评议的签名账本与公开门户。",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

DEFAULT_DB = "sqlite:///sunlight.db"
DbOption = Annotated[
    str,
    typer.Option("--db", envvar="SUNLIGHT_DB",
                 help="SQLAlchemy 数据库地址，如 sqlite:///sunlight.db 或 postgresql+psycopg://…"),
]


def fail(message: str, code: int = 1) -> NoReturn:
    typer.echo(redact(f"错误：{message}"), err=True)
    raise typer.Exit(code)


def open_ledger(db: str) -> Sunlight:
    from ledger.application import Sunlight

    try:
        return Sunlight(db or DEFAULT_DB)
    except Exception as exc:  # a bad URL or an unreachable server: the command cannot run
        fail(f"无法打开数据库 {db}：{type(exc).__name__}: {exc}", 2)


def run() -> None:
    app()

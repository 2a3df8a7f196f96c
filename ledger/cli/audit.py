"""``sunlight audit``: the audit views of one community, or of every community in the database.

Exits 0 when nothing was found, 1 when there are findings, 2 when it could not run.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated

import typer

from ledger.audit.findings import audit_entries
from ledger.audit.views import markdown, to_csv, to_json
from ledger.cli.root import DbOption, app, fail, open_ledger
from ledger.domain.errors import DomainError
from ledger.domain.state import SHANGHAI
from ledger.proposals import lapsed_proposals
from ledger.store import DEFAULT_DB_URL


class Format(StrEnum):
    md = "md"
    json = "json"
    csv = "csv"


@app.command("audit")
def audit_command(
        community: Annotated[str | None, typer.Option(
            "--community", "-c", envvar="SUNLIGHT_COMMUNITY", help="社区编号；不填则审计数据库中的全部社区")] = None,
        fmt: Annotated[Format, typer.Option("--format", help="输出格式：md（默认）、json 或 csv")] = Format.md,
        as_of: Annotated[str | None, typer.Option(
            "--as-of", help="按哪一天审计（YYYY-MM-DD，默认今天）：之后的记录不计，期限以这一天判断")] = None,
        db: DbOption = DEFAULT_DB_URL) -> None:
    """审计视图：公开是否及时、登记是否及时、资金和跟进落实中需要关注的情况（有发现时退出码为 1）。"""
    day = datetime.now(SHANGHAI).date()
    if as_of is not None:
        try:
            day = date.fromisoformat(as_of)
        except ValueError:
            fail(f"--as-of {as_of} 不是有效的日期，应为 YYYY-MM-DD", 2)
    ledger = open_ledger(db)
    ids = [community] if community else [c.community_id for c in ledger.communities()]
    if not ids:
        fail("数据库中没有社区", 2)
    audits = []
    for community_id in ids:
        try:
            audits.append(audit_entries(community_id, ledger.entries(community_id), day,
                                        lapsed_proposals(ledger, community_id)))
        except DomainError as exc:
            fail(f"社区 {community_id} 无法审计：{exc}", 2)
    render = {Format.md: markdown, Format.json: to_json, Format.csv: to_csv}[fmt]
    typer.echo(render(audits), nl=False)
    raise typer.Exit(1 if any(a.findings for a in audits) else 0)

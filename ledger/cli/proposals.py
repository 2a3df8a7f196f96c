"""``sunlight propose``, ``sunlight proposals``, ``sunlight cosign``: statements that wait for a
second signature (:mod:`ledger.proposals`), in the database or through a running service
(``--server URL``: signed here, sent over HTTP; listing and reading a proposal sign in with the
member's key)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from ledger.cli.keys import KeyDir, load_key, load_signers, sign_together
from ledger.cli.record import build_statement
from ledger.cli.root import CommunityOpt, DbOption, ServerOpt, SignerOpt, app, fail, open_ledger, recorded
from ledger.signing import Statement
from ledger.store import DEFAULT_DB_URL

STATUS_ZH = {"pending": "待签", "appended": "已登记", "expired": "已过期"}


@app.command("propose")
def propose(kind: Annotated[str, typer.Argument(help="记录类型，如 fund.grant_made")],
            community: CommunityOpt, key: SignerOpt,
            json_body: Annotated[str | None, typer.Option("--json", help="记录内容（JSON 对象）")] = None,
            set_: Annotated[list[str] | None, typer.Option("--set", help="字段=值，可重复")] = None,
            person: Annotated[list[str] | None, typer.Option(
                "--person", help="个人信息 字段=值（只存私密存储），可重复")] = None,
            directory: KeyDir = Path("keys"), db: DbOption = DEFAULT_DB_URL,
            server: ServerOpt = None) -> None:
    """提出一条须共同签署的记录：签名已齐即登记，否则保存为提案，等其他成员用 sunlight cosign 签署。"""
    signers = load_signers(key, directory)
    statement, private = build_statement(kind, community, json_body, set_, person)
    submission = sign_together(signers, statement, private)
    if server is not None:
        from ledger.cli.client import Client

        status, answer = Client(server, community).propose(submission)
        if status == 202:
            _kept(community, answer)
        else:
            typer.echo(f"签名已齐，{recorded(kind, answer['index'])}")
        return
    from ledger.application import Receipt
    from ledger.proposals import Proposals

    result = Proposals(open_ledger(db)).propose(submission)
    if isinstance(result, Receipt):
        typer.echo(f"签名已齐，{recorded(kind, result.index)}")
    else:
        _kept(community, result.to_json())


def _kept(community: str, p: dict[str, Any]) -> None:
    typer.echo(f"已保存为提案 {p['id']}，尚未登记。还须：{'；'.join(p['missing'])}")
    typer.echo(f"有效期至 {p['expires_at']}（UTC）。请共同签署人运行：sunlight cosign -c {community} "
               f"{p['id']} -k 密钥名")


@app.command("proposals")
def proposals(community: CommunityOpt,
              status: Annotated[str | None, typer.Option(
                  help="只列出：pending 待签、appended 已登记、expired 已过期")] = None,
              key: Annotated[str | None, typer.Option(
                  "--key", "-k", help="经由服务查看时用于登录的成员密钥")] = None,
              directory: KeyDir = Path("keys"), db: DbOption = DEFAULT_DB_URL,
              server: ServerOpt = None) -> None:
    """列出提案（待签、已登记、已过期），及每份还须谁签名；过期提案的私密资料随即删除。"""
    if status is not None and status not in STATUS_ZH:
        fail("--status 应为 pending、appended 或 expired", 2)
    if server is not None:
        if key is None:
            fail("经由服务查看提案须用在任成员的密钥登录：请加 -k 密钥名", 2)
        from ledger.cli.client import Client

        client = Client(server, community)
        client.sign_in(load_key(key, directory))
        found = client.proposals(status)
    else:
        from ledger.proposals import Proposals

        found = [p.to_json() for p in Proposals(open_ledger(db)).listing(community, status)]
    if not found:
        typer.echo("没有提案")
        return
    for p in found:
        line = f"{p['id']}  {STATUS_ZH.get(p['status'], p['status'])}  {p['kind']}"
        if p["status"] == "pending":
            line += f"  {len(p['signatures'])} 人已签；还须：{'；'.join(p['missing']) or '（已齐）'}"
            line += f"  至 {p['expires_at']} 有效"
        elif p["status"] == "appended":
            line += f"  日志序号 {p['log_index']}"
        else:
            line += f"  于 {p['closed_at']} 过期"
        typer.echo(line)


@app.command("cosign")
def cosign(community: CommunityOpt,
           proposal_id: Annotated[str, typer.Argument(help="提案编号（sunlight proposals 列出）")],
           key: Annotated[str, typer.Option("--key", "-k", help="共同签署人的密钥名或文件")],
           directory: KeyDir = Path("keys"), db: DbOption = DEFAULT_DB_URL,
           server: ServerOpt = None) -> None:
    """共同签署一份提案：对提案的声明原文签名；最后一个所需签名到达时即登记。"""
    member_key = load_key(key, directory)
    if server is not None:
        from ledger.cli.client import Client

        client = Client(server, community)
        client.sign_in(member_key)
        shown = client.proposal(proposal_id)
        _show(shown["statement"].encode())
        status, answer = client.cosign(proposal_id, member_key, shown["statement"].encode())
        if status == 201:
            kind = Statement.from_bytes(shown["statement"].encode()).kind
            typer.echo(f"签名已齐，{recorded(kind, answer['index'])}")
        else:
            _signed(answer)
        return
    from ledger.application import Receipt
    from ledger.proposals import Proposals

    work = Proposals(open_ledger(db))
    found = work.get(community, proposal_id)
    _show(found.row.statement)
    result = work.cosign(community, proposal_id, member_key.key_id,
                         member_key.private.sign(found.row.statement))
    if isinstance(result, Receipt):
        typer.echo(f"签名已齐，{recorded(Statement.from_bytes(found.row.statement).kind, result.index)}")
    else:
        _signed(result.to_json())


def _show(statement: bytes) -> None:
    st = Statement.from_bytes(statement)
    body = json.dumps(st.body, ensure_ascii=False, separators=(", ", ": "))
    typer.echo(f"签署：{st.kind} {body}")


def _signed(p: dict[str, Any]) -> None:
    if p["status"] == "appended":
        typer.echo(f"该提案已登记：日志序号 {p['log_index']}")
    elif p.get("held"):
        typer.echo(f"签名已齐，暂缓登记：{p['held']}")
    else:
        typer.echo(f"已签署；还须：{'；'.join(p['missing'])}")

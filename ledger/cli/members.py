"""``sunlight init`` and ``sunlight member``: found a community and manage its committee."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer

from ledger.cli.common import DEFAULT_DB, DbOption, app, open_ledger
from ledger.cli.keys import KeyDir, load_key
from ledger.domain.roles import Role
from ledger.persistence import now
from ledger.signing import Statement

member_app = typer.Typer(help="委员会成员：入职、调整职务、更换密钥、撤销、任期。",
                         no_args_is_help=True)
app.add_typer(member_app, name="member")

CommunityOpt = Annotated[str, typer.Option("--community", "-c", envvar="SUNLIGHT_COMMUNITY",
                                           help="社区编号，如 xingfuli")]
SignerOpt = Annotated[str, typer.Option("--key", "-k", help="签名人的密钥名或文件")]


def sign_and_submit(db: str, community: str, signer: str, directory: Path, kind: str,
                    body: dict[str, Any]) -> None:
    ledger = open_ledger(db)
    key = load_key(signer, directory)
    receipt = ledger.submit(key.sign(Statement(community, kind, now(), body)))
    word = "已登记过（未重复登记）" if receipt.duplicate else "已登记"
    typer.echo(f"{word}：{kind}，日志序号 {receipt.index}")


@app.command("init")
def init(community: CommunityOpt,
         name: Annotated[str, typer.Option(help="社区名称，如 幸福里社区")],
         origin: Annotated[str, typer.Option(help="日志名称，如 sunlight.example/xingfuli")],
         key: SignerOpt,
         founder_id: Annotated[str, typer.Option(help="创始成员（主任）编号")],
         founder_name: Annotated[str, typer.Option(help="创始成员公开姓名")],
         term_start: Annotated[str, typer.Option(help="任期开始 YYYY-MM-DD")] = "",
         term_end: Annotated[str | None, typer.Option(help="任期结束 YYYY-MM-DD")] = None,
         estate: Annotated[list[str] | None, typer.Option(help="小区，编号=名称，可重复")] = None,
         directory: KeyDir = Path("keys"), db: DbOption = DEFAULT_DB) -> None:
    """建账：登记社区和日志密钥，创始成员（主任）用自己的密钥签署建账声明。"""
    ledger = open_ledger(db)
    founder = load_key(key, directory)
    verifier = ledger.create_log(community, origin)
    body: dict[str, Any] = {"name": name, "founder_id": founder_id, "founder_name": founder_name,
                            "founder_public_key": founder.public_b64,
                            "term_start": term_start or date.today().isoformat()}
    if term_end:
        body["term_end"] = term_end
    submissions = [founder.sign(Statement(community, "community.founded", now(), body))]
    for item in estate or []:
        estate_id, _, estate_name = item.partition("=")
        submissions.append(founder.sign(Statement(
            community, "community.estate_added", now(),
            {"estate_id": estate_id.strip(), "name": estate_name.strip() or estate_id.strip()})))
    ledger.submit_batch(submissions)
    typer.echo(f"社区 {community} 已建账。日志验证公钥：\n{verifier}")


@member_app.command("admit")
def admit(community: CommunityOpt, key: SignerOpt,
          member_id: Annotated[str, typer.Option(help="成员编号")],
          name: Annotated[str, typer.Option(help="公开姓名")],
          role: Annotated[Role, typer.Option(help="职务")],
          member_key: Annotated[str, typer.Option(help="新成员的密钥名或文件（只读取公钥）")],
          term_start: Annotated[str, typer.Option(help="任期开始 YYYY-MM-DD")],
          term_end: Annotated[str | None, typer.Option(help="任期结束 YYYY-MM-DD")] = None,
          directory: KeyDir = Path("keys"), db: DbOption = DEFAULT_DB) -> None:
    """新成员入职（须由主任签名）。"""
    public = load_key(member_key, directory).public_b64
    body: dict[str, Any] = {"member_id": member_id, "name": name, "role": role.value,
                            "public_key": public, "term_start": term_start}
    if term_end:
        body["term_end"] = term_end
    sign_and_submit(db, community, key, directory, "member.admitted", body)


@member_app.command("role")
def role(community: CommunityOpt, key: SignerOpt,
         member_id: Annotated[str, typer.Option(help="成员编号")],
         new_role: Annotated[Role, typer.Option("--role", help="新职务")],
         directory: KeyDir = Path("keys"), db: DbOption = DEFAULT_DB) -> None:
    """调整成员职务。"""
    sign_and_submit(db, community, key, directory, "member.role_assigned",
                    {"member_id": member_id, "role": new_role.value})


@member_app.command("rotate")
def rotate(community: CommunityOpt, key: SignerOpt,
           member_id: Annotated[str, typer.Option(help="成员编号")],
           new_key: Annotated[str, typer.Option(help="新密钥名或文件（只读取公钥）")],
           reason: Annotated[str | None, typer.Option(help="原因")] = None,
           directory: KeyDir = Path("keys"), db: DbOption = DEFAULT_DB) -> None:
    """更换成员密钥：旧密钥从此失效。"""
    body: dict[str, Any] = {"member_id": member_id,
                            "public_key": load_key(new_key, directory).public_b64}
    if reason:
        body["reason"] = reason
    sign_and_submit(db, community, key, directory, "member.key_rotated", body)


@member_app.command("revoke")
def revoke(community: CommunityOpt, key: SignerOpt,
           member_id: Annotated[str, typer.Option(help="成员编号")],
           reason: Annotated[str, typer.Option(help="原因")],
           directory: KeyDir = Path("keys"), db: DbOption = DEFAULT_DB) -> None:
    """撤销成员：其密钥从此不能再签名。"""
    sign_and_submit(db, community, key, directory, "member.revoked",
                    {"member_id": member_id, "reason": reason})


@member_app.command("term")
def term(community: CommunityOpt, key: SignerOpt,
         member_id: Annotated[str, typer.Option(help="成员编号")],
         term_start: Annotated[str, typer.Option(help="任期开始 YYYY-MM-DD")],
         term_end: Annotated[str | None, typer.Option(help="任期结束 YYYY-MM-DD")] = None,
         directory: KeyDir = Path("keys"), db: DbOption = DEFAULT_DB) -> None:
    """设定成员任期。"""
    body: dict[str, Any] = {"member_id": member_id, "term_start": term_start}
    if term_end:
        body["term_end"] = term_end
    sign_and_submit(db, community, key, directory, "member.term_set", body)

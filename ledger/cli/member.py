"""``sunlight member``: manage the committee (admit, role, rotate, revoke, term)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from ledger.cli.keys import KeyDir, load_key, load_signers, sign_together
from ledger.cli.record import submit_signed
from ledger.cli.root import CommunityOpt, DbOption, RoleOpt, ServerOpt, SignerOpt, app
from ledger.signing import Statement, now
from ledger.store import DEFAULT_DB_URL

member_app = typer.Typer(help="委员会成员：入职、调整职务、更换密钥、撤销、任期。",
                         no_args_is_help=True)
app.add_typer(member_app, name="member")


def sign_and_submit(db: str, community: str, signers: list[str], directory: Path, kind: str,
                    body: dict[str, Any], server: str | None = None) -> None:
    """Signs here; records in the database, or through the service at ``server``."""
    keys = load_signers(signers, directory)
    submit_signed(sign_together(keys, Statement(community, kind, now(), body)), kind, db, server)


@member_app.command("admit")
def admit(community: CommunityOpt, key: SignerOpt,
          member_id: Annotated[str, typer.Option(help="成员编号")],
          name: Annotated[str, typer.Option(help="公开姓名")],
          role: RoleOpt,
          member_key: Annotated[str, typer.Option(help="新成员的密钥名或文件（只读取公钥）")],
          term_start: Annotated[str, typer.Option(help="任期开始 YYYY-MM-DD")],
          term_end: Annotated[str | None, typer.Option(help="任期结束 YYYY-MM-DD")] = None,
          directory: KeyDir = Path("keys"), db: DbOption = DEFAULT_DB_URL,
          server: ServerOpt = None) -> None:
    """新成员入职（须由主任签名）。"""
    public = load_key(member_key, directory).public_b64
    body: dict[str, Any] = {"member_id": member_id, "name": name, "role": role.value,
                            "public_key": public, "term_start": term_start}
    if term_end:
        body["term_end"] = term_end
    sign_and_submit(db, community, key, directory, "member.admitted", body, server)


@member_app.command("role")
def role(community: CommunityOpt, key: SignerOpt,
         member_id: Annotated[str, typer.Option(help="成员编号")],
         new_role: RoleOpt,
         directory: KeyDir = Path("keys"), db: DbOption = DEFAULT_DB_URL,
         server: ServerOpt = None) -> None:
    """调整成员职务。"""
    sign_and_submit(db, community, key, directory, "member.role_assigned",
                    {"member_id": member_id, "role": new_role.value}, server)


@member_app.command("rotate")
def rotate(community: CommunityOpt, key: SignerOpt,
           member_id: Annotated[str, typer.Option(help="成员编号")],
           new_key: Annotated[str, typer.Option(help="新密钥名或文件（只读取公钥）")],
           reason: Annotated[str | None, typer.Option(help="原因")] = None,
           directory: KeyDir = Path("keys"), db: DbOption = DEFAULT_DB_URL,
           server: ServerOpt = None) -> None:
    """更换成员密钥：旧密钥从此失效。"""
    body: dict[str, Any] = {"member_id": member_id,
                            "public_key": load_key(new_key, directory).public_b64}
    if reason:
        body["reason"] = reason
    sign_and_submit(db, community, key, directory, "member.key_rotated", body, server)


@member_app.command("revoke")
def revoke(community: CommunityOpt, key: SignerOpt,
           member_id: Annotated[str, typer.Option(help="成员编号")],
           reason: Annotated[str, typer.Option(help="原因")],
           directory: KeyDir = Path("keys"), db: DbOption = DEFAULT_DB_URL,
           server: ServerOpt = None) -> None:
    """撤销成员：其密钥从此不能再签名。"""
    sign_and_submit(db, community, key, directory, "member.revoked",
                    {"member_id": member_id, "reason": reason}, server)


@member_app.command("term")
def term(community: CommunityOpt, key: SignerOpt,
         member_id: Annotated[str, typer.Option(help="成员编号")],
         term_start: Annotated[str, typer.Option(help="任期开始 YYYY-MM-DD")],
         term_end: Annotated[str | None, typer.Option(help="任期结束 YYYY-MM-DD")] = None,
         directory: KeyDir = Path("keys"), db: DbOption = DEFAULT_DB_URL,
         server: ServerOpt = None) -> None:
    """设定成员任期。"""
    body: dict[str, Any] = {"member_id": member_id, "term_start": term_start}
    if term_end:
        body["term_end"] = term_end
    sign_and_submit(db, community, key, directory, "member.term_set", body, server)

"""``sunlight init``: found a community (its log key and the founder's founding statement), or
invite its founder to found it through the service."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any
from zoneinfo import ZoneInfo

import typer

from ledger.cli.keys import KeyDir, load_key
from ledger.cli.root import CommunityOpt, DbOption, LogKeyDirOpt, app, fail, open_ledger
from ledger.domain.errors import DomainError
from ledger.founding import check_names
from ledger.logkeys import LogKey, LogKeyError
from ledger.signing import Statement, Submission, now
from ledger.store import DEFAULT_DB_URL

if TYPE_CHECKING:
    from ledger.application import Sunlight

SHANGHAI = ZoneInfo("Asia/Shanghai")


@app.command("init")
def init(community: CommunityOpt,
         name: Annotated[str, typer.Option(help="社区名称，如 幸福里社区")],
         origin: Annotated[str, typer.Option(help="日志名称，如 sunlight.example/xingfuli")],
         key: Annotated[str | None, typer.Option("--key", "-k", help="创始成员（主任）的密钥名或文件")]
         = None,
         founder_id: Annotated[str | None, typer.Option(help="创始成员（主任）编号")] = None,
         founder_name: Annotated[str | None, typer.Option(help="创始成员公开姓名")] = None,
         term_start: Annotated[str, typer.Option(help="任期开始 YYYY-MM-DD")] = "",
         term_end: Annotated[str | None, typer.Option(help="任期结束 YYYY-MM-DD")] = None,
         estate: Annotated[list[str] | None, typer.Option(help="小区，编号=名称，可重复")] = None,
         invite: Annotated[bool, typer.Option(
             "--invite", help="不在本机建账：生成一次性建账邀请码，建账人凭它通过服务提交建账声明")] = False,
         invite_days: Annotated[int, typer.Option(min=1, max=90, help="邀请有效天数")] = 7,
         log_key_dir: LogKeyDirOpt = None,
         log_key_in_db: Annotated[bool, typer.Option(
             "--log-key-in-db", help="把日志签名密钥存进数据库（数据库备份即是密钥；不推荐）")] = False,
         directory: KeyDir = Path("keys"), db: DbOption = DEFAULT_DB_URL) -> None:
    """建账：创建日志签名密钥，创始成员（主任）签署建账声明；日志与建账声明一起写入，失败则什么都不留下。"""
    check_names(community, origin)  # before any file is named after them
    ledger = open_ledger(db, log_key_dir, create=True)
    submissions = [] if invite else _founding(community, name, key, founder_id, founder_name,
                                              term_start, term_end, estate or [], directory)
    log_key = LogKey.generate(origin)
    created: Path | None = None
    if not log_key_in_db:
        try:
            created = ledger.log_keys.write(community, log_key)
        except LogKeyError as exc:
            if exc.code != "log-key-exists":
                raise
            # e.g. written for an earlier invitation: use it (checked), never overwrite it
            ledger.log_keys.load(community, origin, None)
            typer.echo(f"使用已有的日志密钥文件 {ledger.log_keys.path(community)}")
    seed = log_key.seed if log_key_in_db else None
    try:
        if invite:
            expires = now() + timedelta(days=invite_days)
            token = ledger.invite(community, origin, name, expires_at=expires, key_seed=seed)
        else:
            ledger.found(submissions, origin=origin, key_seed=seed)
    except BaseException:
        if created is not None and not _founded_with(ledger, community, log_key):
            created.unlink()  # a refused founding leaves no key behind
        raise
    where = "数据库中（--log-key-in-db）" if log_key_in_db else str(ledger.log_keys.path(community))
    if invite:
        typer.echo(f"已为社区 {community}（{name}）生成一次性建账邀请，有效至 "
                   f"{expires.astimezone(SHANGHAI):%Y-%m-%d %H:%M}（北京时间）。邀请码只显示这一次：\n"
                   f"{token}\n建账人用它提交建账声明：POST /v1/communities/{community}/founding，"
                   f"请求头 Authorization: Bearer <邀请码>\n"
                   f"或在手机上打开控制台链接（服务地址换成本服务的地址），生成密钥并签署建账声明：\n"
                   f"<服务地址>/console/#/found/{community}/{token}")
        typer.echo(f"日志签名密钥：{where}")
        return
    verifier = ledger.community(community).verifier_key
    typer.echo(f"社区 {community} 已建账。日志签名密钥：{where}\n日志验证公钥：\n{verifier}")


def _founded_with(ledger: Sunlight, community: str, key: LogKey) -> bool:
    """Whether a concurrent ``sunlight init`` that found our new key file founded with it."""
    try:
        return ledger.community(community).verifier_key == key.verifier_key
    except DomainError:
        return False


def _founding(community: str, name: str, key: str | None, founder_id: str | None,
              founder_name: str | None, term_start: str, term_end: str | None,
              estates: list[str], directory: Path) -> list[Submission]:
    if key is None or founder_id is None or founder_name is None:
        fail("建账需要 --key、--founder-id 和 --founder-name（或用 --invite 生成建账邀请）", 2)
    founder = load_key(key, directory)
    body: dict[str, Any] = {"name": name, "founder_id": founder_id, "founder_name": founder_name,
                            "founder_public_key": founder.public_b64,
                            "term_start": term_start or date.today().isoformat(),
                            "policy": "default"}  # two to sign, from the founding on
    if term_end:
        body["term_end"] = term_end
    submissions = [founder.sign(Statement(community, "community.founded", now(), body))]
    for item in estates:
        estate_id, _, estate_name = item.partition("=")
        submissions.append(founder.sign(Statement(
            community, "community.estate_added", now(),
            {"estate_id": estate_id.strip(), "name": estate_name.strip() or estate_id.strip()})))
    return submissions

"""``sunlight log …``, ``sunlight witness …`` and ``sunlight verify``: the transparency log's commands.

``verify`` exits 0 when everything verified, 1 when something failed verification (each failure
named with its entry index), 2 when it could not run (unreadable target, bad key, bad options).
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import sys
import time
from pathlib import Path
from typing import Annotated

import typer

from ledger.cli.root import CommunityOpt, DbOption, LogKeyDirOpt, app, check_port, fail, open_ledger, os_error
from ledger.crypto.errors import VerificationError, WeakKeyError
from ledger.crypto.note import Verifier
from ledger.store import DEFAULT_DB_URL

log_app = typer.Typer(help="透明日志：验证公钥、检查点、收据（包含证明）、瓦片导出、见证联署。",
                      no_args_is_help=True)
app.add_typer(log_app, name="log")
witness_app = typer.Typer(help="见证人：独立第三方为社区日志的检查点联署（c2sp.org/tlog-witness）。",
                          no_args_is_help=True)
app.add_typer(witness_app, name="witness")

KeyHelp = "验证公钥字符串 name+id+base64，或存放它的文件"
WitnessKeys = Annotated[list[str] | None, typer.Option("--witness", help="见证人验证公钥（可重复）")]
QuorumOpt = Annotated[int | None, typer.Option("--quorum", help="至少需要几位见证人联署（默认：全部给出的见证人）")]


def _verifier(value: str, what: str = "验证公钥") -> Verifier:
    text = value
    path = Path(value)
    if "+" not in value or path.is_file():
        try:
            text = path.read_text().strip()
        except OSError as exc:
            fail(f"无法读取{what}文件：{os_error(exc)}", 2)
    try:
        return Verifier.from_key_string(text)
    except WeakKeyError as exc:
        fail(f"{what}不安全，不能使用：它是小阶点、非规范编码或不在素数阶子群中的 Ed25519 公钥，"
             f"任何人都可能冒用它签名 (weak key: {exc})", 2)
    except VerificationError as exc:
        fail(f"{what}格式错误：{exc}", 2)


def _witnesses(values: list[str] | None, quorum: int | None) -> tuple[tuple[Verifier, ...], int]:
    witnesses = tuple(_verifier(v, "见证人公钥") for v in values or ())
    if quorum is None:
        quorum = len({w.name for w in witnesses})
    if quorum < 0 or quorum > len({w.name for w in witnesses}):
        fail(f"--quorum {quorum} 超过给出的见证人数 {len(witnesses)}", 2)
    return witnesses, quorum


# --- the log (operator side) ---------------------------------------------------------------------


@log_app.command("key")
def log_key(community: CommunityOpt, db: DbOption = DEFAULT_DB_URL) -> None:
    """打印本社区日志的验证公钥（审计人、捐赠人、见证人用它核验）。"""
    typer.echo(open_ledger(db).community(community).verifier_key)


@log_app.command("move-key")
def log_move_key(community: CommunityOpt, log_key_dir: LogKeyDirOpt = None,
                 db: DbOption = DEFAULT_DB_URL) -> None:
    """把存在数据库中的日志签名密钥移到密钥目录（新文件，权限 600），并从数据库中清除。"""
    ledger = open_ledger(db, log_key_dir)
    path = ledger.move_key_out(community)
    typer.echo(f"日志签名密钥已移到 {path}（权限 600），数据库中已清除。此前的数据库备份仍含该密钥，"
               f"请销毁或妥善保管。以后签名时从 SUNLIGHT_LOG_KEY_DIR（或 --log-key-dir）读取它。")


@log_app.command("checkpoint")
def log_checkpoint(community: CommunityOpt, db: DbOption = DEFAULT_DB_URL) -> None:
    """打印最新的签名检查点（附上已收到的见证人联署）。"""
    from ledger.tlog.cosignatures import published_checkpoint

    typer.echo(published_checkpoint(open_ledger(db), community), nl=False)


@log_app.command("proof")
def log_proof(index: Annotated[int, typer.Argument(help="记录的日志序号")], community: CommunityOpt,
              out: Annotated[Path | None, typer.Option("--out", help="写入文件（默认打印）")] = None,
              db: DbOption = DEFAULT_DB_URL) -> None:
    """生成一条记录的收据：c2sp.org/tlog-proof@v1 包含证明，可离线核验。"""
    from ledger.tlog.receipt import make_receipt

    text = make_receipt(open_ledger(db), community, index)
    if out is None:
        typer.echo(text, nl=False)
        return
    out.write_text(text)
    typer.echo(f"已写入收据 {out}（序号 {index}）；核验：sunlight log verify-proof {out} --key <日志公钥>")


@log_app.command("verify-proof")
def log_verify_proof(
        file: Annotated[Path, typer.Argument(help="收据文件（.tlog-proof）")],
        key: Annotated[str, typer.Option("--key", help=KeyHelp)],
        entry_file: Annotated[Path | None, typer.Option("--entry-file", help="日志条目原文件")] = None,
        leaf_hash: Annotated[str | None, typer.Option("--leaf-hash", help="条目的叶哈希（hex 或 base64）")]
        = None,
        witness: WitnessKeys = None, quorum: QuorumOpt = None) -> None:
    """核验收据：记录确实在日志中，检查点由日志签名（并有足够的见证人联署）。"""
    from ledger.tlog.receipt import check_receipt

    log_verifier = _verifier(key)
    witnesses, quorum = _witnesses(witness, quorum)
    try:
        text = file.read_bytes()
        entry = entry_file.read_bytes() if entry_file is not None else None
    except OSError as exc:
        fail(f"无法读取文件：{os_error(exc)}", 2)
    leaf = _leaf(leaf_hash) if leaf_hash is not None else None
    try:
        checked = check_receipt(text, log_verifier, entry=entry, leaf=leaf, witnesses=witnesses,
                                quorum=quorum)
    except VerificationError as exc:
        fail(f"收据无效 (receipt does not verify)：{exc}", 1)
    typer.echo(f"收据有效 (receipt verified)：记录 #{checked.index} 在日志 {checked.checkpoint.origin} "
               f"大小 {checked.checkpoint.size} 的树中")
    statement = checked.statement()
    if statement is not None:
        body = json.dumps(statement.get("body"), ensure_ascii=False)
        typer.echo(f"{statement.get('kind')}  {statement.get('at')}  {body}")


def _leaf(value: str) -> bytes:
    try:
        raw = bytes.fromhex(value) if len(value) == 64 else base64.b64decode(value, validate=True)
    except (ValueError, binascii.Error):
        raw = b""
    if len(raw) != 32:
        fail("--leaf-hash 应为 32 字节哈希（64 位十六进制或 base64）", 2)
    return raw


@log_app.command("export")
def log_export(directory: Annotated[Path, typer.Argument(help="输出目录（C2SP tlog-tiles）")],
               community: CommunityOpt, db: DbOption = DEFAULT_DB_URL) -> None:
    """把日志导出为静态瓦片目录（checkpoint、tile/…）；再次导出只写新增部分。"""
    from ledger.tlog.export import export_tiles

    result = export_tiles(open_ledger(db), community, directory)
    typer.echo(f"已导出 {result.size} 条记录到 {directory}：新写 {result.written} 个文件，"
               f"未变 {result.unchanged} 个，移除过时的部分瓦片 {result.removed} 个")


@log_app.command("witness-push")
def log_witness_push(community: CommunityOpt,
                     witness: Annotated[str, typer.Option("--witness", help="见证人地址，如 https://w.example")],
                     witness_key: Annotated[str, typer.Option("--witness-key", help="见证人验证公钥或其文件")],
                     db: DbOption = DEFAULT_DB_URL) -> None:
    """请见证人为最新检查点联署，并保存联署签名（发布的检查点会附上）。"""
    from ledger.tlog.push import WitnessPushError, push_checkpoint

    verifier = _verifier(witness_key, "见证人公钥")
    try:
        result = push_checkpoint(open_ledger(db), community, witness, verifier)
    except WitnessPushError as exc:
        fail(str(exc), 1)
    typer.echo(f"见证人 {result.witness} 已联署大小 {result.size} 的检查点（自 {result.old_size} 起一致）")


# --- the witness (an independent party) -------------------------------------------------------


@witness_app.command("keygen")
def witness_keygen(name: Annotated[str, typer.Argument(help="见证人名称，如 witness.example/w1")],
                   out: Annotated[Path, typer.Option("--out", help="私钥文件（权限 0600，不会覆盖）")]) -> None:
    """生成见证人的联署密钥，打印其验证公钥。"""
    from ledger.tlog.witness import generate_witness_key

    if out.exists():
        fail(f"{out} 已存在；不会覆盖已有密钥")
    try:
        signer = generate_witness_key(name, out)
    except VerificationError as exc:
        fail(f"见证人名称无效：{exc}", 2)
    typer.echo(signer.verifier_key())


@witness_app.command("add")
def witness_add(community: CommunityOpt,
                url: Annotated[str, typer.Option(
                    "--url", help="见证人地址，如 https://w.example（其 /add-checkpoint 接收检查点）")],
                key: Annotated[str, typer.Option("--key", help="见证人验证公钥或其文件")],
                name: Annotated[str | None, typer.Option(
                    "--name", help="门户上对见证人的称呼，如 街道办、居务监督委员会（默认：公钥中的名称）")
                ] = None,
                db: DbOption = DEFAULT_DB_URL) -> None:
    """为社区配置一位见证人：服务每有新检查点即自动推送给它，公开门户列出它的称呼、公钥和联署。
    运行中的服务在下一次写入后（至迟 30 秒）生效，无需重启。"""
    from ledger.crypto.note import SIG_COSIGNATURE_V1
    from ledger.store import WitnessRow

    label = None if name is None else _witness_label(name)
    verifier = _verifier(key, "见证人公钥")
    if verifier.sig_type != SIG_COSIGNATURE_V1:
        fail("这不是见证人的联署公钥（应由 sunlight witness keygen 生成），可能给成了日志公钥", 2)
    if not url.startswith(("http://", "https://")):
        fail("见证人地址须以 http:// 或 https:// 开头", 2)
    ledger = open_ledger(db)
    ledger.community(community)  # NotFound: a clear message
    for row in ledger.store.witnesses(community):
        if row.name != verifier.name and label is not None and row.display_name == label:
            fail(f"社区 {community} 已有称为「{label}」的见证人（{row.name}）；"
                 "请换一个称呼，或先用 sunlight witness remove 移除它", 2)
    ledger.store.put_witness(WitnessRow(community, verifier.name, url.rstrip("/"),
                                        verifier.key_string(), label))
    called = f"「{label}」" if label else f" {verifier.name} "
    typer.echo(f"社区 {community} 的见证人{called}已配置（公钥名称 {verifier.name}，地址 {url}）；"
               "运行中的服务在下一次写入后（至迟 30 秒）开始向它推送，无需重启")


def _witness_label(text: str) -> str:
    """What residents will read on the portal: one short line of printable text."""
    import unicodedata

    label = text.strip()
    if not label:
        fail("--name 不能为空：请写门户上对见证人的称呼，如 街道办", 2)
    if len(label) > 40:
        fail(f"--name 过长（{len(label)} 个字，最多 40 个）：请写一个简短的称呼，如 街道办", 2)
    if any(unicodedata.category(ch).startswith("C") for ch in label):
        fail("--name 含有换行或控制字符：请写一行普通文字，如 街道办", 2)
    return label


@witness_app.command("list")
def witness_list(community: Annotated[str | None, typer.Option(
                     "--community", "-c", envvar="SUNLIGHT_COMMUNITY", help="社区编号（不给出则列出全部）")] = None,
                 db: DbOption = DEFAULT_DB_URL) -> None:
    """列出各社区配置的见证人（称呼、公钥名称、地址）及其已联署的树大小。"""
    ledger = open_ledger(db)
    rows = ledger.store.witnesses(community)
    if not rows:
        typer.echo("尚未配置见证人")
    for row in rows:
        size = ledger.store.latest_cosigned_size(row.community_id, row.name)
        typer.echo(f"{row.community_id}\t{row.display_name}\t{row.name}\t{row.url}\t"
                   f"已联署至 {size} 条")


@witness_app.command("remove")
def witness_remove(community: CommunityOpt,
                   name: Annotated[str, typer.Option(
                       "--name", help="见证人的称呼（如 街道办）或其公钥中的名称")],
                   db: DbOption = DEFAULT_DB_URL) -> None:
    """不再向这位见证人推送本社区的检查点，门户下次发布起不再列出它（已存的联署签名保留）。"""
    store = open_ledger(db).store
    rows = store.witnesses(community)
    found = ([r for r in rows if r.name == name.strip()]
             or [r for r in rows if r.label == name.strip()])
    if not found or not store.remove_witness(community, found[0].name):
        fail(f"社区 {community} 没有名为 {name} 的见证人（sunlight witness list 列出现有的）", 1)
    typer.echo(f"已移除社区 {community} 的见证人 {found[0].display_name}")


@witness_app.command("serve")
def witness_serve(key: Annotated[Path, typer.Option("--key", help="见证人私钥文件")],
                  log: Annotated[list[str], typer.Option("--log", help="所见证日志的验证公钥（可重复）")],
                  db: Annotated[str, typer.Option("--db", help="见证人自己的数据库")] = "sqlite:///witness.db",
                  host: Annotated[str, typer.Option(help="监听地址")] = "127.0.0.1",
                  port: Annotated[int, typer.Option(help="端口")] = 8090) -> None:
    """运行见证人服务：POST /add-checkpoint。"""
    import logging

    import uvicorn

    from ledger.tlog.witness import Witness, create_app, load_witness_key

    check_port(host, port)
    try:
        signer = load_witness_key(key)
    except OSError as exc:
        fail(f"无法读取见证人私钥：{os_error(exc)}", 2)
    except VerificationError as exc:
        fail(f"无法读取见证人私钥 {key}：{exc}", 2)
    logs = [_verifier(v, "日志公钥") for v in log]
    try:
        witness = Witness.open(signer, logs, db)
    except Exception as exc:  # an unreachable or invalid database: cannot run
        fail(f"无法打开数据库 {db}：{type(exc).__name__}: {exc}", 2)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    typer.echo(f"见证人 {signer.verifier_key()} 在 http://{host}:{port}/add-checkpoint 见证 "
               f"{', '.join(v.name for v in logs)}", err=True)
    # like `sunlight serve`: no access log, so no client address is ever written
    uvicorn.run(create_app(witness), host=host, port=port, log_level="info", access_log=False,
                server_header=False)


# --- the auditor -----------------------------------------------------------------------------


class _Progress:
    """One self-rewriting line on stderr, at most twice a second, then the final count."""

    def __init__(self, interval: float = 0.5) -> None:
        self.interval = interval
        self.started = time.monotonic()
        self.shown = -interval
        self.width = 0

    def __call__(self, done: int, size: int) -> None:
        now = time.monotonic()
        final = done >= size
        if not final and now - self.shown < self.interval:
            return
        self.shown = now
        elapsed = max(now - self.started, 1e-9)
        percent = 100 * done // size if size else 100
        line = (f"核验中 verifying: {done:,} / {size:,} 条记录 entries ({percent}%)，"
                f"{done / elapsed:,.0f} 条/秒 entries/s")
        self.width = max(self.width, len(line))
        try:
            sys.stderr.write(f"\r{line.ljust(self.width)}" + ("\n" if final else ""))
            sys.stderr.flush()
        except (OSError, ValueError):  # stderr closed or gone: progress is only a courtesy
            pass


@app.command("verify")
def verify(target: Annotated[str, typer.Argument(help="导出的日志目录，或已发布日志的 http(s):// 地址前缀")],
           key: Annotated[str, typer.Option("--key", help=KeyHelp)],
           trusted: Annotated[Path | None, typer.Option("--trusted", help="此前保存的受信任检查点文件")] = None,
           witness: WitnessKeys = None, quorum: QuorumOpt = None,
           as_json: Annotated[bool, typer.Option("--json", help="输出 JSON（供程序读取）")] = False,
           workers: Annotated[int | None, typer.Option(
               help="签名核验子进程数（默认为核数减一；子进程忙时主进程也核验签名）")] = None,
           progress: Annotated[bool | None, typer.Option(
               "--progress/--no-progress", help="在标准错误输出上显示进度（默认：终端上显示）")] = None,
           save_checkpoint: Annotated[Path | None, typer.Option(
               "--save-checkpoint",
               help="核验通过后，把这次核验的检查点存入此文件；下次用 --trusted 传入即可发现回滚与分叉"
                    "（可与 --trusted 是同一个文件）")] = None) -> None:
    """核验整份公开日志：检查点与见证人、每个瓦片与记录、每个签名与签名人资格、每条规则、与受信任检查点的一致性。"""
    from ledger.audit.report import human_report
    from ledger.audit.source import SourceError, open_source
    from ledger.audit.verify import CannotVerify, Policy, verify_log

    log_verifier = _verifier(key)
    witnesses, quorum = _witnesses(witness, quorum)
    first_time = (trusted is not None and save_checkpoint is not None and not trusted.exists()
                  and trusted.resolve() == save_checkpoint.resolve())
    if first_time:  # the same command every time: the first run has nothing to trust yet
        typer.echo(f"首次核验：{trusted} 尚不存在，本次不比对受信任的检查点 "
                   "(first audit: no trusted checkpoint yet)", err=True)
        trusted = None
    try:
        trusted_text = trusted.read_text() if trusted is not None else None
    except OSError as exc:
        fail(f"无法读取受信任的检查点：{os_error(exc)}", 2)
    try:
        source = open_source(target)
        show = sys.stderr.isatty() if progress is None else progress
        report = verify_log(source, Policy(log_verifier, witnesses, quorum, trusted_text), workers=workers,
                            progress=_Progress() if show else None)
    except (CannotVerify, SourceError) as exc:
        fail(f"无法核验 (could not verify)：{exc}", 2)
    except Exception as exc:  # a fault of the verifier itself is "could not run", never "failed"
        fail(f"核验程序出错，未能完成核验 (internal error, not verified)：{type(exc).__name__}: {exc}", 2)
    if as_json:
        sys.stdout.write(json.dumps(report.to_json(), ensure_ascii=False, indent=2) + "\n")
    else:
        typer.echo(human_report(report))
    if save_checkpoint is not None:
        if not report.verified:
            typer.echo(f"核验未通过，未更新 {save_checkpoint} (not verified: checkpoint not saved)", err=True)
        else:
            try:
                _write_atomically(save_checkpoint, report.checkpoint)
            except OSError as exc:
                fail(f"核验已通过，但无法保存检查点到 {save_checkpoint}：{exc}", 2)
            typer.echo(f"已保存检查点 Saved checkpoint: {save_checkpoint}（{report.size} 条 entries）", err=True)
    raise typer.Exit(0 if report.verified else 1)


def _write_atomically(path: Path, text: str) -> None:
    """Writes ``text`` to ``path`` so that a reader sees the old file or the new one, never half."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)

"""``sunlight record``, ``sunlight import``, ``sunlight forget``, ``sunlight kinds``.

A record is given as JSON (``--json``) or as ``--set field=value`` pairs; personal data (a donor's
or reporter's name and contact) is given with ``--person field=value`` and never enters the
statement: it is stored privately, and the statement carries its salted commitment.

Bulk import (``--from-file``) takes CSV or Excel (a header row of field names, nested fields
dotted, like ``votes.for``, or the Chinese headers of ``sunlight kinds KIND --template``; lists
and objects as JSON; ``person.*`` columns are private) or JSON Lines / a JSON array of bodies,
read by :mod:`ledger.importing` (encodings, separators and empty rows are its concern). An
enumeration may be given by its value or its Chinese label (``repairs`` or 维修); the signed body
holds the value. Every row is checked; if any row is bad, nothing is recorded and every bad row
is reported with its line number.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from ledger.application import BatchRejected, Receipt, RowError
from ledger.cli.keys import KeyDir, load_signers, sign_together
from ledger.cli.root import (
    CommunityOpt,
    DbOption,
    ServerOpt,
    SignerOpt,
    app,
    fail,
    open_ledger,
    read_input,
    recorded,
)
from ledger.domain.common import Shape
from ledger.domain.errors import DomainError, InvalidInput
from ledger.domain.kinds import KINDS, FieldSpec, canonical
from ledger.domain.roles import Role
from ledger.importing import body_from_fields, read_rows
from ledger.importing import body_type as _kind
from ledger.proposals import Proposals
from ledger.signing import MemberKey, PrivateRecord, Statement, Submission, now
from ledger.store import DEFAULT_DB_URL
from ledger.templates import FORMATS, write_template


def with_person(kind: str, body: dict[str, Any], person: dict[str, str]
                ) -> tuple[PrivateRecord, ...]:
    """Moves personal data into a private record and puts its commitment in the body."""
    if not person:
        return ()
    cls = _kind(kind)
    slots = [name for name in cls.model_fields if name.endswith("_commitment")]
    if len(slots) != 1:
        raise InvalidInput(f"“{cls.title_zh}”不收集个人信息", code="no-private-fields")
    record = PrivateRecord.commit(person)
    body[slots[0]] = record.commitment
    return (record,)


def _pairs(items: list[str] | None, what: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep:
            raise InvalidInput(f"{what} 应写成 字段=值：{item}", code="invalid-input")
        out[key.strip()] = value
    return out


@app.command("record")
def record(kind: Annotated[str, typer.Argument(help="记录类型，如 fund.donation_recorded；见 sunlight kinds")],
           community: CommunityOpt, key: SignerOpt,
           json_body: Annotated[str | None, typer.Option("--json", help="记录内容（JSON 对象）")] = None,
           set_: Annotated[list[str] | None, typer.Option("--set", help="字段=值，可重复")] = None,
           person: Annotated[list[str] | None, typer.Option(
               "--person", help="个人信息 字段=值（只存私密存储），可重复")] = None,
           from_file: Annotated[Path | None, typer.Option(
               "--from-file",
               help="批量导入 CSV（UTF-8 或 GB18030，逗号、分号或制表符分隔）/ XLSX / JSON / JSONL："
                    "全部成功或全部不登记")] = None,
           directory: KeyDir = Path("keys"), db: DbOption = DEFAULT_DB_URL,
           server: ServerOpt = None) -> None:
    """登记一条记录（或用 --from-file 批量导入历史台账），由签名人的密钥签名。"""
    signers = load_signers(key, directory)
    if from_file is not None:
        if server is not None:
            fail("批量导入（--from-file）须直接访问数据库，不能与 --server 同用", 2)
        ledger = open_ledger(db)
        submissions, lines, errors = read_import(from_file, kind, community, signers)
        try:
            receipts = ledger.submit_batch(submissions, dry_run=bool(errors))
        except BatchRejected as exc:
            errors += [RowError(lines[e.row - 1], e.error) for e in exc.errors]
        if errors:
            raise BatchRejected(sorted(errors, key=lambda e: e.row))
        new = sum(not r.duplicate for r in receipts)
        if not receipts:
            fail(f"{from_file} 中没有可导入的记录")
        typer.echo(f"已导入 {new} 条{KINDS[kind].title}（重复 {len(receipts) - new} 条），"
                   f"日志序号 {receipts[0].index}–{receipts[-1].index}")
        return
    statement, private = build_statement(kind, community, json_body, set_, person)
    submit_signed(sign_together(signers, statement, private), kind, db, server)


def submit_signed(submission: Submission, kind: str, db: str, server: str | None) -> None:
    """Records a signed statement: in the database, or through the service at ``server``."""
    if server is not None:
        from ledger.cli.client import Client

        statement = Statement.from_bytes(submission.statement)
        receipt = Client(server, statement.community).submit(submission)
        duplicate, index = bool(receipt["duplicate"]), int(receipt["index"])
    else:
        ledger = open_ledger(db)
        answer = ledger.submit(submission)
        duplicate, index = answer.duplicate, answer.index
        if not duplicate:  # the answer to an objection releases the proposal it held
            statement = Statement.from_bytes(submission.statement)
            released = Proposals(ledger).after_append(statement.community, statement)
            if isinstance(released, Receipt):
                typer.echo(f"异议已答复，它暂停的提案已记入账本，日志序号 {released.index}")
    typer.echo(recorded(kind, index, duplicate))


def build_statement(kind: str, community: str, json_body: str | None, set_: list[str] | None,
                    person: list[str] | None) -> tuple[Statement, tuple[PrivateRecord, ...]]:
    """The statement of ``sunlight record`` and ``sunlight propose`` and its private data."""
    if json_body is not None:
        try:
            body = json.loads(json_body)
        except RecursionError:
            raise InvalidInput("--json 嵌套过深", code="invalid-input") from None
        except ValueError as exc:  # JSONDecodeError, or an integer too long to read
            raise InvalidInput(f"--json 不是有效的 JSON：{exc}", code="invalid-input") from None
        if not isinstance(body, dict):
            raise InvalidInput("--json 应为 JSON 对象", code="invalid-input")
        extra, people = body_from_fields(kind, _pairs(set_, "--set"))
        body = canonical(kind, body) | extra
    else:
        body, people = body_from_fields(kind, _pairs(set_, "--set"))
    private = with_person(kind, body, people | _pairs(person, "--person"))
    return Statement(community, kind, now(), body), private


def read_import(path: Path, kind: str, community: str, signers: list[MemberKey]
                ) -> tuple[list[Submission], list[int], list[RowError]]:
    """Reads every row (:func:`ledger.importing.read_rows`); returns the good rows' signed
    submissions, their line numbers, and an error for every row that could not be read."""
    errors: list[RowError] = []
    submissions: list[Submission] = []
    lines: list[int] = []
    at = now()
    for row in read_rows(path, read_input(path, "导入文件"), kind):
        if row.error is not None or row.body is None:
            errors.append(RowError(row.line, row.error or InvalidInput("空行")))
            continue
        try:
            private = with_person(kind, row.body, row.person)
            submission = sign_together(signers, Statement(community, kind, at, row.body), private)
        except DomainError as exc:
            errors.append(RowError(row.line, exc))
            continue
        submissions.append(submission)
        lines.append(row.line)
    return submissions, lines, errors


@app.command("forget")
def forget(community: CommunityOpt,
           person: Annotated[str, typer.Argument(help="承诺值（64 位十六进制）或姓名、联系方式")],
           db: DbOption = DEFAULT_DB_URL) -> None:
    """删除某人的私密资料及盐值（个人信息保护法）。日志和所有签名保持不变，仍可核验。"""
    erased = open_ledger(db).forget(community, person)
    if not erased:
        fail(f"私密存储中没有与“{person}”对应的资料")
    typer.echo(f"已删除 {erased} 份私密资料；公开日志中的承诺值从此无法与任何人对应。")


@app.command("kinds")
def kinds(kind: Annotated[str | None, typer.Argument(help="只看这一种记录类型")] = None,
          template: Annotated[str | None, typer.Option(
              "--template", help="生成导入模板：csv 或 xlsx（中文表头，填好后用 record --from-file 导入）")]
          = None,
          out: Annotated[Path | None, typer.Option(
              "--out", help="模板文件名（默认 记录类型.csv / .xlsx）")] = None) -> None:
    """列出记录类型：每个字段的中文名称、说明、可选值、嵌套结构和示例；或生成导入模板。"""
    if template is not None:
        if kind is None:
            fail("生成模板须指定记录类型，如 sunlight kinds fee.spend_recorded --template xlsx", 2)
        _kind(kind)
        if template not in FORMATS:
            fail(f"--template 应为 csv 或 xlsx，而不是“{template}”", 2)
        path = out or Path(f"{kind}.{template}")
        try:
            write_template(kind, template, path)
        except OSError as exc:
            fail(f"无法写入模板 {path}：{exc.strerror or exc}")
        typer.echo(f"已生成模板：{path}（{KINDS[kind].title}，填好后用 sunlight record {kind} "
                   f"-c 社区 -k 签名人 --from-file {path} 导入）")
        return
    for name in [_kind(kind).kind] if kind is not None else list(KINDS):
        typer.echo(describe_kind(name))


def describe_kind(name: str) -> str:
    spec = KINDS[name]
    signers = "、".join(role.label for role in Role if role in spec.signers)
    lines = [f"{name}  {spec.title}（签名：{signers}）"]
    lines += _describe_fields(spec.fields, "    ")
    example = json.dumps(spec.example(), ensure_ascii=False, separators=(", ", ": "))
    lines.append(f"    示例：{example}")
    return "\n".join(lines)


def _describe_fields(fields: tuple[FieldSpec, ...], indent: str) -> list[str]:
    lines = []
    for f in fields:
        need = "必填" if f.required else "选填"
        what = f"：{f.help}" if f.help else ""
        lines.append(f"{indent}{f.name}  {f.label}（{need}，{f.shape.label}）{what}")
        if f.values:
            lines.append(f"{indent}    可选值：{f.allowed_zh()}")
        if f.fields:
            lines.append(f"{indent}    {'每项' if f.shape is Shape.LIST else '其中'}：")
            lines += _describe_fields(f.fields, indent + "        ")
    return lines

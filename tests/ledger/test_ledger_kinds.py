"""The kinds registry as a committee member meets it: ``sunlight kinds`` explains every field,
enumerations may be written by their Chinese label, and the import templates come back in."""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

import ledger.cli  # noqa: F401  (registers every command)
from ledger.application import Sunlight
from ledger.cli.record import body_from_fields, with_person
from ledger.cli.root import app
from ledger.domain.common import Shape
from ledger.domain.errors import InvalidInput
from ledger.domain.kinds import KINDS, Column, FieldSpec, canonical, columns
from ledger.domain.state import parse_body
from ledger.importing import by_header, read_table
from ledger.signing import Entry, Statement
from ledger.templates import write_template

runner = CliRunner()


def sunlight(*args: str, code: int = 0) -> str:
    result = runner.invoke(app, list(args))
    output = result.output + (result.stderr if result.stderr_bytes is not None else "")
    assert result.exit_code == code, output
    return output


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SUNLIGHT_DB", f"sqlite:///{tmp_path / 'ledger.db'}")
    sunlight("keys", "new", "wang")
    sunlight("keys", "new", "chen")
    sunlight("init", "-c", "cli", "--name", "测试社区", "--origin", "test.example/cli", "-k", "wang",
             "--founder-id", "wang", "--founder-name", "王主任", "--term-start", "2024-01-01",
             "--estate", "a=一期")
    # an estate whose ledger starts in 2025, for records of that year
    sunlight("record", "community.estate_added", "-c", "cli", "-k", "wang", "--set", "estate_id=b",
             "--set", "name=二期", "--set", "added_on=2025-01-01")
    sunlight("member", "admit", "-c", "cli", "-k", "wang", "--member-id", "chen", "--name", "陈明",
             "--role", "treasurer", "--member-key", "chen", "--term-start", "2024-01-01")
    sunlight("record", "fee.budget_set", "-c", "cli", "-k", "chen", "--set", "estate_id=b",
             "--set", "year=2025", "--set",
             'lines=[{"category": "维修", "amount_fen": 10000000}]')
    return tmp_path


def bodies(community: str = "cli") -> list[tuple[str, dict[str, Any]]]:
    """Every statement's kind and signed body, in log order."""
    out = []
    for _, raw in Sunlight(os.environ["SUNLIGHT_DB"]).entries(community):
        statement = Statement.from_bytes(Entry.decode(raw).statement)
        out.append((statement.kind, dict(statement.body)))
    return out


def every_field(fields: tuple[FieldSpec, ...]) -> list[FieldSpec]:
    return [g for f in fields for g in (f, *every_field(f.fields))]


def test_kinds_explains_every_field_with_its_label_and_allowed_values() -> None:
    out = sunlight("kinds")
    for name, kind in KINDS.items():
        assert f"{name}  {kind.title}" in out
        for f in every_field(kind.fields):
            assert f"{f.name}  {f.label}（" in out, (name, f.name)
            for value, label in f.values:
                assert f"（{label}）" in out, (name, f.name, value)
    one = sunlight("kinds", "fee.spend_recorded")
    assert "repairs（维修）" in one and "发票扫描件的 SHA-256" in one and "示例：" in one
    example = json.loads(one.split("示例：", 1)[1])
    assert parse_body("fee.spend_recorded", example)
    assert "其中：" in sunlight("kinds", "decision.resolved")  # nested shapes are shown
    assert "未知的记录类型" in sunlight("kinds", "fee.stolen", code=1)


def test_every_kind_has_a_label_for_every_field_and_a_valid_example() -> None:
    for name, kind in KINDS.items():
        for f in every_field(kind.fields):
            assert f.label != f.name, f"{name}.{f.name} has no Chinese label"
            assert f.help, f"{name}.{f.name} has no one-line help"
        parse_body(name, kind.example())
        headers = [c.header for c in columns(name)]
        assert len(set(headers)) == len(headers), name


def test_a_label_is_refused_in_a_signed_body_with_the_allowed_values() -> None:
    body = KINDS["fee.spend_recorded"].example() | {"category": "维修"}
    with pytest.raises(InvalidInput) as caught:
        parse_body("fee.spend_recorded", body)
    message = str(caught.value)
    assert "签名内容须写取值 repairs" in message and "cleaning（保洁）" in message


def test_the_cli_takes_a_label_and_signs_the_value(workdir: Path) -> None:
    sunlight("record", "fee.spend_recorded", "-c", "cli", "-k", "chen", "--set", "estate_id=b",
             "--set", "spend_id=s1", "--set", "category=维修", "--set", "vendor=某公司",
             "--set", "amount_fen=5000", "--set", f"invoice_sha256={'a' * 64}",
             "--set", "spent_on=2025-03-01", "--set", "description=换灯")
    assert bodies()[-1][1]["category"] == "repairs"
    assert bodies()[-2][1]["lines"] == [{"category": "repairs", "amount_fen": 10000000}]
    # labels inside nested objects, a list of texts in one cell, a boolean by its label
    sunlight("record", "evaluation.opened", "-c", "cli", "-k", "wang", "--set", "round_id=p1",
             "--set", "subject=物业公司", "--set", "title=物业服务评议", "--set",
             "criteria=服务态度、办事效率", "--set", "method=问卷", "--set", "opened_on=2025-03-01")
    assert bodies()[-1][1]["criteria"] == ["服务态度", "办事效率"]
    assert (bodies()[-1][1]["subject"], bodies()[-1][1]["method"]) == ("property_company",
                                                                        "questionnaire")


def test_labels_are_read_at_every_depth() -> None:
    assert canonical("decision.resolved", {
        "quorum": {"attendance": "三分之二出席"}, "passed": "通过",
        "authorises": [{"type": "物业费支出", "cap_fen": 1}]}) == {
        "quorum": {"attendance": "two_thirds"}, "passed": True,
        "authorises": [{"type": "spend", "cap_fen": 1}]}
    body, _ = body_from_fields("project.classified", {"priority": "紧急", "category": "维修"})
    assert body == {"priority": 1, "category": "维修"}  # a free text is left as it is
    body, _ = body_from_fields("decision.resolved", {"votes.for": "3", "quorum.approval": "赞成多于反对",
                                                     "passed": "未通过"})
    assert body == {"votes": {"for": 3}, "quorum": {"approval": "majority_of_votes"},
                    "passed": False}


def fill(kind: str, values: dict[str, str]) -> list[str]:
    return [values.get(c.header, "") for c in columns(kind)]


SPEND = {"小区": "b", "支出编号": "s{n}", "类别": "维修", "收款单位": "某电梯公司",
         "支出金额（元）": "1,500.50", "发票哈希": "{n}" * 64, "支出日期": "2025-03-0{n}",
         "摘要": "电梯维保"}


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_a_filled_template_comes_back_in(workdir: Path, fmt: str) -> None:
    kind = "fee.spend_recorded"
    out = sunlight("kinds", kind, "--template", fmt)
    path = workdir / f"{kind}.{fmt}"
    assert str(path.name) in out and path.exists()
    rows = [fill(kind, {k: v.format(n=n) for k, v in SPEND.items()}) for n in (1, 2)]
    if fmt == "csv":
        raw = path.read_bytes()
        assert raw.startswith(b"\xef\xbb\xbf")  # Excel opens Chinese headers right with a BOM
        header = next(csv.reader([raw.decode("utf-8-sig")]))
        assert header == [c.header for c in columns(kind)]
        with path.open("a", encoding="utf-8", newline="") as f:
            csv.writer(f).writerows(rows)
    else:
        book = load_workbook(path)
        sheet = book["记录"]
        assert [c.value for c in sheet[1]] == [c.header for c in columns(kind)]
        assert "填写说明" in book.sheetnames
        for row in rows:
            sheet.append([int(v) if v.isdigit() and len(v) < 10 else v for v in row])
        book.save(path)
    out = sunlight("record", kind, "-c", "cli", "-k", "chen", "--from-file", str(path))
    assert "已导入 2 条" in out, out
    spends = [b for k, b in bodies() if k == kind]
    assert [s["category"] for s in spends] == ["repairs", "repairs"]
    assert [s["amount_fen"] for s in spends] == [150050, 150050]
    assert spends[0]["spent_on"] == "2025-03-01"


def test_a_template_row_with_a_bad_label_is_named(workdir: Path) -> None:
    kind = "fee.spend_recorded"
    sunlight("kinds", kind, "--template", "csv", "--out", "t.csv")
    good = fill(kind, {k: v.format(n=1) for k, v in SPEND.items()})
    bad = fill(kind, {k: v.format(n=2) for k, v in SPEND.items()} | {"类别": "修理",
                                                                       "支出金额（元）": "1.505"})
    with (workdir / "t.csv").open("a", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows([good, bad])
    out = sunlight("record", kind, "-c", "cli", "-k", "chen", "--from-file", "t.csv", code=1)
    assert "第 3 行" in out and "两位小数" in out and "第 2 行" not in out
    assert [k for k, _ in bodies()].count(kind) == 0


def test_person_columns_become_a_private_record(workdir: Path) -> None:
    sunlight("record", "fund.opened", "-c", "cli", "-k", "chen", "--set", "fund_id=f1",
             "--set", "name=微基金", "--set", "purpose=资助小项目", "--set", "opened_on=2025-01-01")
    kind = "fund.donation_recorded"
    sunlight("kinds", kind, "--template", "csv", "--out", "d.csv")
    row = fill(kind, {"基金": "f1", "捐赠编号": "d1", "捐赠金额（元）": "200", "资金性质": "general",
                      "方式": "微信", "收据号": "R1", "收款日期": "2025-02-01", "捐赠人类型": "个人",
                      "个人信息·姓名": "张三", "显示方式": "匿名"})
    with (workdir / "d.csv").open("a", encoding="utf-8", newline="") as f:
        csv.writer(f).writerow(row)
    assert "已导入 1 条" in sunlight("record", kind, "-c", "cli", "-k", "chen", "--from-file", "d.csv")
    body = bodies()[-1][1]
    assert body["channel"] == "wechat" and body["display"] == "anonymous"
    assert body["amount_fen"] == 20000 and "张三" not in json.dumps(body, ensure_ascii=False)
    assert len(str(body["donor_commitment"])) == 64


def test_money_shapes_are_shown_in_yuan_in_templates() -> None:
    for name in KINDS:
        for c in columns(name):
            if c.spec is not None and c.spec.shape is Shape.MONEY:
                assert c.header.endswith("（元）") and c.yuan


def test_bad_template_requests_and_files_are_clear_errors(workdir: Path) -> None:
    assert "须指定记录类型" in sunlight("kinds", "--template", "csv", code=2)
    assert "csv 或 xlsx" in sunlight("kinds", "fee.spend_recorded", "--template", "ods", code=2)
    (workdir / "bad.xlsx").write_bytes(b"PK\x03\x04 not really a workbook")
    out = sunlight("record", "fee.spend_recorded", "-c", "cli", "-k", "chen",
                   "--from-file", "bad.xlsx", code=1)
    assert "不是可读取的 Excel 工作簿" in out and "Traceback" not in out


def cell(column: Column, kind: str) -> str:
    """A required cell (or one the example fills) as a committee member would fill it from the
    registry's example."""
    if column.spec is None:
        return "张三" if column.path == "person.name" else ""
    if not column.spec.required and column.path not in KINDS[kind].example_with:
        return ""
    value = column.spec.example
    if column.yuan:
        return f"{value / 100:.2f}"
    if column.spec.values:
        return str(column.spec.label_of(value))
    if isinstance(value, list):
        if column.spec.item is Shape.TEXT:
            return "、".join(value)
        return json.dumps(value, ensure_ascii=False)
    return "" if value is None else str(value)


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_every_kinds_template_reads_back_into_a_valid_body(tmp_path: Path, fmt: str) -> None:
    for name in KINDS:
        path = tmp_path / f"{name}.{fmt}"
        write_template(name, fmt, path)
        cols = columns(name)
        if fmt == "csv":
            with path.open("a", encoding="utf-8", newline="") as f:
                csv.writer(f).writerow([cell(c, name) for c in cols])
        else:
            book = load_workbook(path)
            book["记录"].append([cell(c, name) for c in cols])
            book.save(path)
        [(line, row)] = read_table(path, path.read_bytes())
        assert line == 2 and isinstance(row, dict), (name, row)
        body, person = body_from_fields(name, by_header(name, row))
        with_person(name, body, person)
        parse_body(name, body)  # every required field came back, typed
        assert body == KINDS[name].example() | {
            k: v for k, v in body.items() if k.endswith("_commitment")}, name

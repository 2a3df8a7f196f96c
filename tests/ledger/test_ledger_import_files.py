"""Paper ledgers as Excel and WPS save them: CSV in UTF-8 (with or without a BOM), UTF-16 or
GB18030, separated by commas, semicolons or tabs, with trailing empty rows; and XLSX. The reader
(:mod:`ledger.importing`, shared with the service) in-process, then ``sunlight record --from-file``
as the real executable: a bad row is named by its line and nothing is recorded until every row
passes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import cast

import pytest
from openpyxl import Workbook, load_workbook

from ledger.application import Sunlight
from ledger.domain.errors import InvalidInput
from ledger.importing import read_rows, read_table
from tests.ledger.test_ledger_cli import found

SUNLIGHT = str(Path(sys.executable).parent / "sunlight")
KIND = "fund.donation_recorded"
HEADER = ["基金", "捐赠编号", "捐赠金额（元）", "方式", "收据号", "收款日期", "个人信息·姓名",
          "个人信息·联系方式", "备注"]
ROWS = [["f1", "d1", "1,500.50", "现金", "SJ-1", "2025-03-01", "张三", "13800138000", "用于“敬老”; 重阳"],
        ["f1", "d2", "200", "微信", "SJ-2", "2025-03-02", "欧阳·娜娜", "", ""]]
TRAILING = ["", "  ", "{sep}{sep}{sep}", " {sep} {sep}\t", ""]  # what Excel and WPS leave below a table
ENCODINGS = ["utf-8", "utf-8-sig", "gb18030", "utf-16"]
SEPARATORS = [",", ";", "\t"]


def table(sep: str, rows: list[list[str]] = ROWS, trailing: bool = True) -> str:
    """A CSV as a spreadsheet writes it: CRLF line ends, quoted where a cell holds ``sep`` or a quote."""
    def cell(text: str) -> str:
        return f'"{text.replace(chr(34), 2 * chr(34))}"' if sep in text or '"' in text else text
    lines = [sep.join(cell(c) for c in row) for row in [HEADER, *rows]]
    if trailing:
        lines += [t.format(sep=sep) for t in TRAILING]
    return "\r\n".join(lines) + "\r\n"


# --- the reader, in-process --------------------------------------------------------------------


@pytest.mark.parametrize("sep", SEPARATORS, ids=["comma", "semicolon", "tab"])
@pytest.mark.parametrize("encoding", ENCODINGS)
def test_every_encoding_and_separator_reads_the_same_rows(encoding: str, sep: str) -> None:
    rows = read_rows("捐赠台账.csv", table(sep).encode(encoding), KIND)
    assert [r.error for r in rows] == [None, None]
    assert [r.line for r in rows] == [2, 3]  # trailing empty rows are not rows
    first, second = rows
    assert first.body is not None and second.body is not None
    assert first.body["amount_fen"] == 150050 and second.body["amount_fen"] == 20000
    assert first.body["channel"] == "cash" and second.body["channel"] == "wechat"
    assert first.body["note"] == "用于“敬老”; 重阳"
    assert first.person == {"name": "张三", "contact": "13800138000"}
    assert second.person == {"name": "欧阳·娜娜"}


def test_gb18030_beyond_gbk_is_read() -> None:
    # 𠮷 (U+20BB7) is outside GBK: GB18030 writes it in four bytes
    rows = read_rows("names.csv", table(",", [["f1", "d1", "10", "现金", "SJ-1", "2025-03-01",
                                                 "𠮷田", "", ""]]).encode("gb18030"), KIND)
    assert rows[0].person == {"name": "𠮷田"}


def test_a_header_that_splits_on_two_separators_is_refused_naming_them() -> None:
    with pytest.raises(InvalidInput) as refused:
        read_table("mixed.csv", "基金,捐赠编号;方式\r\nf1,d1;现金\r\n".encode())
    assert "逗号、分号" in str(refused.value) and "mixed.csv" in str(refused.value)
    # the rows tell which of the two it is
    [(_line, row)] = read_table("semi.csv", "基金,捐赠编号;方式\r\nf1;现金\r\n".encode())
    assert row == {"基金,捐赠编号": "f1", "方式": "现金"}


def test_a_file_that_is_no_text_is_refused_naming_the_encodings() -> None:
    with pytest.raises(InvalidInput) as refused:
        read_table("x.csv", b"\xef\xbb\xbf\x80abc,\xff\n")
    assert "UTF-8" in str(refused.value) and "GB18030" in str(refused.value)


def test_excels_empty_trailing_columns_are_ignored_and_full_ones_refused() -> None:
    rows = read_table("x.csv", "基金,收据号,,\r\nf1,SJ-1,,\r\nf1,SJ-2,,多余\r\n,,,\r\n".encode())
    assert rows[0] == (2, {"基金": "f1", "收据号": "SJ-1"})
    assert rows[1][0] == 3 and isinstance(rows[1][1], InvalidInput)
    assert "多于表头" in str(rows[1][1])
    [(line, row)] = read_table("x.csv", "基金,,收据号\r\nf1,写在空表头下,SJ-1\r\n".encode())
    assert line == 2 and isinstance(row, InvalidInput) and "第 2 列有内容，但没有表头" in str(row)


def test_xlsx_rows_keep_excels_row_numbers(tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "记录"
    sheet.append([])  # the table starts on row 3, as people often leave a title or a gap
    sheet.append([])
    sheet.append(HEADER)
    sheet.append(ROWS[0])
    sheet.append([None, "  "])
    sheet.append(ROWS[1])
    sheet.append([])
    path = tmp_path / "gap.xlsx"
    book.save(path)
    rows = read_rows(path.name, path.read_bytes(), KIND)
    assert [(r.line, r.error) for r in rows] == [(4, None), (6, None)]


# --- sunlight record --from-file, as the executable --------------------------------------------


@pytest.fixture
def community(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SUNLIGHT_DB", f"sqlite:///{tmp_path / 'ledger.db'}")
    found(tmp_path)
    return tmp_path


def record_from(path: Path) -> tuple[int, str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SUNLIGHT_")}
    done = subprocess.run([SUNLIGHT, "record", KIND, "-c", "cli", "-k", "chen", "--from-file", str(path),
                           "--db", os.environ["SUNLIGHT_DB"]], cwd=path.parent, env=env,
                          capture_output=True, text=True, timeout=120, check=False)
    return done.returncode, done.stdout, done.stderr


def size() -> int:
    return Sunlight(os.environ["SUNLIGHT_DB"]).size("cli")


@pytest.mark.parametrize(("encoding", "sep"), [("gb18030", ";"), ("utf-8-sig", "\t"), ("utf-8", ",")])
def test_a_csv_as_saved_on_chinese_windows_is_recorded(community: Path, encoding: str, sep: str) -> None:
    path = community / "捐赠台账.csv"
    path.write_bytes(table(sep).encode(encoding))
    before = size()
    code, out, err = record_from(path)
    assert code == 0, err
    assert out.startswith("已导入 2 条登记捐赠") and "Traceback" not in out + err
    assert size() == before + 2
    names = sorted(cast(dict[str, str], r["data"])["name"]
                   for r in Sunlight(os.environ["SUNLIGHT_DB"]).private_records("cli"))
    assert names == ["张三", "欧阳·娜娜"]


def test_an_ambiguous_separator_is_named_and_nothing_is_recorded(community: Path) -> None:
    path = community / "mixed.csv"
    path.write_text("基金,捐赠编号;方式\r\nf1,d1;现金\r\n", encoding="utf-8")
    before = size()
    code, _out, err = record_from(path)
    assert code == 1 and "分隔符" in err and "逗号、分号" in err, err
    assert size() == before


def test_an_xlsx_with_a_bad_row_records_nothing_until_it_is_fixed(community: Path) -> None:
    template = community / "donations.xlsx"
    done = subprocess.run([SUNLIGHT, "kinds", KIND, "--template", "xlsx", "--out", str(template)],
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    book = load_workbook(template)
    sheet = book["记录"]
    headers = [c.value for c in sheet[1]]
    rows = [{"基金": "f1", "捐赠编号": f"d{n}", "捐赠金额（元）": 100 + n, "方式": "现金",
             "收据号": f"SJ-{n}", "收款日期": f"2025-04-0{n}", "个人信息·姓名": f"捐赠人{n}"}
            for n in range(1, 5)]
    rows[2]["捐赠金额（元）"] = "一百元"  # Excel row 4
    for row in rows:
        sheet.append([row.get(str(h)) for h in headers])
    for _ in range(3):
        sheet.append([None] * len(headers))  # formatted but empty rows at the bottom
    book.save(template)
    before = size()
    code, out, err = record_from(template)
    assert code == 1, (out, err)
    assert "1 行有误，全部未登记" in err and "第 4 行" in err and "一百元" in err, err
    assert "第 2 行" not in err and "第 5 行" not in err
    assert size() == before  # nothing recorded
    book = load_workbook(template)
    book["记录"].cell(row=4, column=headers.index("捐赠金额（元）") + 1, value="100.00")
    book.save(template)
    code, out, err = record_from(template)
    assert code == 0, err
    assert out.startswith("已导入 4 条登记捐赠（重复 0 条）")
    assert size() == before + 4


def test_the_reader_knows_no_command_line_and_no_web_framework() -> None:
    """The service reuses :mod:`ledger.importing` for uploaded files: it must not pull in typer."""
    from tests.ledger.test_ledger_architecture import ROOT, modules

    found = {m for m in modules(ROOT / "ledger" / "importing.py")
             if m.split(".")[0] in ("typer", "click", "starlette", "uvicorn", "httpx")
             or m.startswith(("ledger.cli", "ledger.api"))}
    assert not found, found

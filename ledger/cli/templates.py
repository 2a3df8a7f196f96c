"""Import templates for paper ledgers: a CSV (UTF-8 with BOM, so that Excel and WPS show the
Chinese headers) or an Excel workbook whose header row is the kind's Chinese field labels, and
the reading back of such a file (or of one with the fields' own names as headers).

The columns come from the kinds registry (:func:`ledger.domain.kinds.columns`): money in 元,
enumerations by their Chinese label (a drop-down in Excel), lists as one JSON cell, and the
person behind a commitment as ``个人信息·…`` columns that never enter the statement.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from ledger.domain.common import MAX_FEN, Shape
from ledger.domain.errors import InvalidInput
from ledger.domain.kinds import KINDS, Column, columns

FORMATS = ("csv", "xlsx")
MAX_YUAN = Decimal(MAX_FEN) / 100
SHEET = "记录"
GUIDE = "填写说明"


def write_template(kind: str, fmt: str, path: Path) -> None:
    if fmt == "csv":
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\r\n").writerow([c.header for c in columns(kind)])
        path.write_text(buffer.getvalue(), encoding="utf-8-sig")
    elif fmt == "xlsx":
        _write_xlsx(kind, path)
    else:
        raise InvalidInput(f"模板格式应为 csv 或 xlsx，而不是“{fmt}”", code="invalid-input")


def guide(column: Column) -> tuple[str, str, str]:
    """(必填 or 选填, what to write, allowed values) for one column."""
    spec = column.spec
    if spec is None:
        return "选填", "个人信息只存私密库，公开记录只有其加盐哈希", ""
    required = "必填" if spec.required else "选填"
    what = spec.help or spec.shape.label
    if column.yuan:
        what = "金额（元），最多两位小数"
    elif spec.shape is Shape.LIST and spec.item is Shape.TEXT:
        what = f"{what}（多项用顿号“、”分隔）"
    elif spec.shape is Shape.LIST:
        what = f"{what}（JSON 列表，如 {json.dumps(spec.example, ensure_ascii=False)}）"
    allowed = "、".join(label for _, label in spec.values)
    return required, what, allowed


def _write_xlsx(kind: str, path: Path) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = SHEET
    cols = columns(kind)
    sheet.append([c.header for c in cols])
    for n, column in enumerate(cols, start=1):
        letter = get_column_letter(n)
        sheet.cell(row=1, column=n).font = Font(bold=True)
        sheet.column_dimensions[letter].width = max(12, 2 * len(column.header) + 4)
        sheet.cell(row=1, column=n).number_format = "@"
        if column.spec is not None and column.spec.values:
            labels = ",".join(label for _, label in column.spec.values)
            if len(labels) <= 255:  # Excel's limit for a list typed into the rule
                rule = DataValidation(type="list", formula1=f'"{labels}"', allow_blank=True)
                rule.add(f"{letter}2:{letter}5000")
                sheet.add_data_validation(rule)
    sheet.freeze_panes = "A2"
    notes = book.create_sheet(GUIDE)
    notes.append([f"{KINDS[kind].title}（{kind}）：在“{SHEET}”表中每行填一条记录，"
                  "然后 sunlight record " + kind + " --from-file 本文件"])
    notes.append(["列", "必填", "填写", "可选值"])
    for column in cols:
        notes.append([column.header, *guide(column)])
    for letter, width in zip("ABCD", (22, 8, 60, 60), strict=True):
        notes.column_dimensions[letter].width = width
    book.save(path)


Row = tuple[int, dict[str, str] | InvalidInput]


def read_table(path: Path, data: bytes) -> list[Row]:
    """The rows of a CSV or Excel file as ``(line number, {header: cell text})``, or the row's
    error; the header is line 1. Rows with every cell empty are skipped."""
    if path.suffix.lower() == ".xlsx":
        return _read_xlsx(path, data)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput(f"{path} 不是 UTF-8 编码的文本（WPS / Excel 请另存为“CSV UTF-8”）",
                           code="import-unreadable") from None
    reader = csv.reader(text.splitlines(keepends=True))
    rows: list[Row] = []
    header: list[str] | None = None
    for cells in reader:
        if header is None:
            header = [h.strip() for h in cells]
            continue
        if not any(c.strip() for c in cells):
            continue
        if len(cells) > len(header):
            rows.append((reader.line_num, InvalidInput("列数多于表头", code="invalid-input")))
            continue
        rows.append((reader.line_num, dict(zip(header, cells + [""] * (len(header) - len(cells)),
                                               strict=True))))
    return rows


def _read_xlsx(path: Path, data: bytes) -> list[Row]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds for a damaged or foreign file
        raise InvalidInput(f"{path} 不是可读取的 Excel 工作簿（.xlsx）",
                           code="import-unreadable") from None
    sheet = book[SHEET] if SHEET in book.sheetnames else book.worksheets[0]
    rows: list[Row] = []
    header: list[str] | None = None
    for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
        cells = [_cell(v) for v in values]
        if header is None:
            header = [c.strip() for c in cells]
            continue
        if not any(c.strip() for c in cells):
            continue
        rows.append((number, {h: c for h, c in zip(header, cells, strict=False) if h}))
    book.close()
    return rows


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def by_header(kind: str, row: dict[str, str]) -> dict[str, str]:
    """A row keyed by the template's Chinese headers, as fields (``votes.for``, ``person.name``);
    a header that is already a field's name is kept, money in 元 becomes fen."""
    known = {c.header: c for c in columns(kind)}
    out: dict[str, str] = {}
    for header, text in row.items():
        column = known.get(header)
        if column is None:
            out[header] = text
        elif column.yuan and text.strip():
            out[column.path] = str(yuan_to_fen(column.header, text))
        else:
            out[column.path] = text
    return out


def yuan_to_fen(header: str, text: str) -> int:
    cleaned = text.strip().replace(",", "").replace("，", "").removesuffix("元").strip()
    try:
        amount = Decimal(cleaned)
    except InvalidOperation:
        raise InvalidInput(f"{header}：应为金额（元），如 1500 或 1500.50，而不是“{text}”",
                           code="invalid-input") from None
    if not amount.is_finite() or abs(amount) > MAX_YUAN:
        raise InvalidInput(f"{header}：金额超出范围：{text}", code="number-out-of-range")
    fen = amount * 100
    if fen != fen.to_integral_value():
        raise InvalidInput(f"{header}：金额最多两位小数（分），而不是“{text}”", code="invalid-input")
    return int(fen)

"""Import templates for paper ledgers: a CSV (UTF-8 with BOM, so that Excel and WPS show the
Chinese headers) or an Excel workbook whose header row is the kind's Chinese field labels. A
filled-in template is read back by :mod:`ledger.importing`. The command line writes a template
to a file, the service sends its bytes: both come from here.

The columns come from the kinds registry (:func:`ledger.domain.kinds.columns`): money in 元,
enumerations by their Chinese label (a drop-down in Excel), lists as one JSON cell, and the
person behind a commitment as ``个人信息·…`` columns that never enter the statement.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from ledger.domain.common import Shape
from ledger.domain.errors import InvalidInput
from ledger.domain.kinds import KINDS, Column, columns
from ledger.importing import SHEET

FORMATS = ("csv", "xlsx")
GUIDE = "填写说明"


def template_bytes(kind: str, fmt: str) -> bytes:
    """The template of ``kind`` in ``fmt`` (``csv`` or ``xlsx``)."""
    if fmt == "csv":
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\r\n").writerow([c.header for c in columns(kind)])
        return buffer.getvalue().encode("utf-8-sig")
    if fmt == "xlsx":
        out = io.BytesIO()
        _write_xlsx(kind, out)
        return out.getvalue()
    raise InvalidInput(f"模板格式应为 csv 或 xlsx，而不是“{fmt}”", code="invalid-input")


def write_template(kind: str, fmt: str, path: Path) -> None:
    path.write_bytes(template_bytes(kind, fmt))


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


def _write_xlsx(kind: str, out: io.BytesIO) -> None:
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
    book.save(out)

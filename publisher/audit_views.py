"""The portal's 审计视图: the audit findings (:mod:`ledger.audit.findings`) as pages.

One overview page and one page per section (公开、登记、资金、跟进), in plain Chinese, each
finding linked to the record pages it concerns. The day audited is the day of the last record
published, so the same log always gives the same pages.
"""

from __future__ import annotations

from ledger.audit.findings import RULES, SECTIONS, Audit, LapsedProposal, audit
from ledger.domain.catalogue import PERIODIC
from ledger.domain.state import Signed, local_day
from publisher.describe import record_path
from publisher.fmt import esc
from publisher.pages import Page, h, table
from publisher.records import Record

SLUGS = {"disclosure": "disclosure", "recording": "recording", "money": "money",
         "follow-through": "follow-through"}


def audit_of(community_id: str, records: list[Record],
             lapsed: list[LapsedProposal] | None = None) -> Audit | None:
    if not records:
        return None
    signed = (Signed(r.index, r.kind, r.body, r.signer.key_id, r.at, bytes.fromhex(r.statement_sha256),
                     tuple(c.key_id for c in r.cosigners)) for r in records)
    return audit(community_id, signed, local_day(records[-1].at), lapsed or ())


def audit_view_pages(a: Audit | None) -> list[Page]:
    index = Page("audit/views/index.md", "审计视图")
    index.add(h(1, "审计视图"))
    if a is None:
        index.add("<p>暂无记录。</p>")
        return [index]
    index.add(f"<p>按公开目录和账本记录，自动查找值得关注的情况：公开是否及时、登记是否及时、资金使用和跟进落实。"
              f"截至 {esc(a.as_of.isoformat())}（最后一条记录的日期），共发现 {len(a.findings)} 项。"
              "这些只是提示，不等于违规：每一项都附有相关记录的链接，请查看记录后自行判断。</p>")
    sections = a.by_section()
    rows = [[f'<a href="{SLUGS[s]}/">{esc(SECTIONS[s])}</a>', str(len(found))] for s, found in sections.items()]
    index.add(table(["方面", "发现"], rows))
    index.add(h(2, "公开目录"))
    where = (f'本社区于<a href="{index.root}{record_path(a.catalogue.index)}">第 {a.catalogue.index} 条记录</a>设定'
             if a.catalogue.index is not None else "本社区尚未自行设定，采用默认目录")
    index.add(f"<p>{where}：</p>")
    index.add("<ul>" + "".join(
        f"<li>{esc(item.title)}：{esc(item.cadence.label)}，"
        + (f"期间结束后次月 {item.deadline} 日前" if item.cadence in PERIODIC
           else f"{item.deadline} 个工作日内（按国家法定节假日和调休安排计算）") + "</li>"
        for item in a.catalogue.set.items) + "</ul>")
    s = a.catalogue.set
    index.add(f"<p>业务发生后超过 {s.recording_lag_days} 天才登记的记录、评议结束 {s.consequence_days} 天后仍未登记"
              f"结果运用的评议、在同一步骤停留超过 {s.project_step_days} 天的民需项目，都会列出；决议的授权"
              f"自会议之日起 {s.authorisation_days} 天内有效。</p>")
    for note in a.unchecked:
        index.add(f"<p>未能检查：{esc(note)}</p>")
    pages = [index]
    for section, found in sections.items():
        page = Page(f"audit/views/{SLUGS[section]}.md", f"审计视图：{SECTIONS[section]}")
        root = page.root
        page.add(h(1, f"审计视图：{SECTIONS[section]}"))
        page.add("<ul>" + "".join(f"<li><strong>{esc(r.title)}</strong>：{esc(r.explain)}</li>"
                                  for r in RULES.values() if r.section == section) + "</ul>")
        page.add(f"<p>截至 {esc(a.as_of.isoformat())}，共 {len(found)} 项。</p>")
        if not found:
            page.add("<p>未发现问题。</p>")
        period = None
        items: list[str] = []
        for f in found:
            if f.period != period:
                if items:
                    page.add('<ul class="sl-list">' + "".join(items) + "</ul>")
                    items = []
                period = f.period
                page.add(h(2, period))
            links = "、".join(f'<a href="{root}{record_path(i)}">第 {i} 条记录</a>' for i in f.records)
            if not links and section == "disclosure":  # nothing was published: where it would be
                links = f'<a href="{root}disclosures/">居务公开</a>'
            items.append(f"<li><strong>{esc(RULES[f.rule].title)}</strong>：{esc(f.sentence)}"
                         + (f'<br><span class="sl-meta">相关记录：{links}</span>' if links else "") + "</li>")
        if items:
            page.add('<ul class="sl-list">' + "".join(items) + "</ul>")
        if section == "recording" and a.lags:
            page.add(h(2, "各类记录从发生到登记的天数"))
            page.add(table(["记录类型", "条数", "中位数（天）", "最长（天）"],
                           [[esc(lag.title), str(lag.count), f"{lag.median_days:g}", str(lag.max_days)]
                            for lag in a.lags]))
        page.add(f'<p><a href="{root}audit/views/">返回审计视图</a></p>')
        pages.append(page)
    return pages

"""Stage 3a: the portal's summary pages, written as Markdown files for MkDocs.

Every page body is one raw HTML block in which every recorded value has passed through
:func:`publisher.fmt.esc`; Markdown never sees recorded text as Markdown. Record pages
themselves are not here (see :mod:`publisher.record_page`): they stay out of MkDocs and its nav.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from ledger.domain.decision import MEETING_TITLES
from ledger.domain.disclosure import CATEGORY_TITLES, Category
from ledger.domain.evaluation import SUBJECT_TITLES, Evaluation
from ledger.domain.fee import INCOME_TITLES, SPEND_TITLES, Fee, IncomeSource, SpendCategory
from ledger.domain.fund import Fund, donor_display
from ledger.domain.oversight import ANSWER_WITHIN, overdue
from ledger.domain.project import STEP_TITLES
from ledger.domain.roles import ROLE_TITLES
from ledger.domain.state import local_day
from ledger.domain.workdays import CalendarNotCovered, add_workdays, workdays_between
from publisher.budgets import Overrun, lines, overruns
from publisher.charts import bar_chart, figure, line_chart, table_html
from publisher.describe import record_path, title
from publisher.fmt import (
    esc,
    local_month,
    local_time,
    percent,
    short_hash,
    tenths_of_percent,
    text_block,
    yuan,
)
from publisher.readmodel import EstateView, FundView, Portal, day_of
from publisher.records import Record
from publisher.results import Share, headline_share, results_summary, results_table
from publisher.witnesses import Witness, witness_block
from publisher.year import overview

LATEST = 10
# site/hooks.py puts a page's ``sl_slot`` where its content goes. It holds an <h1> because every
# body starts with one, and Material adds the page title as an <h1> to content that has none.
PAGE_SLOT = "<h1>SLPAGESLOT</h1>"


@dataclass
class Page:
    path: str  # relative to docs/, e.g. "fees/e1-2025.md"
    title: str
    parts: list[str] = field(default_factory=list)

    @property
    def root(self) -> str:
        """Relative prefix from this page's URL to the site root (directory URLs)."""
        depth = self.path.count("/") + (0 if self.path.endswith("index.md") else 1)
        return "../" * depth

    def add(self, *html: str) -> None:
        self.parts.extend(html)

    @property
    def html_path(self) -> str:
        """Where MkDocs writes the page (directory URLs), relative to the site root."""
        stem = self.path.removesuffix(".md")
        return stem + ".html" if stem == "index" or stem.endswith("/index") else stem + "/index.html"

    def markdown(self) -> str:
        """The Markdown file: front matter only. MkDocs renders the page around
        :data:`PAGE_SLOT`, and the publisher puts :meth:`body` there, so MkDocs' input changes
        only when the set of pages or a title does."""
        return (f"---\ntitle: {json.dumps(esc(self.title))}\nsl_slot: {json.dumps(PAGE_SLOT)}\n---\n\n"
                "（本页由阳光账本生成）\n")

    def body(self) -> str:
        return '<div class="sl-page">' + "".join(self.parts) + "</div>"


@dataclass(frozen=True)
class Context:
    """What every page needs besides the read model."""

    checkpoint_size: int
    checkpoint_root: str  # base64
    checkpoint_note: str
    verifier_key: str
    origin: str
    base_url: str
    search_bundles: tuple[str, ...] = ()  # Pagefind bundles under pagefind/, merged on search
    witnesses: tuple[Witness, ...] = ()  # named by the operator, with their keys


def build_pages(p: Portal, ctx: Context) -> list[Page]:
    """Every summary page, in memory: :meth:`Page.markdown` is MkDocs' input, :meth:`Page.body`
    goes into the page MkDocs renders."""
    return [*home(p, ctx), *disclosures(p), *funds(p), *fees(p), decisions(p), evaluations(p),
            projects(p), audit(p, ctx), *all_records(p), search(ctx)]


def write_markdown(pages: Iterable[Page], docs: Path) -> None:
    for page in pages:
        target = docs / page.path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(page.markdown(), encoding="utf-8")


# --- shared pieces --------------------------------------------------------------------------


def link(root: str, r: Record, text: str | None = None) -> str:
    return f'<a href="{root}{record_path(r.index)}">{esc(text if text is not None else "")}</a>'


def item(p: Portal, r: Record, root: str, extra: str = "") -> str:
    return (f"<li>{link(root, r, title(p, r))}{extra}<br><span class=\"sl-meta\">"
            f"{esc(day_of(r))} · {esc(r.kind_zh)} · {esc(r.signer.name)}（"
            f"{esc(r.signer.role_zh)}）· 第 {r.index} 条</span></li>")


def record_list(p: Portal, records: Iterable[Record], root: str) -> str:
    items = "".join(item(p, r, root) for r in records)
    return f'<ul class="sl-list" data-pagefind-ignore>{items}</ul>' if items else "<p>暂无记录。</p>"


def table(header: Iterable[str], rows: Iterable[Iterable[str]]) -> str:
    return table_html(header, rows)


def h(level: int, text: str) -> str:
    return f"<h{level}>{esc(text)}</h{level}>"


# --- home -----------------------------------------------------------------------------------


def home(p: Portal, ctx: Context) -> list[Page]:
    page = Page("index.md", "首页")
    root = page.root
    page.add(f"<h1>{esc(p.name or p.community_id)}</h1>")
    if p.description:
        page.add(text_block(p.description))
    page.add(overview(p, root))
    page.add(h(2, "最新记录"))
    page.add(record_list(p, reversed(p.records[-LATEST:]), root))
    page.add(f'<p><a href="{root}records/">全部记录（按月）</a></p>')
    page.add(h(2, "公开账本"))
    page.add(f"<p>公开账本共 {ctx.checkpoint_size} 条记录，每条都由经办人签名，记入后不能修改或删除。"
             "任何人都可以在手机上核验。</p>"
             f'<p><a href="{root}audit/">核验全部记录有没有被改动</a></p>')
    page.add(tech_fold(f"<p>检查点：{ctx.checkpoint_size} 条，根哈希 <code class=\"sl-hash\">"
                       f"{esc(ctx.checkpoint_root)}</code></p>"))
    page.add(witness_block(ctx.checkpoint_note, ctx.origin, ctx.checkpoint_size, ctx.witnesses))
    return [page]


# --- 居务公开 --------------------------------------------------------------------------------


def _status(view_corrections: int, retracted: bool) -> str:
    if retracted:
        return ' <span class="sl-badge sl-badge-bad">已撤回</span>'
    if view_corrections:
        return f' <span class="sl-badge">已更正 {view_corrections} 次</span>'
    return ""


def disclosures(p: Portal) -> list[Page]:
    index = Page("disclosures/index.md", "居务公开")
    index.add(h(1, "居务公开"))
    index.add("<p>重大事项决策及执行、专项资金使用、社区工作事项准入清单、协商结果等。"
              "更正和撤回都作为新记录公开，原记录始终保留。</p>")
    by_cat: dict[str, list[Record]] = {}
    by_month: dict[str, list[Record]] = {}
    for view in p.disclosures.values():
        by_cat.setdefault(view.published.category.value, []).append(view.record)
        by_month.setdefault(local_month(view.record.at), []).append(view.record)
    pages = [index]
    index.add(h(2, "按类别"))
    rows = []
    for cat in Category:
        items = by_cat.get(cat.value, [])
        rows.append([f'<a href="category-{cat.value}/">{esc(CATEGORY_TITLES[cat])}</a>',
                     str(len(items))])
        pages.append(_disclosure_list(p, f"disclosures/category-{cat.value}.md",
                                      f"居务公开：{CATEGORY_TITLES[cat]}", items))
    index.add(table(["类别", "条数"], rows))
    index.add(h(2, "按月份"))
    rows = []
    for month in sorted(by_month, reverse=True):
        rows.append([f'<a href="{month}/">{esc(month)}</a>', str(len(by_month[month]))])
        pages.append(_disclosure_list(p, f"disclosures/{month}.md", f"居务公开：{month}",
                                      by_month[month]))
    index.add(table(["月份", "条数"], rows))
    return pages


def _disclosure_list(p: Portal, path: str, heading: str, records: list[Record]) -> Page:
    page = Page(path, heading)
    page.add(h(1, heading))
    items = []
    for r in reversed(records):
        view = p.disclosures[r.body.disclosure_id]  # type: ignore[attr-defined]
        items.append(item(p, r, page.root, _status(len(view.corrections),
                                                   view.retraction is not None)))
    page.add('<ul class="sl-list" data-pagefind-ignore>' + "".join(items) + "</ul>"
             if items else "<p>暂无记录。</p>")
    return page


# --- 微基金 ----------------------------------------------------------------------------------


def funds(p: Portal) -> list[Page]:
    index = Page("funds/index.md", "微基金")
    index.add(h(1, "社区微基金"))
    index.add("<p>企业、单位、爱心人士和居民的捐赠，用于预算不足的社区小项目。个人捐赠人默认匿名，"
              "经本人同意才显示遮蔽姓名（如“张*”）。</p>")
    rows = [[f'<a href="{esc(f.opened.fund_id)}/">{esc(f.opened.name)}</a>',
             esc(yuan(sum(d.body.amount_fen for d in f.donations))),  # type: ignore[attr-defined]
             esc(yuan(sum(g.body.amount_fen for g in f.grants))),  # type: ignore[attr-defined]
             esc(yuan(f.balance))] for f in p.funds.values()]
    index.add(table(["基金", "累计捐赠", "累计拨付", "余额"], rows) if rows else "<p>尚未设立基金。</p>")
    pages = [index]
    for fund in p.funds.values():
        pages.append(_fund_page(p, fund))
    return pages


def _fund_page(p: Portal, fund: FundView) -> Page:
    page = Page(f"funds/{fund.opened.fund_id}.md", fund.opened.name)
    root = page.root
    page.add(h(1, fund.opened.name))
    page.add(text_block(fund.opened.purpose))
    page.add(f"<p>{link(root, fund.record, '设立记录')}</p>")
    page.add(h(2, "余额"))
    page.add(table(["资金性质", "余额"], [[esc(p.restriction_zh(k)), esc(yuan(v))]
                                      for k, v in sorted(fund.pools.items())]))
    # balance over time: month-end balance of each restriction
    months: dict[str, dict[str, int]] = {}
    running: dict[str, int] = {}
    for day, restriction, balance in fund.balances:
        running[restriction] = balance
        months[day[:7]] = dict(running)
    pools = sorted(running)
    series = [(m, sum(v.values())) for m, v in sorted(months.items())]
    chart = line_chart(f"{fund.opened.name}月末余额走势", series)
    rows = [[esc(m), *(esc(yuan(v.get(k, 0))) for k in pools), esc(yuan(sum(v.values())))]
            for m, v in sorted(months.items())]
    page.add(figure(chart, "月末余额（元），按资金性质", ["月份", *(p.restriction_zh(k) for k in pools),
                                                 "合计"], rows))
    page.add(h(2, "捐赠"))
    page.add(table(["日期", "捐赠人", "金额", "资金性质", "收据号", "记录"], [
        [esc(d.body.received_on), esc(donor_display(d.body)), esc(yuan(d.body.amount_fen)),
         esc(p.restriction_zh(d.body.restriction)), esc(d.body.receipt_no),
         link(root, d, f"第 {d.index} 条")]
        for d in reversed(fund.donations) if isinstance(d.body, Fund.DonationRecorded)]))
    page.add(h(2, "拨付与资助项目"))
    grant_rows = []
    for g in reversed(fund.grants):
        b = g.body
        assert isinstance(b, Fund.GrantMade)
        project = p.projects.get(b.project_id or "")
        decision = p.decisions.get(b.decision_id)
        grant_rows.append([
            esc(b.granted_on), esc(b.purpose), esc(yuan(b.amount_fen)),
            link(root, project.record, project.discovered.title) if project else "—",
            link(root, decision.record, b.decision_id) if decision else esc(b.decision_id),
            link(root, g, f"第 {g.index} 条")])
    page.add(table(["日期", "用途", "金额", "资助项目", "授权决议", "记录"], grant_rows))
    return page


# --- 物业费 ----------------------------------------------------------------------------------


def fees(p: Portal) -> list[Page]:
    index = Page("fees/index.md", "物业费")
    index.add(h(1, "物业费与公共收益"))
    index.add("<p>各小区每年的物业费收入、公共收益（停车、广告、场地）、按类别的支出，以及预算执行情况。"
              "每笔支出都注明供应商、发票哈希和授权决议。</p>")
    pages = [index]
    rows = []
    for estate in p.estates.values():
        for year in reversed(estate.years()):
            page = _estate_year(p, estate, year)
            pages.append(page)
            inc = sum(r.body.amount_fen for r in estate.incomes  # type: ignore[attr-defined]
                      if day_of(r).startswith(str(year)))
            out = sum(r.body.amount_fen for r in estate.spends  # type: ignore[attr-defined]
                      if day_of(r).startswith(str(year)))
            rows.append([f'<a href="{esc(estate.estate.estate_id)}-{year}/">'
                         f"{esc(estate.estate.name)} {year} 年</a>", esc(yuan(inc)),
                         esc(yuan(out))])
    index.add(table(["小区与年度", "收入", "支出"], rows) if rows else "<p>暂无记录。</p>")
    return pages


def _estate_year(p: Portal, estate: EstateView, year: int) -> Page:
    name = estate.estate.name
    page = Page(f"fees/{estate.estate.estate_id}-{year}.md", f"{name} {year} 年物业费")
    root = page.root
    page.add(h(1, f"{name} {year} 年物业费"))
    y = str(year)
    incomes = [r for r in estate.incomes if day_of(r).startswith(y)]
    spends = [r for r in estate.spends if day_of(r).startswith(y)]
    by_source: dict[str, int] = {}
    for r in incomes:
        b = r.body
        assert isinstance(b, Fee.IncomeRecorded)
        by_source[b.source.value] = by_source.get(b.source.value, 0) + b.amount_fen
    page.add(h(2, "收入"))
    src_rows = [(INCOME_TITLES[s], [by_source.get(s.value, 0)]) for s in IncomeSource
                if s.value in by_source]
    public = sum(v for k, v in by_source.items() if k != IncomeSource.PROPERTY_FEE.value)
    page.add(figure(bar_chart(f"{name} {year} 年收入按来源", src_rows, ["收入"]),
                    f"收入按来源（公共收益合计 {yuan(public)}）", ["来源", "金额"],
                    [[esc(k), esc(yuan(v[0]))] for k, v in src_rows]))
    budget_rec = estate.budgets.get(year)
    budget: dict[str, int] = {}
    if budget_rec is not None:
        assert isinstance(budget_rec.body, Fee.BudgetSet)
        budget = {line.category.value: line.amount_fen for line in budget_rec.body.lines}
    actual: dict[str, int] = {}
    for r in spends:
        b = r.body
        assert isinstance(b, Fee.SpendRecorded)
        actual[b.category.value] = actual.get(b.category.value, 0) + b.amount_fen
    page.add(h(2, "预算与实际支出"))
    history = estate.budget_history.get(year, [])
    original = lines(history[0]) if history else {}
    cats = [c for c in SPEND_TITLES if c.value in budget or c.value in actual]
    rows = [(SPEND_TITLES[c], [budget.get(c.value, 0), actual.get(c.value, 0)]) for c in cats]
    if len(history) > 1:
        page.add(f'<p class="sl-banner">本年度预算修订过 {len(history) - 1} 次：下表“现行预算”是修订后的，'
                 "“原始预算”是年初编制的；每次修订的日期和授权决议见下方“预算修订记录”。</p>")
        page.add(figure(bar_chart(f"{name} {year} 年预算与实际支出", rows, ["现行预算", "实际"]),
                        "按类别的原始预算、现行预算与实际支出",
                        ["类别", "原始预算", "现行预算", "实际", "执行率（按现行预算）"],
                        [[esc(SPEND_TITLES[c]), esc(yuan(original.get(c, 0))), esc(yuan(v[0])),
                          esc(yuan(v[1])), esc(percent(v[1], v[0]))]
                         for c, (_, v) in zip(cats, rows, strict=True)]))
    else:
        page.add(figure(bar_chart(f"{name} {year} 年预算与实际支出", rows, ["预算", "实际"]),
                        "按类别的预算与实际支出", ["类别", "预算", "实际", "执行率"],
                        [[esc(k), esc(yuan(v[0])), esc(yuan(v[1])), esc(percent(v[1], v[0]))]
                         for k, v in rows]))
    over = overruns(estate, year)
    if history:
        page.add(h(2, "预算修订记录"))
        page.add(_budget_history(p, root, history, over))
    page.add(h(2, "支出明细"))
    if over:
        page.add(f'<p class="sl-banner sl-banner-bad">本年度有 {len(over)} 笔支出超出了当时有效的预算，'
                 "在下表“预算”一栏标出，并链接到授权它的决议。</p>")
    spend_rows = []
    for r in reversed(spends):
        b = r.body
        assert isinstance(b, Fee.SpendRecorded)
        decision = p.decisions.get(b.decision_id or "")
        o = over.get(r.index)
        spend_rows.append([
            esc(b.spent_on), esc(SPEND_TITLES[b.category]), esc(b.description), esc(b.vendor),
            esc(yuan(b.amount_fen)),
            (f'<span class="sl-badge sl-badge-bad">超出当时预算</span><br>'
             f"当时该类预算 {esc(yuan(o.line_fen))}，累计支出 {esc(yuan(o.spent_fen))}"
             if o else "在预算内"),
            link(root, decision.record, f"{b.decision_id}：{decision.resolved.agenda_item}")
            if decision else ("无（超预算却未引用决议）" if o else "—"),
            f'<code class="sl-hash" title="{esc(b.invoice_sha256)}">'
            f"{esc(short_hash(b.invoice_sha256))}</code>",
            link(root, r, f"第 {r.index} 条")])
    page.add(table(["日期", "类别", "事项", "收款单位", "金额", "预算", "授权决议", "发票哈希", "记录"],
                   spend_rows))
    page.add(h(2, "收入明细"))
    page.add(table(["到账日期", "来源", "期间", "金额", "记录"], [
        [esc(r.body.received_on), esc(INCOME_TITLES[r.body.source]), esc(r.body.period),  # type: ignore[attr-defined]
         esc(yuan(r.body.amount_fen)), link(root, r, f"第 {r.index} 条")]  # type: ignore[attr-defined]
        for r in reversed(incomes)]))
    return page


def _budget_history(p: Portal, root: str, history: list[Record],
                    over: dict[int, Overrun]) -> str:
    """The original budget and every revision: when, what changed, which decision allowed it,
    and which over-budget spends came before it."""
    rows = []
    previous: dict[SpendCategory, int] = {}
    for n, r in enumerate(history):
        b = r.body
        assert isinstance(b, Fee.BudgetSet)
        now = lines(r)
        if n == 0:
            change = "年初编制"
        else:
            change = "；".join(
                f"{SPEND_TITLES[c]} {yuan(previous.get(c, 0))} → {yuan(now.get(c, 0))}"
                for c in SpendCategory if previous.get(c, 0) != now.get(c, 0)) or "金额未变"
            before = [o for o in over.values() if o.budget is history[n - 1]]
            if before:
                change += "（此前已有 " + "、".join(
                    f"{o.spend.body.spent_on} 一笔 {yuan(o.spend.body.amount_fen)}"  # type: ignore[attr-defined]
                    for o in before) + " 超出原预算）"
        decision = p.decisions.get(b.decision_id or "")
        rows.append([esc(day_of(r)), "原始预算" if n == 0 else f"第 {n} 次修订",
                     esc(yuan(sum(now.values()))), esc(change),
                     link(root, decision.record, f"{b.decision_id}：{decision.resolved.agenda_item}")
                     if decision else "—",
                     link(root, r, f"第 {r.index} 条")])
        previous = now
    return table(["日期", "版本", "预算合计", "变动", "授权决议", "记录"], rows)


# --- 决议 ------------------------------------------------------------------------------------


def decisions(p: Portal) -> Page:
    page = Page("decisions/index.md", "决议")
    root = page.root
    page.add(h(1, "会议与决议"))
    page.add("<p>每次会议的出席、表决和决议；每项决议授权了什么、实际用在了哪里，双向可查。</p>")
    for meeting in reversed(p.meetings.values()):
        held = meeting.held
        page.add(f"<h2>{link(root, meeting.record, held.title)}</h2>")
        page.add(f"<p>{esc(held.held_on)} · {esc(MEETING_TITLES[held.body])} · 应到 "
                 f"{held.attendance.eligible} 人，实到 {held.attendance.present} 人</p>")
        items = []
        for decision_id in meeting.decisions:
            d = p.decisions[decision_id]
            v = d.resolved.votes
            uses = "".join(f"<li>{link(root, u, title(p, u))}</li>" for u in d.uses)
            items.append(
                f"<li>{link(root, d.record, d.resolved.agenda_item)} "
                f"<span class=\"sl-badge{'' if d.resolved.passed else ' sl-badge-bad'}\">"
                f"{'通过' if d.resolved.passed else '未通过'}</span><br>"
                f"<span class=\"sl-meta\">赞成 {v.for_}，反对 {v.against}，弃权 {v.abstain}</span>"
                + (f"<ul>{uses}</ul>" if uses else "") + "</li>")
        page.add("<ul class=\"sl-list\">" + "".join(items) + "</ul>" if items else "<p>本次会议未形成决议。</p>")
    if not p.meetings:
        page.add("<p>暂无记录。</p>")
    return page


# --- 评议 ------------------------------------------------------------------------------------


def evaluations(p: Portal) -> Page:
    page = Page("evaluations/index.md", "评议")
    root = page.root
    page.add(h(1, "评议"))
    page.add("<p>居民对居委会、业委会、物业公司和民需项目的评议。只公开汇总结果，不公开个人选票；"
             "少于 5 人的分组不公开。</p>")
    trend: list[tuple[str, str, Share]] = []
    for rv in p.rounds.values():
        if rv.results is None:
            continue
        res = rv.results.body
        assert isinstance(res, Evaluation.ResultsRecorded)
        share = headline_share(res)
        if share is not None:
            trend.append((SUBJECT_TITLES[rv.opened.subject], res.closed_on, share))
    if trend:
        page.add(h(2, "历次满意率"))
        rows = [(f"{subject} {day}", [tenths_of_percent(s.good, s.respondents) or 0])
                for subject, day, s in trend]
        page.add(figure(bar_chart("历次评议满意率（满意＋基本满意）", rows, ["满意率"], fmt="percent"),
                        "各轮评议的满意率（满意＋基本满意），各组互不重叠时为全体参评人，"
                        "只有一组时为该组；分组有交叉的评议不合计，不在图中",
                        ["对象", "结束日期", "范围", "满意率"],
                        [[esc(subject), esc(day), esc(s.label), esc(percent(s.good, s.respondents))]
                         for subject, day, s in trend]))
    for rv in reversed(p.rounds.values()):
        o = rv.opened
        page.add(f"<h2>{link(root, rv.record, o.title)}</h2>")
        page.add(f"<p>对象：{esc(SUBJECT_TITLES[o.subject])} · 发起：{esc(o.opened_on)}</p>")
        if rv.results is not None:
            res = rv.results.body
            assert isinstance(res, Evaluation.ResultsRecorded)
            page.add(results_summary(res) + f"<p>{link(root, rv.results, '结果记录')}</p>")
            page.add(results_table(res))
        else:
            page.add("<p>结果尚未登记。</p>")
        if rv.consequence is not None:
            c = rv.consequence.body
            assert isinstance(c, Evaluation.ConsequenceRecorded)
            page.add(f"<p><strong>结果运用：</strong>{link(root, rv.consequence, '记录')}</p>"
                     + text_block(c.consequence))
    if not p.rounds:
        page.add("<p>暂无记录。</p>")
    return page


# --- 民需项目 --------------------------------------------------------------------------------


def projects(p: Portal) -> Page:
    page = Page("projects/index.md", "民需项目")
    root = page.root
    page.add(h(1, "民需项目"))
    page.add("<p>五步闭环：精准发现 → 分类汇总 → 统筹设计 → 联动实施 → 双向评估。</p>")
    for pv in reversed(p.projects.values()):
        page.add(f"<h2>{link(root, pv.record, pv.discovered.title)}</h2>")
        steps = []
        for step, step_zh in STEP_TITLES.items():
            r = pv.steps.get(step)
            steps.append(f'<li class="sl-step sl-step-done">✓ {link(root, r, step_zh)} '
                         f'<span class="sl-meta">{esc(day_of(r))}</span></li>' if r else
                         f'<li class="sl-step">○ {esc(step_zh)}</li>')
        page.add('<ol class="sl-steps">' + "".join(steps) + "</ol>")
        if pv.grants:
            page.add("<p>资助：" + "、".join(link(root, g, title(p, g)) for g in pv.grants) + "</p>")
        for round_id in pv.rounds:
            rv = p.rounds[round_id]
            page.add(f"<p>评议：{link(root, rv.record, rv.opened.title)}</p>")
    if not p.projects:
        page.add("<p>暂无记录。</p>")
    return page


# --- 审计 ------------------------------------------------------------------------------------


def tech_fold(html: str) -> str:
    """The page's one fold of technical details: for auditors, closed for residents (and left
    out of a printed page)."""
    return ('<details class="sl-tech sl-screen-only" data-pagefind-ignore><summary>技术细节</summary>'
            f"{html}</details>")


def audit(p: Portal, ctx: Context) -> Page:
    page = Page("audit/index.md", "审计与核验")
    root = page.root
    page.add(h(1, "审计与核验"))
    page.add(f"<p>本站公开的账本共 {ctx.checkpoint_size} 条记录。每条记录由经办人签名，记入后不能修改或删除；"
             "任何人都可以核验：全部记录没有被改动、没有遗漏、都由有权限的成员签名。</p>")
    page.add(h(2, "审计视图"))
    page.add(f'<p><a href="{root}audit/views/">审计视图</a>：公开是否及时、登记是否及时、资金使用和跟进落实中'
             "值得关注的情况，每一项都链接到相关记录。</p>")
    page.add(h(2, "在手机或电脑上核验"))
    page.add("<p>按下按钮，浏览器会下载本站的公开账本并逐条核对，不用安装任何软件。核对前，请把公开栏张贴的"
             "账本公钥与下面“技术细节”中的对照一致。职务、任期和各项业务规则（如余额不为负、拨款经过决议），"
             "请审计人员用技术细节中的命令完整核验。</p>")
    page.add(witness_block(ctx.checkpoint_note, ctx.origin, ctx.checkpoint_size, ctx.witnesses))
    rows = []
    for m in p.members.values():
        for k in m.keys:
            status = "有效"
            if k.retired_reason == "rotated":
                status = f"已更换（第 {k.retired_index} 条）"
            elif k.retired_reason == "revoked":
                status = f"已撤销（第 {k.retired_index} 条）"
            rows.append([esc(m.name), esc(ROLE_TITLES[m.role]),
                         esc(f"{m.term_start} 至 {m.term_end or '—'}"),
                         f"<code>{esc(k.key_id)}</code>",
                         f'<a href="{root}{record_path(k.added_index)}">第 {k.added_index} 条</a>',
                         esc(status)])
    page.add(h(2, "签署规则"))
    if p.policy and p.policy_record is not None:
        page.add(f'<p>自<a href="{root}{record_path(p.policy_record.index)}">第 '
                 f"{p.policy_record.index} 条</a>起，以下记录须多位成员共同签署（每位须为不同的在任成员）：</p>")
        page.add("<ul>" + "".join(f"<li>{esc(line)}</li>" for line in p.policy) + "</ul>")
    else:
        page.add("<p>本社区尚未设定签署规则：每条记录由一位有权限的成员签名即可。</p>")
    page.add(*late_objections(p, root))
    log_url = f"{ctx.base_url}log/"
    tech = [
        h(3, "账本公钥（日志验证公钥）"),
        '<label for="sl-verify-key">请与公开栏张贴的核对；也可以粘贴张贴的公钥</label>'
        f'<input id="sl-verify-key" name="key" value="{esc(ctx.verifier_key)}" autocomplete="off" '
        'spellcheck="false">',
        h(3, "最新检查点"),
        f"<p>日志名称 <code>{esc(ctx.origin)}</code>，共 {ctx.checkpoint_size} 条记录。</p>",
        f'<pre class="sl-pre">{esc(ctx.checkpoint_note)}</pre>',
        h(3, "见证"),
        witness_block(ctx.checkpoint_note, ctx.origin, ctx.checkpoint_size, ctx.witnesses, root),
        h(3, "成员与签名密钥"),
        table(["成员", "职务", "任期", "密钥 ID", "登记", "状态"], rows),
        h(3, "用命令行完整核验"),
        "<p>在装有阳光账本（Sunlight）的电脑上运行。请把输出中的日志公钥与上面的公钥以及公开栏张贴的对照。"
        "命令会下载检查点和日志分片，重算默克尔树根，逐条检查签名和规则，并明确报告哪一条不通过。</p>",
        f'<pre class="sl-pre">sunlight verify {esc(log_url)} \\&#10;  --key '
        f"&#39;{esc(ctx.verifier_key)}&#39;</pre>",
        "<p>定期核验时，每次都加上 <code>--trusted audit.ckpt --save-checkpoint audit.ckpt</code>："
        "核验通过后保存这次的检查点，下次核验就能发现日志是否被回滚或改写（分叉）。</p>",
        "<p>浏览器核验做的是：核对检查点上的日志签名，由全部记录重算默克尔树根并与检查点比对，再逐条核验"
        "成员签名（签名密钥须已在日志中登记，且未被更换或撤销）。</p>",
        h(3, "下载"),
        f'<ul><li><a href="{root}data/datapackage.json">开放数据包（datapackage.json，'
        "每类记录一个 CSV，附 SHA-256）</a></li>"
        f'<li><a href="{root}log/checkpoint">最新检查点（log/checkpoint）</a>，'
        "完整日志以 C2SP tlog-tiles 格式发布在 log/ 下</li></ul>",
    ]
    page.add(f'<form id="sl-verify" class="sl-verify" data-log="{root}log/">'
             '<button type="submit">开始核验</button>'
             '<div id="sl-verify-out" role="status" aria-live="polite"></div>'
             + tech_fold("".join(tech)) + "</form>")
    page.add(h(2, "下载公开数据"))
    page.add(f'<p><a href="{root}data/datapackage.json">全部记录的表格（开放数据包）</a>：每类记录一张表，'
             "可用电子表格软件打开。</p>")
    return page


def late_objections(p: Portal, root: str) -> list[str]:
    """The objections left unanswered for more than 15 working days (mainland holidays off), as
    of the day the log's last record was accepted: the site shows the log as of then."""
    out = [h(2, "逾期未答复的异议")]
    if not p.records:
        return [*out, "<p>暂无记录。</p>"]
    today = local_day(p.records[-1].accepted_at)
    rows = []
    unknown: list[str] = []  # not decidable: a year the holiday calendar does not cover yet
    for v in p.objections.values():
        if v.answer is not None:
            continue
        try:
            late = overdue(v.raised.raised_on, today)
        except CalendarNotCovered as exc:
            unknown.append(f"<li>{link(root, v.record, f'第 {v.record.index} 条')}：{esc(exc.message)}</li>")
            continue
        if not late:
            continue
        raised_on = date.fromisoformat(v.raised.raised_on)
        concerns = v.raised.proposal_id and f"待签提议 {esc(v.raised.proposal_id)}"
        if v.raised.log_index is not None and v.raised.log_index < len(p.records):
            target = p.records[v.raised.log_index]
            concerns = link(root, target, f"第 {target.index} 条：{title(p, target)}")
        rows.append([link(root, v.record, f"第 {v.record.index} 条"), concerns or "",
                     esc(v.raised.reason),
                     f"{esc(v.record.signer.name)}（{esc(v.record.signer.role_zh)}）",
                     esc(v.raised.raised_on), esc(add_workdays(raised_on, ANSWER_WITHIN).isoformat()),
                     str(workdays_between(raised_on, today))])
    out.append(f"<p>成员对记录提出的异议，应在提出后 {ANSWER_WITHIN} 个工作日内（按国家法定节假日和调休安排计算）"
               f"由主任或该记录的登记人答复。截至 {today:%Y 年 %m 月 %d 日}（账本最后一条记录入账之日）：</p>")
    if unknown:
        out.append("<p>以下未答复的异议无法按工作日判断是否逾期：</p><ul>" + "".join(unknown) + "</ul>")
    if not rows:
        return [*out, "<p>没有逾期未答复的异议。</p>"]
    return [*out, table(["异议", "所涉记录", "异议理由", "提出人", "提出日期", "答复期限", "已过工作日"], rows)]


# --- 全部记录 --------------------------------------------------------------------------------


def all_records(p: Portal) -> list[Page]:
    index = Page("records/index.md", "全部记录")
    index.add(h(1, "全部记录"))
    index.add("<p>日志中的每一条记录，按签名月份排列。每条记录都有自己的永久页面。</p>")
    by_month: dict[str, list[Record]] = {}
    for r in p.records:
        by_month.setdefault(local_month(r.at), []).append(r)
    index.add(table(["月份", "条数"], [[f'<a href="{m}/">{esc(m)}</a>', str(len(rs))]
                                    for m, rs in sorted(by_month.items(), reverse=True)]))
    pages = [index]
    for month, records in by_month.items():
        page = Page(f"records/{month}.md", f"全部记录：{month}")
        page.add(h(1, f"全部记录：{month}"))
        page.add(record_list(p, reversed(records), page.root))
        pages.append(page)
    return pages


def search(ctx: Context) -> Page:
    page = Page("search/index.md", "搜索")
    page.add(h(1, "搜索"))
    page.add("<p>输入关键词，如“电梯”“捐赠”“保洁”。搜索索引按需分块加载，不会一次下载整站数据。</p>")
    if not ctx.search_bundles:
        page.add("<p>本站未生成搜索索引。</p>")
        return page
    first, *rest = ctx.search_bundles
    options = {"element": "#sl-search", "bundlePath": f"../pagefind/{first}/",
               "showImages": False, "showSubResults": False,
               "mergeIndex": [{"bundlePath": f"../pagefind/{b}/"} for b in rest],
               "translations": {"placeholder": "搜索公开记录",
                                "zero_results": "没有找到与“[SEARCH_TERM]”相关的记录"}}
    page.add(f'<link href="../pagefind/{first}/pagefind-ui.css" rel="stylesheet">'
             '<div id="sl-search"></div>'
             f'<script src="../pagefind/{first}/pagefind-ui.js"></script>'
             # URLs in the index are site-relative: resolve them against wherever the site is
             "<script>window.addEventListener('DOMContentLoaded',function(){"
             f"var o={json.dumps(options, ensure_ascii=False)};"
             "function abs(u){return new URL(u,location.href).pathname;}"
             "o.baseUrl=abs('../');o.bundlePath=abs(o.bundlePath);"
             "o.mergeIndex.forEach(function(m){m.baseUrl=o.baseUrl;"
             "m.bundlePath=abs(m.bundlePath);});"
             "new PagefindUI(o);"
             # the box Pagefind draws has a title but no label: give it one once drawn
             "var box=document.getElementById('sl-search');function label(){"
             "var i=box.querySelector('input');"
             "if(i&&!i.hasAttribute('aria-label'))i.setAttribute('aria-label','搜索公开记录');}"
             "label();new MutationObserver(label).observe(box,{childList:true,subtree:true});"
             "});</script>")
    return page


__all__ = ["PAGE_SLOT", "Context", "Page", "build_pages", "local_time", "write_markdown"]

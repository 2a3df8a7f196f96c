"""The district's pages: the communities side by side, for one year (the business year of the
latest record in any community), in the community portal's words, charts and number formats.

Each page is a :class:`publisher.pages.Page` (MkDocs renders its shell, the publisher fills
it). Every figure links to the community's own portal (``<community>/``) or to the record it
comes from (``<community>/r/<index>/``). The figures come from the communities' summaries
(:mod:`publisher.summary`), never from a second reading of the logs.
"""

from __future__ import annotations

from collections.abc import Callable

from ledger.domain.evaluation import SUBJECT_TITLES, Subject
from ledger.domain.project import STEP_TITLES
from publisher.charts import bar_chart, figure, table_html
from publisher.describe import record_path
from publisher.fmt import esc, percent, percent_tenths, tenths_of_percent, yuan
from publisher.pages import Page, h
from publisher.rollup import Standing, standings
from publisher.summary import Summary

# The district's own sections (top-level folders of the site): no community may be named so.
SECTIONS = ("evaluations", "funds", "fees", "projects", "disclosures", "objections")
RESERVED = frozenset({*SECTIONS, "assets", "data", "search", "pagefind", "log", "r"})
# A chart draws one bar group per community up to this many; past it the table alone says it.
CHART_MAX = 40
# Sections that other work adds (disclosure timeliness from the audit rules, objections and
# their answers): each is a function of the summaries and the year, returning a page.
EXTRA_SECTIONS: list[tuple[str, str, Callable[[list[Summary], int], Page]]] = []


def nav() -> list[dict[str, str]]:
    """MkDocs' navigation of the district site."""
    return [{"街道首页": "index.md"}, {"评议汇总": "evaluations/index.md"},
            {"微基金": "funds/index.md"}, {"物业费": "fees/index.md"},
            {"民需项目": "projects/index.md"}, {"居务公开": "disclosures/index.md"},
            {"异议与答复": "objections/index.md"},
            *({title: f"{path}/index.md"} for path, title, _ in EXTRA_SECTIONS)]


def district_pages(name: str, summaries: list[Summary], year: int) -> list[Page]:
    ordered = sorted(summaries, key=lambda s: s["id"])
    return [home(name, ordered, year), evaluations(ordered, year), funds(ordered, year),
            fees(ordered, year), projects(ordered, year), disclosures(ordered, year),
            objections(ordered, year),
            *(make(ordered, year) for _, _, make in EXTRA_SECTIONS)]


def _community(root: str, s: Summary, section: str = "") -> str:
    """The community's name, linked to its portal (or to ``section/`` of it)."""
    return f'<a href="{root}{esc(s["id"])}/{section}">{esc(s["name"])}</a>'


def _record(root: str, community_id: str, index: int, text: str) -> str:
    return f'<a href="{root}{esc(community_id)}/{record_path(index)}">{esc(text)}</a>'


def _chart(title: str, rows: list[tuple[str, list[int]]], series: list[str], fmt: str,
           caption: str, header: list[str], cells: list[list[str]]) -> str:
    if len(rows) > CHART_MAX or not rows:
        return (f"<p>{esc(caption)}（社区较多，只列表格）：</p>" if rows else "") + \
            table_html(header, cells)
    return figure(bar_chart(title, rows, series, fmt=fmt), caption, header, cells)


# --- home -----------------------------------------------------------------------------------


def home(name: str, summaries: list[Summary], year: int) -> Page:
    page = Page("index.md", "街道首页")
    root = page.root
    page.add(f"<h1>{esc(name)}</h1>")
    page.add(f"<p>本街道共 {len(summaries)} 个社区在阳光账本公开账目。下面把各社区 {year} 年的评议结果、"
             "微基金、物业费、民需项目和居务公开放在一起比较；点社区名称进入该社区的门户，"
             "每个数字都能查到它来自哪条签名记录。</p>")
    links = [("evaluations/", "评议汇总：各社区满意率排名与结果运用"),
             ("funds/", "微基金：各社区捐赠与拨付"), ("fees/", "物业费：各社区预算执行"),
             ("projects/", "民需项目：各社区项目进展到哪一步"), ("disclosures/", "居务公开：各社区公开条数与及时性"),
             ("objections/", "异议与答复：各社区收到的异议答复了没有"),
             *((f"{path}/", title) for path, title, _ in EXTRA_SECTIONS)]
    page.add('<ul class="sl-list">' + "".join(f'<li><a href="{root}{href}">{esc(text)}</a></li>'
                                              for href, text in links) + "</ul>")
    page.add(h(2, "各社区"))
    rows = []
    for s in summaries:
        f = s["funds"]["years"].get(str(year), {})
        fee = s["fees"].get(str(year), {})
        rows.append([_community(root, s), f"{s['records']:,}",
                     esc(yuan(f.get("donations", 0))),
                     esc(percent(fee.get("spent", 0), fee.get("budget", 0))),
                     f'<a href="{root}{esc(s["id"])}/data/datapackage.json">开放数据</a>'])
    page.add(table_html(["社区", "记录条数", f"{year} 年捐赠", f"{year} 年物业费预算执行率", "数据"],
                        rows))
    page.add(h(2, "下载公开数据"))
    page.add(f'<p><a href="{root}data/datapackage.json">全街道比较表（开放数据包）</a>：'
             "评议汇总、微基金、物业费、民需项目、居务公开，每张表一个 CSV 文件，可用电子表格软件打开；"
             "各社区的全部记录见各社区的开放数据。</p>")
    return page


# --- 评议汇总 --------------------------------------------------------------------------------


def evaluations(summaries: list[Summary], year: int) -> Page:
    page = Page("evaluations/index.md", "评议汇总")
    root = page.root
    page.add(h(1, f"{year} 年评议汇总"))
    page.add("<p>居民对居委会、业委会、物业公司和民需项目的评议结果在街道汇总：每个社区本年度各轮评议的"
             "满意率（满意＋基本满意占参评人数，几轮合计时按人次相加），按满意率排名，并列出各社区登记的"
             "结果运用（与社区运行经费、绩效工资挂钩）。分组有交叉的评议不能合计，列出但不计入排名。</p>")
    for subject in Subject:
        ranked = standings(summaries, year, subject)
        title = SUBJECT_TITLES[subject]
        page.add(h(2, f"{title}评议"))
        if not ranked:
            page.add(f"<p>{year} 年没有社区登记{title}评议结果。</p>")
            continue
        shown = [st for st in ranked if st.tenths is not None]
        page.add(_chart(f"{year} 年{title}评议满意率", [(st.name, [st.tenths or 0]) for st in shown],
                        ["满意率"], "percent", f"各社区{title}评议满意率（满意＋基本满意），按排名",
                        ["排名", "社区", "满意率", "参评人次"],
                        [[str(st.rank), esc(st.name), esc(percent_tenths(st.tenths)),
                          f"{st.respondents:,}"] for st in shown]))
        page.add(table_html(["排名", "社区", "各轮评议", "全年满意率", "结果运用"],
                            [_standing_row(root, st) for st in ranked]))
        missing = sum(len(st.missing_consequences) for st in ranked)
        if missing:
            page.add(f'<p class="sl-banner sl-banner-bad">{missing} 轮{title}评议尚未登记结果运用。</p>')
        none = [s for s in summaries if s["id"] not in {st.community_id for st in ranked}]
        if none:
            page.add(f"<p>{year} 年未登记{title}评议结果的社区：" +
                     "、".join(_community(root, s) for s in none) + "。</p>")
    return page


def _standing_row(root: str, st: Standing) -> list[str]:
    rounds = "<br>".join(
        _record(root, st.community_id, r["index"], r["title"]) + "："
        + (esc(percent(r["good"], r["respondents"])) + f"（{esc(r['scope'])} {r['respondents']} 人）"
           if r["respondents"] is not None else "分组有交叉，不合计")
        for r in st.rounds)
    uses = "".join(
        f"<p>{_record(root, st.community_id, r['consequence']['index'], r['title'])}："
        f"{esc(r['consequence']['text'])}</p>"
        if r["consequence"] is not None else
        f'<p>{esc(r["title"])}：<span class="sl-badge sl-badge-bad">尚未登记结果运用</span></p>'
        for r in st.rounds)
    return [str(st.rank) if st.rank is not None else "不排名",
            f'<a href="{root}{esc(st.community_id)}/evaluations/">{esc(st.name)}</a>', rounds,
            esc(percent_tenths(st.tenths)) + (f"（{st.respondents:,} 人次）" if st.respondents
                                               else ""), uses]


# --- 微基金 ----------------------------------------------------------------------------------


def funds(summaries: list[Summary], year: int) -> Page:
    page = Page("funds/index.md", "微基金")
    root = page.root
    page.add(h(1, f"{year} 年各社区微基金"))
    page.add("<p>各社区微基金本年度收到的捐赠、拨付给社区项目的资助，以及目前的余额。</p>")
    data = [(s, s["funds"]["years"].get(str(year), {})) for s in summaries]
    page.add(_chart(f"{year} 年各社区捐赠与拨付",
                    [(s["name"], [y.get("donations", 0), y.get("grants", 0)]) for s, y in data],
                    ["捐赠", "拨付"], "yuan", "各社区本年度捐赠与拨付（元）",
                    ["社区", "捐赠", "拨付"],
                    [[esc(s["name"]), esc(yuan(y.get("donations", 0))), esc(yuan(y.get("grants", 0)))]
                     for s, y in data]))
    page.add(table_html(
        ["社区", "基金数", "捐赠笔数", "捐赠金额", "拨付笔数", "拨付金额", "现有余额"],
        [[_community(root, s, "funds/"),
          str(s["funds"]["count"]), str(y.get("donation_count", 0)),
          esc(yuan(y.get("donations", 0))), str(y.get("grant_count", 0)),
          esc(yuan(y.get("grants", 0))), esc(yuan(s["funds"]["balance"]))] for s, y in data]))
    total_d = sum(y.get("donations", 0) for _, y in data)
    total_g = sum(y.get("grants", 0) for _, y in data)
    page.add(f"<p>全街道本年度共收到捐赠 {esc(yuan(total_d))}，拨付 {esc(yuan(total_g))}。</p>")
    return page


# --- 物业费 ----------------------------------------------------------------------------------


def fees(summaries: list[Summary], year: int) -> Page:
    page = Page("fees/index.md", "物业费")
    root = page.root
    page.add(h(1, f"{year} 年各社区物业费预算执行"))
    page.add("<p>各社区所辖小区本年度物业费预算（年初编制的和修订后的）与实际支出、收入，以及超出当时预算的"
             "支出笔数。执行率＝实际支出÷现行预算。</p>")
    data = [(s, s["fees"].get(str(year), {})) for s in summaries]
    page.add(_chart(f"{year} 年各社区物业费预算执行率",
                    [(s["name"], [tenths_of_percent(y.get("spent", 0), y.get("budget", 0)) or 0])
                     for s, y in data], ["执行率"], "percent", "各社区物业费预算执行率",
                    ["社区", "执行率"],
                    [[esc(s["name"]), esc(percent(y.get("spent", 0), y.get("budget", 0)))]
                     for s, y in data]))
    page.add(table_html(
        ["社区", "原始预算", "现行预算", "实际支出", "执行率", "收入", "预算修订", "超预算支出"],
        [[_community(root, s, "fees/"),
          esc(yuan(y.get("original", 0))), esc(yuan(y.get("budget", 0))),
          esc(yuan(y.get("spent", 0))), esc(percent(y.get("spent", 0), y.get("budget", 0))),
          esc(yuan(y.get("income", 0))), f"{y.get('revisions', 0)} 次",
          (f'<span class="sl-badge sl-badge-bad">{y["overruns"]} 笔</span>'
           if y.get("overruns") else "无")] for s, y in data]))
    return page


# --- 民需项目 --------------------------------------------------------------------------------


def projects(summaries: list[Summary], year: int) -> Page:
    page = Page("projects/index.md", "民需项目")
    root = page.root
    page.add(h(1, "各社区民需项目进展"))
    page.add("<p>民需项目五步闭环：精准发现 → 分类汇总 → 统筹设计 → 联动实施 → 双向评估。下表是各社区的项目"
             "目前走到了哪一步（每个项目只计入它最近完成的一步）。</p>")
    steps = list(STEP_TITLES)
    counts = {s["id"]: {step: 0 for step in steps} for s in summaries}
    for s in summaries:
        for pr in s["projects"]:
            counts[s["id"]][pr["step"]] += 1
    totals = [sum(counts[s["id"]][step] for s in summaries) for step in steps]
    page.add(figure(bar_chart("全街道民需项目按步骤", [(STEP_TITLES[st], [n]) for st, n in
                                                zip(steps, totals, strict=True)], ["项目数"],
                              fmt="count"),
                    "全街道民需项目按目前所处步骤", ["步骤", "项目数"],
                    [[esc(STEP_TITLES[st]), str(n)] for st, n in zip(steps, totals, strict=True)]))
    page.add(table_html(
        ["社区", *STEP_TITLES.values(), "合计"],
        [[_community(root, s, "projects/"),
          *(str(counts[s["id"]][st]) for st in steps), str(len(s["projects"]))]
         for s in summaries]))
    open_ = [(s, pr) for s in summaries for pr in s["projects"] if pr["step"] != "evaluated"]
    if open_:
        page.add(h(2, "尚未完成双向评估的项目"))
        page.add('<ul class="sl-list">' + "".join(
            f"<li>{_record(root, s['id'], pr['index'], pr['title'])}<br>"
            f'<span class="sl-meta">{esc(s["name"])} · 目前：{esc(STEP_TITLES[pr["step"]])}</span></li>'
            for s, pr in open_) + "</ul>")
    return page


# --- 居务公开 --------------------------------------------------------------------------------


def disclosures(summaries: list[Summary], year: int) -> Page:
    page = Page("disclosures/index.md", "居务公开")
    root = page.root
    page.add(h(1, f"{year} 年各社区居务公开"))
    page.add("<p>各社区本年度公开的事项条数（重大事项决策及执行、专项资金使用、工作事项准入清单、协商结果等）。"
             "点社区名称查看每一条公开的内容。</p>")
    rows = [(s, s["disclosures"].get(str(year), 0)) for s in summaries]
    page.add(_chart(f"{year} 年各社区居务公开条数", [(s["name"], [n]) for s, n in rows], ["条数"],
                    "count", "各社区本年度居务公开条数", ["社区", "条数"],
                    [[_community(root, s, "disclosures/"), str(n)]
                     for s, n in rows]))
    page.add(h(2, "公开是否及时"))
    page.add("<p>按各社区的公开目录（未设定时用默认目录）核查：应在期限内公开的事项，晚于期限公开的和到期仍未公开的"
             "各有几项。每一项的说明和所涉记录见该社区的审计视图。</p>")
    page.add(table_html(["社区", "公开晚于期限", "应公开而未公开", "明细"], [
        [esc(s["name"]), str(t.get("disclosure-late", 0)), str(t.get("disclosure-missing", 0)),
         f'<a href="{root}{esc(s["id"])}/audit/views/disclosure/">审计视图</a>']
        for s in summaries for t in [s.get("timeliness", {}).get(str(year), {})]]))
    return page


# --- 异议与答复 ------------------------------------------------------------------------------


def objections(summaries: list[Summary], year: int) -> Page:
    page = Page("objections/index.md", "异议与答复")
    root = page.root
    page.add(h(1, f"{year} 年各社区异议与答复"))
    page.add("<p>居务监督委员会或居民对已公开记录（或待签提议）提出的异议，以及社区的答复。"
             "点异议查看理由和答复原文。</p>")
    rows = []
    for s in summaries:
        raised = [o for o in s.get("objections", []) if o["year"] == year]
        answered = [o for o in raised if o["answer_index"] is not None]
        waiting = [o for o in raised if o["answer_index"] is None]
        rows.append([
            _community(root, s), str(len(raised)),
            str(len(answered)),
            "、".join(_record(root, s["id"], o["index"], f"{o['raised_on']} 提出") for o in waiting)
            if waiting else "无"])
    page.add(table_html(["社区", "收到异议", "已答复", "尚未答复"], rows))
    return page


__all__ = ["CHART_MAX", "EXTRA_SECTIONS", "RESERVED", "SECTIONS", "district_pages", "nav",
           "objections"]

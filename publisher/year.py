"""本年账目一览: the home page's answer to "what happened to our money this year".

For the current year (the business year of the latest record), in plain sentences and a few
figures: each fund's donations, grants and balance (this year and since it was opened), each
estate's fee budget (original and revised) against what was spent, the decisions taken, the
evaluation results with their consequence, and the needs projects still in progress. Every
figure links to the page or record it comes from. Amounts and shares go through
:mod:`publisher.fmt`; labels come from the kinds registry.

Also the donor's receipt lookup: :func:`receipts` is the small table (receipt number -> record
pages) the home page's form fetches when a donor asks, never before.
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from ledger.domain.decision import Decision
from ledger.domain.evaluation import Evaluation
from ledger.domain.fee import Fee
from ledger.domain.fund import Fund
from ledger.domain.kinds import label_of
from ledger.domain.project import STEP_TITLES
from publisher.budgets import lines, overruns
from publisher.describe import record_path
from publisher.fmt import esc, percent, yuan
from publisher.readmodel import DecisionView, EstateView, FundView, Portal, RoundView, day_of
from publisher.records import Record
from publisher.results import headline_share

NOTABLE = 8  # decisions listed by name; the rest are on the 决议 page
RECEIPTS = "data/receipts.json"  # the receipt lookup's table, relative to the site root


def current_year(p: Portal) -> int:
    """The year of the latest record's business day (the demo's is 2025)."""
    return int(day_of(p.records[-1])[:4]) if p.records else 2000


def _in(r: Record, year: int) -> bool:
    return day_of(r).startswith(f"{year}-")


def _amount(r: Record) -> int:
    amount: int = r.body.amount_fen  # type: ignore[attr-defined]
    return amount


def _a(href: str, text: str) -> str:
    return f'<a class="sl-figure-link" href="{href}">{esc(text)}</a>'


def _day_zh(day: str) -> str:
    """``2025-09-02`` -> ``2025 年 9 月 2 日``."""
    y, m, d = day.split("-")
    return f"{y} 年 {int(m)} 月 {int(d)} 日"


# --- the figures ------------------------------------------------------------------------------


@dataclass(frozen=True)
class FundYear:
    fund: FundView
    donated: int  # this year
    donations: int  # how many this year
    granted: int
    grants: int
    donated_total: int  # since the fund was opened
    granted_total: int
    year: int

    @property
    def balance(self) -> int:
        return self.fund.balance

    @property
    def opened_this_year(self) -> bool:
        """Opened in the year shown: its totals to date are this year's."""
        return self.fund.opened.opened_on.startswith(f"{self.year}-")


def fund_year(fund: FundView, year: int) -> FundYear:
    donations = [d for d in fund.donations if _in(d, year)]
    grants = [g for g in fund.grants if _in(g, year)]
    return FundYear(fund, sum(map(_amount, donations)), len(donations),
                    sum(map(_amount, grants)), len(grants),
                    sum(map(_amount, fund.donations)), sum(map(_amount, fund.grants)), year)


@dataclass(frozen=True)
class FeeYear:
    estate: EstateView
    history: list[Record]  # the year's budget: the original, then each revision
    spent: int
    income: int
    over: list[Record]  # spends that went over the budget in force at the time

    @property
    def original(self) -> int | None:
        return sum(lines(self.history[0]).values()) if self.history else None

    @property
    def budget(self) -> int | None:
        return sum(lines(self.history[-1]).values()) if self.history else None


def fee_year(estate: EstateView, year: int) -> FeeYear:
    over = overruns(estate, year)
    return FeeYear(estate, list(estate.budget_history.get(year, [])),
                   sum(_amount(r) for r in estate.spends if _in(r, year)),
                   sum(_amount(r) for r in estate.incomes if _in(r, year)),
                   [o.spend for o in over.values()])


def decisions_of(p: Portal, year: int) -> list[DecisionView]:
    """The decisions of meetings held in ``year``, in log order."""
    return [d for d in p.decisions.values()
            if p.meetings[d.resolved.meeting_id].held.held_on.startswith(f"{year}-")]


def rounds_of(p: Portal, year: int) -> list[RoundView]:
    """The evaluation rounds whose results were recorded for ``year`` (closed in it)."""
    return [rv for rv in p.rounds.values() if rv.results is not None and _in(rv.results, year)]


def in_progress(p: Portal) -> list[tuple[str, str, Record]]:
    """Needs projects not yet through their last step: (title, last step done, its record)."""
    out = []
    steps = list(STEP_TITLES)
    for pv in p.projects.values():
        done = [s for s in steps if s in pv.steps]
        if done[-1] != steps[-1]:
            out.append((pv.discovered.title, done[-1], pv.steps[done[-1]]))
    return out


# --- the page part ----------------------------------------------------------------------------


def overview(p: Portal, root: str) -> str:
    """The 本年账目一览 section of the home page (HTML, every recorded value escaped)."""
    year = current_year(p)
    funds = [fund_year(f, year) for f in p.funds.values()]
    fees = [fee_year(e, year) for e in p.estates.values()]
    parts = [f'<section class="sl-year" aria-labelledby="sl-year-h"><h2 id="sl-year-h">'
             f"{year} 年账目一览</h2>"]
    cards = [(f"{year} 年微基金收到捐赠", yuan(sum(f.donated for f in funds)), "funds/"),
             (f"{year} 年微基金拨付", yuan(sum(f.granted for f in funds)), "funds/"),
             ("微基金现有余额", yuan(sum(f.balance for f in funds)), "funds/"),
             (f"{year} 年物业费支出", yuan(sum(f.spent for f in fees)), "fees/")]
    parts.append('<div class="sl-cards">' + "".join(
        f'<a class="sl-card" href="{root}{href}"><span class="sl-card-label">{esc(label)}</span>'
        f'<span class="sl-card-value">{esc(value)}</span></a>' for label, value, href in cards)
        + "</div>")
    parts.append(_funds(funds, year, root))
    parts.append(_receipt_form(root))
    parts.append(_fees(p, fees, year, root))
    parts.append(_decisions(decisions_of(p, year), year, root))
    parts.append(_rounds(rounds_of(p, year), year, root))
    parts.append(_projects(in_progress(p), root))
    parts.append("</section>")
    return "".join(parts)


def _funds(funds: list[FundYear], year: int, root: str) -> str:
    out = ["<h3>微基金：收到多少，拨出多少</h3>"]
    if not funds:
        return out[0] + "<p>本社区尚未设立微基金。</p>"
    items = []
    for f in funds:
        href = f"{root}funds/{esc(f.fund.opened.fund_id)}/"
        items.append(
            f"<li><strong>{esc(f.fund.opened.name)}</strong>：{year} 年收到捐赠 {f.donations} 笔，"
            f"共 {_a(href, yuan(f.donated))}；拨付 {f.grants} 笔，共 {_a(href, yuan(f.granted))}。"
            + (f"本基金于 {year} 年设立，" if f.opened_this_year else
               f"设立以来累计收到 {_a(href, yuan(f.donated_total))}，累计拨付 "
               f"{_a(href, yuan(f.granted_total))}，")
            + f"现有余额 {_a(href, yuan(f.balance))}。</li>")
    return out[0] + '<ul class="sl-year-list">' + "".join(items) + "</ul>"


def _receipt_form(root: str) -> str:
    """A donor's question, "is my gift recorded?": the receipt number leads to the donation's
    record page, whose own check then runs (the script is the home page's, in
    site/overrides/main.html). Without scripts the form opens the fund pages, which list every
    receipt number."""
    return (f'<form id="sl-lookup" class="sl-lookup" data-table="{root}{RECEIPTS}" '
            f'data-root="{root}" action="{root}funds/">'
            '<label for="sl-lookup-no">查我的捐赠：输入捐赠收据上的收据号</label>'
            '<div class="sl-lookup-row"><input id="sl-lookup-no" name="no" autocomplete="off" '
            'spellcheck="false" required><button type="submit">查询</button></div>'
            '<p id="sl-lookup-out" role="status" aria-live="polite"></p></form>')




def _fees(p: Portal, fees: list[FeeYear], year: int, root: str) -> str:
    head = "<h3>物业费：支出是否在预算内</h3>"
    items = []
    for f in fees:
        if not f.history and not f.spent and not f.income:
            continue
        e = f.estate.estate
        href = f"{root}fees/{esc(e.estate_id)}-{year}/"
        said = [f"<strong>{esc(e.name)}</strong>："]
        if f.original is None or f.budget is None:
            said.append(f"{year} 年没有登记预算；")
        else:
            said.append(f"{year} 年年初预算 {_a(href, yuan(f.original))}")
            for n, r in enumerate(f.history[1:], start=1):
                assert isinstance(r.body, Fee.BudgetSet)
                decision = p.decisions.get(r.body.decision_id or "")
                why = (f"依据决议“{_a(root + record_path(decision.record.index), decision.resolved.agenda_item)}”"
                       if decision else "")
                said.append(f"，{esc(_day_zh(day_of(r)))}{why}第 {n} 次修订为 "
                            f"{_a(root + record_path(r.index), yuan(sum(lines(r).values())))}")
            said.append("；")
        said.append(f"实际支出 {_a(href, yuan(f.spent))}")
        if f.budget:
            said.append(f"，是现行预算的 {esc(percent(f.spent, f.budget))}")
        said.append("。")
        if f.over:
            said.append(f'<span class="sl-badge sl-badge-bad">有 {len(f.over)} 笔支出超出当时的预算</span>'
                        "：" + "、".join(
                            _a(root + record_path(r.index),
                               f"{_day_zh(day_of(r))} {yuan(_amount(r))}") for r in f.over)
                        + "。")
        elif f.history:
            said.append("每笔支出都在当时有效的预算内。")
        items.append("<li>" + "".join(said) + "</li>")
    if not items:
        return head + f"<p>{year} 年没有物业费记录。</p>"
    return head + '<ul class="sl-year-list">' + "".join(items) + "</ul>"


def _decisions(decisions: list[DecisionView], year: int, root: str) -> str:
    head = "<h3>决定了什么</h3>"
    if not decisions:
        return head + f"<p>{year} 年没有形成决议。</p>"
    passed = [d for d in decisions if d.resolved.passed]
    yes = label_of("decision.resolved", "passed", True) or ""
    no = label_of("decision.resolved", "passed", False) or ""
    notable = [d for d in decisions if d.resolved.authorises or not d.resolved.passed]
    said = (f"<p>{year} 年共形成决议 {_a(root + 'decisions/', f'{len(decisions)} 项')}，"
            f"其中{esc(yes)} {len(passed)} 项、{esc(no)} {len(decisions) - len(passed)} 项。")
    if not notable:
        return head + said + "</p>"
    said += "动用资金、修订预算或未通过的决议：</p>"
    shown = notable[-NOTABLE:]
    items = "".join(
        f"<li>{_a(root + record_path(d.record.index), d.resolved.agenda_item)}"
        f"<span class=\"sl-badge{'' if d.resolved.passed else ' sl-badge-bad'}\">"
        f"{esc(yes if d.resolved.passed else no)}</span><br>"
        f'<span class="sl-meta">{esc(_resolution(d.resolved))}</span></li>'
        for d in reversed(shown))
    more = (f"<p>另有 {len(notable) - len(shown)} 项较早的，见"
            f"{_a(root + 'decisions/', '决议栏目')}。</p>" if len(notable) > len(shown) else "")
    return head + said + f'<ul class="sl-list">{items}</ul>' + more


def _resolution(resolved: Decision.Resolved) -> str:
    return resolved.resolution.replace("\n", " ")


def _rounds(rounds: list[RoundView], year: int, root: str) -> str:
    head = "<h3>评议结果和结果运用</h3>"
    if not rounds:
        return head + f"<p>{year} 年没有登记评议结果。</p>"
    items = []
    for rv in reversed(rounds):
        assert rv.results is not None
        res = rv.results.body
        assert isinstance(res, Evaluation.ResultsRecorded)
        share = headline_share(res)
        figure = (f"{share.label}满意率 {percent(share.good, share.respondents)}" if share
                  else "分组有交叉，不合计，请看各组结果")
        line = (f"<li><strong>{esc(rv.opened.title)}</strong>："
                f"{_a(root + record_path(rv.results.index), figure)}。")
        if rv.consequence is not None:
            c = rv.consequence.body
            assert isinstance(c, Evaluation.ConsequenceRecorded)
            line += (f"结果运用（{_a(root + record_path(rv.consequence.index), '记录')}）："
                     + "<br>".join(esc(part) for part in c.consequence.splitlines()))
        else:
            line += '<span class="sl-badge">尚未登记结果运用</span>'
        items.append(line + "</li>")
    return head + '<ul class="sl-year-list">' + "".join(items) + "</ul>"


def _projects(projects: list[tuple[str, str, Record]], root: str) -> str:
    head = "<h3>正在进行的民需项目</h3>"
    if not projects:
        return head + "<p>没有正在进行的民需项目。</p>"
    steps = list(STEP_TITLES)
    items = "".join(
        f"<li><strong>{esc(t)}</strong>：已完成“"
        f"{_a(root + record_path(r.index), STEP_TITLES[step])}”"
        f"（{esc(_day_zh(day_of(r)))}），下一步“{esc(STEP_TITLES[steps[steps.index(step) + 1]])}”。</li>"
        for t, step, r in projects)
    return head + '<ul class="sl-year-list">' + items + "</ul>"


# --- the donor lookup's table ----------------------------------------------------------------


def receipt_key(receipt_no: str) -> str:
    """A receipt number as the lookup compares it: full-width forms folded, spaces dropped,
    upper case (the form does the same in the browser)."""
    return "".join(unicodedata.normalize("NFKC", receipt_no).split()).upper()


def receipts(records: Iterable[Record]) -> bytes:
    """``{receipt number: [log index, ...]}`` of every donation: the receipt numbers are public
    on the fund pages already."""
    table: dict[str, list[int]] = {}
    for r in records:
        if isinstance(r.body, Fund.DonationRecorded):
            table.setdefault(receipt_key(r.body.receipt_no), []).append(r.index)
    return json.dumps(table, ensure_ascii=False, sort_keys=True,
                      separators=(",", ":")).encode("utf-8")


__all__ = ["RECEIPTS", "FeeYear", "FundYear", "current_year", "decisions_of", "fee_year",
           "fund_year", "in_progress", "overview", "receipt_key", "receipts", "rounds_of"]

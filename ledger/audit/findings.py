"""The audit views (审计视图): findings as projections of a community's replayed log.

Pure: statements in log order (as :func:`ledger.replay.decode` gives them, or as the publisher's
records carry them), a day to audit as of, findings out -- no storage, no clock. Each finding
names its rule, says in one Chinese sentence what was found, the period it belongs to, and the
log indexes of the records it concerns.

A rule is one function registered with :func:`rule`: it reads the prepared :class:`Log` and
yields findings. A finding is something worth a look, not a verdict: a spend just under a
threshold may be an ordinary bill; the sentence says what was seen and the records say the rest.
What must be disclosed by when, and the thresholds, are the community's disclosure catalogue
(:mod:`ledger.domain.catalogue`, ``community.disclosure_catalogue_set``) or its defaults.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from statistics import median

from ledger.domain.catalogue import Cadence
from ledger.domain.common import Body
from ledger.domain.community import Catalogue
from ledger.domain.dates import date_fields
from ledger.domain.decision import Decision, fmt_yuan
from ledger.domain.disclosure import Disclosure
from ledger.domain.evaluation import Evaluation
from ledger.domain.fee import SPEND_TITLES, Fee
from ledger.domain.fund import GENERAL, Fund
from ledger.domain.kinds import BODY_TYPES, KINDS
from ledger.domain.oversight import ANSWER_WITHIN
from ledger.domain.project import STEP_DAYS, STEP_TITLES, STEPS, Project
from ledger.domain.state import CommunityState, Signed, local_day
from ledger.domain.workdays import CalendarNotCovered, add_workdays
from ledger.replay import decode

SECTIONS = {
    "disclosure": "公开是否及时",
    "recording": "登记是否及时",
    "money": "资金",
    "follow-through": "跟进落实",
}

NEAR = 5  # per cent: a spend this close under a threshold is listed
WEEK = 7  # days: spends to one vendor this close together are taken together


@dataclass(frozen=True)
class Finding:
    rule: str  # the rule's code, e.g. ``disclosure-late``
    sentence: str  # Chinese, for residents
    period: str  # the period it belongs to: 2025-03, 2025-Q1, 2025, or a day
    records: tuple[int, ...]  # log indexes of the records it concerns

    def to_json(self) -> dict[str, object]:
        return {"rule": self.rule, "title": RULES[self.rule].title, "section": RULES[self.rule].section,
                "period": self.period, "sentence": self.sentence, "records": list(self.records)}


@dataclass(frozen=True)
class Lag:
    """How late one kind of record is entered: business date to the statement's day."""

    kind: str
    title: str
    count: int
    median_days: float
    max_days: int


@dataclass(frozen=True)
class LapsedProposal:
    """A proposal that expired without the signatures its policy asked for. Proposals are kept
    by the service, not in the log: whoever audits passes these in (``sunlight audit`` reads
    them from the store)."""

    proposal_id: str
    kind: str
    proposed_on: date
    expired_on: date


@dataclass
class Log:
    """What the rules read: every statement in log order, the state folded from them, and the
    few facts a rule needs from the moment a statement was folded."""

    community_id: str
    as_of: date
    statements: list[Signed] = field(default_factory=list)
    state: CommunityState | None = None
    remaining_before: dict[int, int] = field(default_factory=dict)  # spend index -> budget left
    # spend index -> the amounts from which the signing policy then in force asked for two signers
    cosign_thresholds: dict[int, tuple[int, ...]] = field(default_factory=dict)
    unchecked: list[str] = field(default_factory=list)  # what could not be checked, and why
    lapsed: tuple[LapsedProposal, ...] = ()  # proposals that expired (kept outside the log)

    def of(self, *kinds: type[Body]) -> Iterator[Signed]:
        names = {k.kind for k in kinds}
        return (s for s in self.statements if s.kind in names)

    @property
    def catalogue(self) -> Catalogue:
        assert self.state is not None
        return self.state.catalogue

    @property
    def founded_on(self) -> date:
        return day(self.statements[0]) if self.statements else self.as_of

    def estate(self, estate_id: str) -> str:
        assert self.state is not None and self.state.community is not None
        e = self.state.community.estates.get(estate_id)
        return e.name if e else estate_id

    def fund(self, fund_id: str) -> str:
        assert self.state is not None
        f = self.state.funds.get(fund_id)
        return f.opened.name if f else fund_id

    def decision(self, decision_id: str) -> str:
        assert self.state is not None
        d = self.state.decisions.get(decision_id)
        return f"决议“{d.resolved.agenda_item}”" if d else f"决议 {decision_id}"

    def round(self, round_id: str) -> str:
        assert self.state is not None
        r = self.state.rounds.get(round_id)
        return f"评议《{r.opened.title}》" if r else f"评议 {round_id}"

    def deadline(self, start: date, workdays: int, what: str) -> date | None:
        """``workdays`` working days after ``start``; None (noted) when the calendar lacks a year."""
        try:
            return add_workdays(start, workdays)
        except CalendarNotCovered as exc:
            self.unchecked.append(f"{what}：{exc.message}")
            return None


@dataclass(frozen=True)
class Rule:
    code: str
    section: str
    title: str  # short Chinese title
    explain: str  # what the rule looks for, one Chinese sentence
    check: Callable[[Log], Iterable[Finding]]


RULES: dict[str, Rule] = {}


def rule(code: str, section: str, title: str, explain: str
         ) -> Callable[[Callable[[Log], Iterable[Finding]]], Callable[[Log], Iterable[Finding]]]:
    """Registers a rule: adding a rule is writing one function under this decorator."""
    assert section in SECTIONS

    def register(check: Callable[[Log], Iterable[Finding]]) -> Callable[[Log], Iterable[Finding]]:
        assert code not in RULES, code
        RULES[code] = Rule(code, section, title, explain, check)
        return check
    return register


@dataclass
class Audit:
    community_id: str
    name: str
    as_of: date
    size: int
    catalogue: Catalogue
    findings: list[Finding]
    lags: list[Lag]
    unchecked: list[str]

    def by_section(self) -> dict[str, list[Finding]]:
        out: dict[str, list[Finding]] = {s: [] for s in SECTIONS}
        for f in self.findings:
            out[RULES[f.rule].section].append(f)
        return out


# --- running ---------------------------------------------------------------------------------


def audit_entries(community_id: str, entries: Iterable[tuple[int, bytes]], as_of: date,
                  lapsed: Iterable[LapsedProposal] = ()) -> Audit:
    """The audit of a log given as ``(index, entry bytes)`` (a store's or a published log's)."""
    return audit(community_id, (decode(index, data).signed for index, data in entries), as_of,
                 lapsed)


def audit(community_id: str, statements: Iterable[Signed], as_of: date,
          lapsed: Iterable[LapsedProposal] = ()) -> Audit:
    """Folds ``statements`` (log order, from the founding) and runs every rule as of ``as_of``:
    only what happened up to ``as_of`` counts, and only deadlines before it have passed.
    ``lapsed``: the community's expired proposals, which the log does not hold."""
    log = prepare(community_id, statements, as_of)
    log.lapsed = tuple(p for p in lapsed if p.expired_on <= as_of)
    findings: list[Finding] = []
    for r in RULES.values():
        findings.extend(r.check(log))
    order = list(RULES)
    findings.sort(key=lambda f: (list(SECTIONS).index(RULES[f.rule].section), f.period,
                                 order.index(f.rule), f.records))
    state = log.state
    name = state.community.name if state is not None and state.community is not None else community_id
    assert state is not None
    return Audit(community_id, name, as_of, len(log.statements), log.catalogue, findings, lags(log),
                 log.unchecked)


def prepare(community_id: str, statements: Iterable[Signed], as_of: date) -> Log:
    log = Log(community_id, as_of)
    state = CommunityState(community_id)
    for s in statements:
        if day(s) > as_of:
            break
        if isinstance(s.body, Fee.SpendRecorded):
            log.cosign_thresholds[s.log_index] = tuple(sorted({
                r.min_amount_fen for r in state.policy or () if r.kind == s.kind and r.min_amount_fen}))
        state.apply(s)
        if isinstance(s.body, Fee.SpendRecorded):
            b = s.body
            fees = state.fees[b.estate_id]
            log.remaining_before[s.log_index] = fees.remaining(int(b.spent_on[:4]), b.category.value) \
                + b.amount_fen
        log.statements.append(s)
    log.state = state
    return log


def day(s: Signed) -> date:
    """The statement's own day in Asia/Shanghai."""
    return local_day(s.at)


def business_day(s: Signed, log: Log | None = None) -> date | None:
    """The day the recorded thing happened: the body's first business date (``*_on``); a
    decision's is its meeting's."""
    b = s.body
    if isinstance(b, Decision.Resolved) and log is not None and log.state is not None:
        meeting = log.state.meetings.get(b.meeting_id)
        return date.fromisoformat(meeting.held.held_on) if meeting else None
    for name, is_term in date_fields(type(b)):
        value = getattr(b, name)
        if not is_term and value is not None and name != "added_on":
            return date.fromisoformat(value)
    return None


def yuan(fen: int) -> str:
    return fmt_yuan(fen).removesuffix(".00 元") + " 元" if fen % 100 == 0 else fmt_yuan(fen)


def zh(d: date) -> str:
    return f"{d.year} 年 {d.month} 月 {d.day} 日"


# --- periods ---------------------------------------------------------------------------------


def periods(cadence: Cadence, start: date, as_of: date) -> Iterator[tuple[str, date, date]]:
    """``(period, first day, last day)`` of every period that starts on or after ``start`` and
    has ended by ``as_of``."""
    year, month = start.year, start.month
    step = {Cadence.MONTHLY: 1, Cadence.QUARTERLY: 3, Cadence.YEARLY: 12}[cadence]
    month = (month - 1) // step * step + 1  # the period containing start
    while True:
        first = date(year, month, 1)
        end_month = month + step
        end_year = year + (end_month - 1) // 12
        end_month = (end_month - 1) % 12 + 1
        last = date(end_year, end_month, 1) - timedelta(days=1)
        if last >= as_of:
            return
        if first >= start:
            if cadence is Cadence.MONTHLY:
                name = f"{year}-{month:02d}"
            elif cadence is Cadence.QUARTERLY:
                name = f"{year}-Q{(month - 1) // 3 + 1}"
            else:
                name = str(year)
            yield name, first, last
        year, month = end_year, end_month


def covers(period: str, d: date) -> bool:
    """Whether a disclosure's period (2025, 2025-03, 2025-Q1, 2025-H1) contains ``d``."""
    if not period.startswith(f"{d.year}"):
        return False
    rest = period[4:]
    if rest == "":
        return True
    if rest.startswith("-Q"):
        return (d.month - 1) // 3 + 1 == int(rest[2:])
    if rest.startswith("-H"):
        return (d.month - 1) // 6 + 1 == int(rest[2:])
    return rest == f"-{d.month:02d}"


def period_of(d: date) -> str:
    return f"{d.year}-{d.month:02d}"


# --- 公开是否及时 ------------------------------------------------------------------------------


def _published(log: Log) -> list[tuple[Signed, Disclosure.Published]]:
    """Every disclosure that was not retracted, in log order."""
    retracted = {s.body.disclosure_id for s in log.of(Disclosure.Retracted)
                 if isinstance(s.body, Disclosure.Retracted)}
    return [(s, s.body) for s in log.of(Disclosure.Published)
            if isinstance(s.body, Disclosure.Published) and s.body.disclosure_id not in retracted]


def _timeliness(log: Log) -> Iterator[tuple[str, Finding]]:
    """``("late" | "missing", finding)`` for every item of the catalogue in force."""
    published = _published(log)
    by_period: dict[tuple[object, str], Signed] = {}
    for s, b in published:
        by_period.setdefault((b.category, b.period), s)  # the first one published
    for item in log.catalogue.set.items:
        if item.cadence is Cadence.EACH_DECISION:
            yield from _decisions_disclosed(log, item.title, item.category, item.deadline, published)
        elif item.cadence is Cadence.EACH_EVALUATION:
            yield from _results_disclosed(log, item.title, item.deadline)
        else:
            for name, _first, last in periods(item.cadence, log.founded_on, log.as_of):
                due = date(last.year + last.month // 12, last.month % 12 + 1, item.deadline)
                first = by_period.get((item.category, name))
                if first is not None:
                    if day(first) > due:
                        yield "late", Finding("disclosure-late",
                                              f"“{item.title}”{name} 应在 {zh(due)}前公开，"
                                              f"{zh(day(first))}才公开，晚了 {(day(first) - due).days} 天。",
                                              name, (first.log_index,))
                elif due < log.as_of:
                    yield "missing", Finding("disclosure-missing",
                                             f"“{item.title}”{name} 应在 {zh(due)}前公开，至今没有公开。",
                                             name, ())


def _decisions_disclosed(log: Log, title: str, category: object, workdays: int,
                         published: list[tuple[Signed, Disclosure.Published]]) -> Iterator[tuple[str, Finding]]:
    for s in log.of(Decision.Resolved):
        b = s.body
        assert isinstance(b, Decision.Resolved)
        held = business_day(s, log)
        assert held is not None
        due = log.deadline(held, workdays, f"决议 {b.decision_id} 的公开期限")
        if due is None:
            continue
        found = [p for p, d in published if d.category == category and day(p) >= held
                 and (covers(d.period, held) or b.decision_id in d.title or b.decision_id in d.body)]
        name = period_of(held)
        if found:
            if day(found[0]) > due:
                yield "late", Finding("disclosure-late",
                                      f"决议“{b.agenda_item}”（{held.isoformat()} 会议）应在 {workdays} 个工作日内即 "
                                      f"{zh(due)}前公开，{zh(day(found[0]))}才公开。",
                                      name, (s.log_index, found[0].log_index))
        elif due < log.as_of:
            yield "missing", Finding("disclosure-missing",
                                     f"决议“{b.agenda_item}”（{held.isoformat()} 会议）应在 {workdays} 个工作日内即 "
                                     f"{zh(due)}前作为“{title}”公开，至今没有公开。", name, (s.log_index,))


def _results_disclosed(log: Log, title: str, workdays: int) -> Iterator[tuple[str, Finding]]:
    for s in log.of(Evaluation.ResultsRecorded):
        b = s.body
        assert isinstance(b, Evaluation.ResultsRecorded)
        closed = date.fromisoformat(b.closed_on)
        due = log.deadline(closed, workdays, f"评议 {b.round_id} 结果的公开期限")
        if due is not None and day(s) > due:
            yield "late", Finding("disclosure-late",
                                  f"{log.round(b.round_id)}于 {zh(closed)}结束，结果应在 {workdays} 个工作日内即 "
                                  f"{zh(due)}前公开，{zh(day(s))}才登记公开。",
                                  period_of(closed), (s.log_index,))


@rule("disclosure-late", "disclosure", "公开晚于期限",
      "按公开目录，应在期限内公开的事项晚于期限才公开。")
def disclosure_late(log: Log) -> Iterator[Finding]:
    return (f for what, f in _timeliness(log) if what == "late")


@rule("disclosure-missing", "disclosure", "应公开而未公开",
      "按公开目录，期限已过而没有公开的事项。")
def disclosure_missing(log: Log) -> Iterator[Finding]:
    return (f for what, f in _timeliness(log) if what == "missing")


# --- 登记是否及时 ------------------------------------------------------------------------------


def _lags(log: Log) -> Iterator[tuple[Signed, date, int]]:
    for s in log.statements:
        happened = business_day(s, log)
        if happened is not None:
            yield s, happened, (day(s) - happened).days


def lags(log: Log) -> list[Lag]:
    per_kind: dict[str, list[int]] = {}
    for s, _happened, days in _lags(log):
        per_kind.setdefault(s.kind, []).append(days)
    return [Lag(kind, BODY_TYPES[kind].title_zh, len(days), float(median(days)), max(days))
            for kind, days in per_kind.items()]


@rule("recorded-late", "recording", "事后补登",
      "业务发生后超过公开目录规定的天数才登记的记录。")
def recorded_late(log: Log) -> Iterator[Finding]:
    limit = log.catalogue.set.recording_lag_days
    for s, happened, days in _lags(log):
        if days > limit:
            yield Finding("recorded-late",
                          f"“{BODY_TYPES[s.kind].title_zh}”记录的业务发生在 {zh(happened)}，{zh(day(s))}才登记，"
                          f"相隔 {days} 天（超过 {limit} 天）。", period_of(happened), (s.log_index,))


# --- 资金 ------------------------------------------------------------------------------------


@rule("budget-revised", "money", "预算修订", "年度预算编制后又作了修订。")
def budget_revised(log: Log) -> Iterator[Finding]:
    budgets: dict[tuple[str, int], list[Signed]] = {}
    for s in log.of(Fee.BudgetSet):
        b = s.body
        assert isinstance(b, Fee.BudgetSet)
        history = budgets.setdefault((b.estate_id, b.year), [])
        if history:
            before = history[-1].body
            assert isinstance(before, Fee.BudgetSet)
            old = {line.category.value: line.amount_fen for line in before.lines}
            new = {line.category.value: line.amount_fen for line in b.lines}
            changes = "、".join(
                f"{SPEND_TITLES[c]}（{'增加' if new.get(c.value, 0) > old.get(c.value, 0) else '减少'} "
                f"{yuan(abs(new.get(c.value, 0) - old.get(c.value, 0)))}）"
                for c in SPEND_TITLES if new.get(c.value, 0) != old.get(c.value, 0)) or "各类金额不变"
            why = f"，依据{log.decision(b.decision_id)}" if b.decision_id else ""
            yield Finding("budget-revised",
                          f"{log.estate(b.estate_id)} {b.year} 年预算第 {len(history)} 次修订{why}：{changes}。",
                          str(b.year), (history[0].log_index, history[-1].log_index, s.log_index)
                          if len(history) > 1 else (history[0].log_index, s.log_index))
        history.append(s)


def _spends(log: Log) -> Iterator[tuple[Signed, Fee.SpendRecorded]]:
    for s in log.of(Fee.SpendRecorded):
        assert isinstance(s.body, Fee.SpendRecorded)
        yield s, s.body


@rule("spend-over-budget", "money", "超预算支出", "支出超过了当时预算中该类别的余额。")
def spend_over_budget(log: Log) -> Iterator[Finding]:
    for s, b in _spends(log):
        left = log.remaining_before[s.log_index]
        if b.amount_fen > left:
            why = f"，经{log.decision(b.decision_id)}授权" if b.decision_id else ""
            yield Finding("spend-over-budget",
                          f"{log.estate(b.estate_id)}“{SPEND_TITLES[b.category]}”支出 {yuan(b.amount_fen)}"
                          f"（{b.description}），超出当时预算余额 {yuan(max(left, 0))}{why}。",
                          b.spent_on[:7], (s.log_index,))


def _thresholds(log: Log, s: Signed) -> list[tuple[int, str]]:
    out = [(t, "须两人共同签署的金额") for t in log.cosign_thresholds.get(s.log_index, ())]
    decision = log.catalogue.set.decision_threshold_fen
    if decision is not None:
        out.append((decision, "应经会议决议的金额"))
    return out


@rule("spend-near-threshold", "money", "金额贴近门槛",
      "单笔支出比须共同签署或须经决议的金额只低不到 5%。")
def spend_near_threshold(log: Log) -> Iterator[Finding]:
    for s, b in _spends(log):
        for threshold, what in _thresholds(log, s):
            if threshold * (100 - NEAR) <= b.amount_fen * 100 < threshold * 100:
                yield Finding("spend-near-threshold",
                              f"{log.estate(b.estate_id)}付给“{b.vendor}”的 {yuan(b.amount_fen)}（{b.description}）"
                              f"略低于{what} {yuan(threshold)}。", b.spent_on[:7], (s.log_index,))


def _by_vendor(log: Log) -> Iterator[list[tuple[Signed, Fee.SpendRecorded, date]]]:
    """The spends of each estate to each vendor, by business day (then log order)."""
    groups: dict[tuple[str, str], list[tuple[Signed, Fee.SpendRecorded, date]]] = {}
    for s, b in _spends(log):
        groups.setdefault((b.estate_id, b.vendor), []).append((s, b, date.fromisoformat(b.spent_on)))
    for spends in groups.values():
        yield sorted(spends, key=lambda x: (x[2], x[0].log_index))


@rule("spend-split", "money", "疑似拆分支出",
      "一周内同一小区付给同一单位的几笔支出，每笔都低于门槛，合起来超过门槛。")
def spend_split(log: Log) -> Iterator[Finding]:
    for spends in _by_vendor(log):
        reported: list[set[int]] = []
        for i, (s, b, start) in enumerate(spends):
            for threshold, what in _thresholds(log, s):
                if b.amount_fen >= threshold:
                    continue
                group = []
                for t, c, on in spends[i:]:
                    if (on - start).days >= WEEK:
                        break
                    if c.amount_fen < threshold:
                        group.append((t, c))
                total = sum(c.amount_fen for _, c in group)
                indexes = {t.log_index for t, _ in group}
                if len(group) > 1 and total >= threshold and not any(indexes <= seen for seen in reported):
                    reported.append(indexes)
                    yield Finding("spend-split",
                                  f"{log.estate(b.estate_id)} {zh(start)}起一周内付给“{b.vendor}”{len(group)} 笔，"
                                  f"每笔都低于{what} {yuan(threshold)}，合计 {yuan(total)}。", b.spent_on[:7],
                                  tuple(sorted(indexes)))


@rule("invoice-duplicate", "money", "疑似重复报销",
      "一周内同一小区付给同一单位、金额相同的两笔支出（发票扫描件不同）。")
def invoice_duplicate(log: Log) -> Iterator[Finding]:
    for spends in _by_vendor(log):
        for i, (s, b, on) in enumerate(spends):
            for t, c, later in spends[i + 1:]:
                if (later - on).days >= WEEK:
                    break
                if c.amount_fen == b.amount_fen:
                    yield Finding("invoice-duplicate",
                                  f"{log.estate(b.estate_id)}付给“{b.vendor}”的两笔支出金额同为 {yuan(b.amount_fen)}"
                                  f"（{b.spent_on} 与 {c.spent_on}），发票不同，请核对是否重复报销。",
                                  b.spent_on[:7], tuple(sorted((s.log_index, t.log_index))))


def _authorisations(log: Log) -> Iterator[tuple[Signed, Decision, date, date]]:
    """Each passed decision with authorisations: its statement, state, meeting day, last valid day."""
    assert log.state is not None
    days = log.catalogue.set.authorisation_days
    for s in log.of(Decision.Resolved):
        b = s.body
        assert isinstance(b, Decision.Resolved)
        decision = log.state.decisions.get(b.decision_id)
        held = business_day(s, log)
        if decision is not None and held is not None and b.passed and b.authorises:
            yield s, decision, held, held + timedelta(days=days)


def _uses(log: Log) -> dict[str, list[tuple[Signed, date]]]:
    """The grants, spends and budgets that name each decision, with their business days."""
    out: dict[str, list[tuple[Signed, date]]] = {}
    for s in log.of(Fund.GrantMade, Fee.SpendRecorded, Fee.BudgetSet):
        decision_id = getattr(s.body, "decision_id", None)
        if decision_id:
            out.setdefault(decision_id, []).append((s, business_day(s, log) or day(s)))
    return out


@rule("authorisation-unused", "money", "授权额度未用完",
      "决议授权的金额到有效期结束仍未用完（列出已用和未用的金额）。")
def authorisation_unused(log: Log) -> Iterator[Finding]:
    uses = _uses(log)
    for s, decision, held, last in _authorisations(log):
        if last >= log.as_of:
            continue
        for item, used in zip(decision.resolved.authorises, decision.used_fen, strict=True):
            if used < item.cap_fen:
                what = item.type.label
                yield Finding("authorisation-unused",
                              f"{log.decision(decision.id)}（{held.isoformat()}）授权{what}至多 {yuan(item.cap_fen)}，"
                              f"有效期至 {zh(last)}，已用 {yuan(used)}，未用 {yuan(item.cap_fen - used)}。",
                              period_of(held), (s.log_index, *(u.log_index for u, _ in uses.get(decision.id, ()))))


@rule("authorisation-used-late", "money", "授权过期后使用",
      "拨款、支出或预算修订所依据的决议已过有效期。")
def authorisation_used_late(log: Log) -> Iterator[Finding]:
    uses = _uses(log)
    for s, decision, held, last in _authorisations(log):
        for u, when in uses.get(decision.id, ()):
            if when > last:
                yield Finding("authorisation-used-late",
                              f"“{BODY_TYPES[u.kind].title_zh}”（{when.isoformat()}）依据{log.decision(decision.id)}，"
                              f"但该决议于 {held.isoformat()} 作出，授权有效期至 {zh(last)}。",
                              period_of(when), (s.log_index, u.log_index))


_WORD = re.compile(r"[\u3400-\u9fff]{2}")


def _words(text: str) -> set[str]:
    """Every two consecutive Chinese characters of ``text``."""
    return {text[i:i + 2] for i in range(len(text) - 1) if _WORD.fullmatch(text[i:i + 2])}


@rule("restricted-misused", "money", "定向资金疑似他用",
      "从定向捐赠资金拨出的款项，用途与捐赠人指定的用途看不出关联。")
def restricted_misused(log: Log) -> Iterator[Finding]:
    assert log.state is not None
    named: dict[tuple[str, str], tuple[str, list[int]]] = {}
    for s in log.of(Fund.DonationRecorded):
        b = s.body
        assert isinstance(b, Fund.DonationRecorded)
        if b.restriction != GENERAL:
            name, indexes = named.get((b.fund_id, b.restriction), (b.restriction_name or "", []))
            named[(b.fund_id, b.restriction)] = (name or b.restriction_name or "", [*indexes, s.log_index])
    for s in log.of(Fund.GrantMade):
        b = s.body
        assert isinstance(b, Fund.GrantMade)
        if b.restriction == GENERAL:
            continue
        name, donations = named.get((b.fund_id, b.restriction), ("", []))
        text = b.purpose
        project = log.state.projects.get(b.project_id) if b.project_id else None
        if project is not None:
            text += project.discovered.title
        if name and not _words(name) & _words(text):
            yield Finding("restricted-misused",
                          f"{log.fund(b.fund_id)}从定向用途“{name}”的捐赠中拨出 {yuan(b.amount_fen)}，"
                          f"用于“{b.purpose}”，看不出与指定用途的关联。", b.granted_on[:7],
                          (s.log_index, *donations[:5]))


# --- 跟进落实 ----------------------------------------------------------------------------------


@rule("evaluation-no-consequence", "follow-through", "评议结果未运用",
      "评议结束后超过规定天数，仍未登记结果如何运用。")
def evaluation_no_consequence(log: Log) -> Iterator[Finding]:
    limit = log.catalogue.set.consequence_days
    consequences = {s.body.round_id for s in log.of(Evaluation.ConsequenceRecorded)
                    if isinstance(s.body, Evaluation.ConsequenceRecorded)}
    opened = {s.body.round_id: s for s in log.of(Evaluation.Opened) if isinstance(s.body, Evaluation.Opened)}
    for s in log.of(Evaluation.ResultsRecorded):
        b = s.body
        assert isinstance(b, Evaluation.ResultsRecorded)
        closed = date.fromisoformat(b.closed_on)
        if b.round_id not in consequences and (log.as_of - closed).days > limit:
            o = opened[b.round_id]
            assert isinstance(o.body, Evaluation.Opened)
            yield Finding("evaluation-no-consequence",
                          f"评议《{o.body.title}》于 {zh(closed)}结束，已过 {(log.as_of - closed).days} 天，"
                          f"仍未登记结果运用（应在 {limit} 天内）。", period_of(closed),
                          (o.log_index, s.log_index))


# The five steps' kinds, in the registry's (and the loop's) order.
_STEP_KINDS = [k.body for k in KINDS.values() if k.body.kind.startswith("project.")]
assert len(_STEP_KINDS) == len(STEPS)


@rule("project-stalled", "follow-through", "民需项目停滞",
      "民需项目停在某一步骤超过规定天数，没有进入下一步。")
def project_stalled(log: Log) -> Iterator[Finding]:
    limit = log.catalogue.set.project_step_days
    last: dict[str, tuple[Signed, str, date, str]] = {}
    for s in log.of(*_STEP_KINDS):
        step = STEPS[[k.kind for k in _STEP_KINDS].index(s.kind)]
        b = s.body
        when = date.fromisoformat(getattr(b, STEP_DAYS[step]))
        title = b.title if isinstance(b, Project.Discovered) else last[b.project_id][3]  # type: ignore[attr-defined]
        last[b.project_id] = (s, step, when, title)  # type: ignore[attr-defined]
    for s, step, when, title in last.values():
        waited = (log.as_of - when).days
        if step != STEPS[-1] and waited > limit:
            following = STEP_TITLES[STEPS[STEPS.index(step) + 1]]
            yield Finding("project-stalled",
                          f"民需项目“{title}”于 {zh(when)}完成“{STEP_TITLES[step]}”后，"
                          f"已 {waited} 天没有进入“{following}”（应在 {limit} 天内）。", period_of(when),
                          (s.log_index,))


@rule("objection-unanswered", "follow-through", "异议逾期未答复",
      "监督或委员提出的异议，超过 15 个工作日仍未答复。")
def objection_unanswered(log: Log) -> Iterator[Finding]:
    assert log.state is not None
    for o in log.state.objections.values():
        raised = date.fromisoformat(o.raised.raised_on)
        try:
            late = o.overdue(log.as_of)
        except CalendarNotCovered as exc:
            log.unchecked.append(f"异议 {o.id}：{exc.message}")
            continue
        if late:
            member = log.state.members.get(o.raised_by)
            who = member.name if member is not None else o.raised_by
            target = (f"第 {o.raised.log_index} 条记录" if o.raised.log_index is not None
                      else "一份待签提案")
            records = (o.index,) if o.raised.log_index is None else (o.index, o.raised.log_index)
            yield Finding("objection-unanswered",
                          f"{who}于 {zh(raised)}对{target}提出异议（“{o.raised.reason}”），"
                          f"超过 {ANSWER_WITHIN} 个工作日仍未答复。", period_of(raised), records)


@rule("proposal-expired", "follow-through", "提案过期未签",
      "发起的提案在期限内没有得到规则要求的共同签署，已经过期。")
def proposal_expired(log: Log) -> Iterator[Finding]:
    for p in log.lapsed:
        yield Finding("proposal-expired",
                      f"{zh(p.proposed_on)}发起的“{KINDS[p.kind].title}”提案，未在期限内得到所需的"
                      f"共同签署，已于 {zh(p.expired_on)}过期，没有记入账本。", period_of(p.expired_on), ())


__all__ = [
    "RULES",
    "SECTIONS",
    "Audit",
    "Finding",
    "Lag",
    "LapsedProposal",
    "Rule",
    "audit",
    "audit_entries",
    "rule",
]

"""What the district pages need from one community, as plain data (JSON), computed once from
its read model and kept in the district's cache, so that a re-publish after one new record reads
and folds only that community's log.

Every figure is an integer (fen, counts); shares are computed where they are shown, by
:mod:`publisher.fmt`. A year is the business year of a record (:func:`publisher.readmodel.day_of`).
"""

from __future__ import annotations

from typing import Any

from ledger.audit.findings import Audit
from ledger.domain.evaluation import Evaluation
from ledger.domain.fee import Fee
from ledger.domain.fund import Fund
from ledger.domain.project import STEP_TITLES
from publisher.budgets import lines, overruns
from publisher.readmodel import Portal, day_of
from publisher.results import headline_share
from publisher.year import current_year

Summary = dict[str, Any]
# Bumped whenever the shape below changes: a cached summary of another shape is recomputed.
VERSION = 2


def summarise(p: Portal, audit: Audit | None = None) -> Summary:
    """The community's figures for the district pages, by business year; ``audit``: its audit
    views (:mod:`ledger.audit.findings`), for disclosure timeliness."""
    return {"version": VERSION, "id": p.community_id, "name": p.name or p.community_id,
            "records": len(p.records), "year": current_year(p),
            "rounds": _rounds(p), "funds": _funds(p), "fees": _fees(p),
            "projects": _projects(p), "disclosures": _disclosures(p),
            "timeliness": _timeliness(audit), "objections": _objections(p)}


def _timeliness(audit: Audit | None) -> dict[str, dict[str, int]]:
    """Per year, the audit's disclosure findings by rule (公开晚于期限, 应公开而未公开)."""
    years: dict[str, dict[str, int]] = {}
    for f in audit.findings if audit is not None else []:
        if f.rule in ("disclosure-late", "disclosure-missing"):
            y = years.setdefault(f.period[:4], _zero("disclosure-late", "disclosure-missing"))
            y[f.rule] += 1
    return years


def _objections(p: Portal) -> list[dict[str, Any]]:
    """Each objection (异议): when it was raised, whether and when it was answered."""
    out = []
    for view in p.objections.values():
        answer = view.answer
        out.append({"objection_id": view.raised.objection_id, "raised_on": view.raised.raised_on,
                    "year": int(view.raised.raised_on[:4]), "index": view.record.index,
                    "answer_index": answer.index if answer is not None else None,
                    "answered_on": answer.raw["answered_on"] if answer is not None else None})
    return out


def _rounds(p: Portal) -> list[dict[str, Any]]:
    """Every evaluation round with results: its share (over whom it is certain, see
    :mod:`publisher.results`) and the consequence the community recorded, if any."""
    out = []
    for rv in p.rounds.values():
        if rv.results is None:
            continue
        res = rv.results.body
        assert isinstance(res, Evaluation.ResultsRecorded)
        share = headline_share(res)
        consequence = None
        if rv.consequence is not None:
            c = rv.consequence.body
            assert isinstance(c, Evaluation.ConsequenceRecorded)
            consequence = {"text": c.consequence, "index": rv.consequence.index}
        out.append({"round_id": rv.opened.round_id, "subject": rv.opened.subject.value,
                    "title": rv.opened.title, "closed_on": res.closed_on,
                    "year": int(res.closed_on[:4]), "index": rv.results.index,
                    "scope": share.label if share else None,
                    "good": share.good if share else None,
                    "respondents": share.respondents if share else None,
                    "consequence": consequence})
    return out


def _funds(p: Portal) -> dict[str, Any]:
    years: dict[str, dict[str, int]] = {}
    for fund in p.funds.values():
        for r in fund.donations:
            assert isinstance(r.body, Fund.DonationRecorded)
            y = years.setdefault(day_of(r)[:4], _zero("donations", "donation_count", "grants",
                                                        "grant_count"))
            y["donations"] += r.body.amount_fen
            y["donation_count"] += 1
        for r in fund.grants:
            assert isinstance(r.body, Fund.GrantMade)
            y = years.setdefault(day_of(r)[:4], _zero("donations", "donation_count", "grants",
                                                        "grant_count"))
            y["grants"] += r.body.amount_fen
            y["grant_count"] += 1
    return {"count": len(p.funds), "balance": sum(f.balance for f in p.funds.values()),
            "years": years}


def _fees(p: Portal) -> dict[str, dict[str, int]]:
    """Per year, summed over the community's estates: the budget as first set and as it
    stands, what was spent and received, revisions and over-budget spends."""
    years: dict[str, dict[str, int]] = {}
    for estate in p.estates.values():
        for year in estate.years():
            y = years.setdefault(str(year), _zero("original", "budget", "spent", "income",
                                                  "revisions", "overruns"))
            history = estate.budget_history.get(year, [])
            if history:
                y["original"] += sum(lines(history[0]).values())
                y["budget"] += sum(lines(history[-1]).values())
                y["revisions"] += len(history) - 1
            for r in estate.spends:
                assert isinstance(r.body, Fee.SpendRecorded)
                if day_of(r).startswith(f"{year}-"):
                    y["spent"] += r.body.amount_fen
            for r in estate.incomes:
                assert isinstance(r.body, Fee.IncomeRecorded)
                if day_of(r).startswith(f"{year}-"):
                    y["income"] += r.body.amount_fen
            y["overruns"] += len(overruns(estate, year))
    return years


def _projects(p: Portal) -> list[dict[str, Any]]:
    """Each needs project and the last of the five steps it has taken."""
    out = []
    for pv in p.projects.values():
        step = [s for s in STEP_TITLES if s in pv.steps][-1]
        out.append({"project_id": pv.discovered.project_id, "title": pv.discovered.title,
                    "step": step, "index": pv.steps[step].index,
                    "year": int(day_of(pv.steps[step])[:4])})
    return out


def _disclosures(p: Portal) -> dict[str, int]:
    years: dict[str, int] = {}
    for view in p.disclosures.values():
        y = day_of(view.record)[:4]
        years[y] = years.get(y, 0) + 1
    return years


def _zero(*names: str) -> dict[str, int]:
    return dict.fromkeys(names, 0)


__all__ = ["VERSION", "Summary", "summarise"]

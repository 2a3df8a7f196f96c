"""A year's budget as it stood over time: the original, each revision (with its date and the
decision that authorised it), and every spend that went over the budget in force when it was
made. A budget raised after the money was spent must never hide the overspend."""

from __future__ import annotations

from dataclasses import dataclass

from ledger.domain.fee import Fee, SpendCategory
from publisher.readmodel import EstateView, day_of
from publisher.records import Record


@dataclass(frozen=True)
class Overrun:
    """A spend that took its category past the budget line in force at the time."""

    spend: Record
    budget: Record | None  # the budget in force (None: no budget yet)
    line_fen: int  # that budget's line for the category (0 when it has none)
    spent_fen: int  # spent in the category up to and including this spend


def lines(r: Record) -> dict[SpendCategory, int]:
    b = r.body
    assert isinstance(b, Fee.BudgetSet)
    return {line.category: line.amount_fen for line in b.lines}


def in_force(estate: EstateView, year: int, index: int) -> Record | None:
    """The budget of ``year`` in force just before log entry ``index``."""
    before = [b for b in estate.budget_history.get(year, []) if b.index < index]
    return before[-1] if before else None


def overruns(estate: EstateView, year: int) -> dict[int, Overrun]:
    """Log index of each over-budget spend of ``year`` -> how far over, in log order."""
    spent: dict[SpendCategory, int] = {}
    out: dict[int, Overrun] = {}
    for r in estate.spends:
        b = r.body
        assert isinstance(b, Fee.SpendRecorded)
        if not day_of(r).startswith(str(year)):
            continue
        spent[b.category] = spent.get(b.category, 0) + b.amount_fen
        budget = in_force(estate, year, r.index)
        line = lines(budget).get(b.category, 0) if budget is not None else 0
        if spent[b.category] > line:
            out[r.index] = Overrun(r, budget, line, spent[b.category])
    return out

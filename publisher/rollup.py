"""The district's evaluation roll-up (seed 002: evaluations are gathered at the 街道 level, and
their results are tied to each community's operating funds and performance pay).

For one year and one subject (居委会, 业委会, 物业公司, 民需项目), each community's rounds closed
that year, its satisfaction over those rounds (满意＋基本满意 out of 参评, added up over the
rounds by 人次: a resident who took part in two rounds counts twice), its rank among the
communities, and the consequence it recorded for each round (or that none is recorded). A round
whose groups cut across each other has no certain total (:mod:`publisher.results`): it is
listed and not counted. Communities are ranked by the share as shown (tenths of a percent), so
two communities showing the same figure share a rank (1, 1, 3).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ledger.domain.evaluation import Subject
from publisher.fmt import tenths_of_percent
from publisher.summary import Summary


@dataclass
class Standing:
    """One community's results on one subject in one year."""

    community_id: str
    name: str
    rounds: list[dict[str, Any]] = field(default_factory=list)  # as in publisher.summary
    good: int = 0
    respondents: int = 0
    rank: int | None = None  # None: no round with a certain total

    @property
    def tenths(self) -> int | None:
        return tenths_of_percent(self.good, self.respondents)

    @property
    def missing_consequences(self) -> list[dict[str, Any]]:
        return [r for r in self.rounds if r["consequence"] is None]


def district_year(summaries: Iterable[Summary]) -> int:
    """The business year of the latest record in any community."""
    return max((s["year"] for s in summaries), default=2000)


def standings(summaries: Iterable[Summary], year: int, subject: Subject) -> list[Standing]:
    """Ranked: the communities with a share first (highest first), then those whose rounds
    have no certain total; a community with no round of ``subject`` in ``year`` is left out."""
    out = []
    for s in summaries:
        rounds = [r for r in s["rounds"] if r["year"] == year and r["subject"] == subject.value]
        if not rounds:
            continue
        st = Standing(s["id"], s["name"], sorted(rounds, key=lambda r: (r["closed_on"],
                                                                        r["index"])))
        for r in rounds:
            if r["respondents"] is not None:
                st.good += r["good"]
                st.respondents += r["respondents"]
        out.append(st)
    ranked = sorted((st for st in out if st.tenths is not None),
                    key=lambda st: (-(st.tenths or 0), st.name, st.community_id))
    for n, st in enumerate(ranked):
        st.rank = ranked[n - 1].rank if n and ranked[n - 1].tenths == st.tenths else n + 1
    unranked = sorted((st for st in out if st.tenths is None),
                      key=lambda st: (st.name, st.community_id))
    return ranked + unranked


__all__ = ["Standing", "district_year", "standings"]

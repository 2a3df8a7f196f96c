"""Evaluation results as residents read them: totals only over groups that partition the
respondents (e.g. estates), never over groups that cut across them (e.g. age bands)."""

from __future__ import annotations

from dataclasses import dataclass

from ledger.domain.evaluation import Evaluation, Grouping
from publisher.fmt import esc, percent


@dataclass(frozen=True)
class Share:
    """满意＋基本满意 out of 参评, over whom ``label`` says."""

    label: str  # "全体参评人" or one group's name
    good: int
    respondents: int


def overall(res: Evaluation.ResultsRecorded) -> Share | None:
    """The result over every respondent, only when that is certain: the groups are recorded as
    a partition (each respondent in exactly one group). Cross-cutting or unstated groups are
    never added up (a person in two groups would be counted twice)."""
    if res.grouping != Grouping.PARTITION:
        return None
    return Share("全体参评人", sum(g.satisfied + g.basically_satisfied for g in res.groups),
                 sum(g.respondents for g in res.groups))


def headline_share(res: Evaluation.ResultsRecorded) -> Share | None:
    """What a summary shows for a result: the whole when certain, else its only group (named
    as such), else nothing (groups cut across each other)."""
    whole = overall(res)
    if whole is not None:
        return whole
    if len(res.groups) == 1:
        g = res.groups[0]
        return Share(g.group, g.satisfied + g.basically_satisfied, g.respondents)
    return None



def results_summary(res: Evaluation.ResultsRecorded) -> str:
    """Turnout and the overall share, said only when the groups partition the respondents."""
    whole = overall(res)
    if whole is None:
        return (f"<p>应参评 {res.eligible} 人。分组有交叉（或未说明是否互不重叠），"
                "不合计参评人数和满意率，请看各组结果。</p>")
    return (f"<p>应参评 {res.eligible} 人，实际参评 {whole.respondents} 人（各组互不重叠，合计），"
            f"参评率 {esc(percent(whole.respondents, res.eligible))}；全体参评人满意率 "
            f"{esc(percent(whole.good, whole.respondents))}。</p>")


def results_table(res: Evaluation.ResultsRecorded) -> str:
    """One row per group, plus a 合计 row when the groups partition the respondents."""
    scores = any(g.score_centi is not None for g in res.groups)
    rows = [[esc(g.group), str(g.satisfied), str(g.basically_satisfied), str(g.dissatisfied),
             str(g.respondents), esc(percent(g.satisfied + g.basically_satisfied, g.respondents)),
             *([_score(g.score_centi)] if scores else [])]
            for g in res.groups]
    if overall(res) is not None:
        rows.append(["合计", *(str(sum(getattr(g, k) for g in res.groups)) for k in
                               ("satisfied", "basically_satisfied", "dissatisfied", "respondents")),
                     esc(percent(sum(g.satisfied + g.basically_satisfied for g in res.groups),
                                 sum(g.respondents for g in res.groups))),
                     *(["—"] if scores else [])])
    header = ("分组", "满意", "基本满意", "不满意", "参评", "满意率", *(("得分",) if scores else ()))
    head = "".join(f"<th>{h}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    return (f'<div class="sl-scroll"><table class="sl-results"><thead><tr>{head}</tr></thead>'
            f"<tbody>{body}</tbody></table></div>")


def _score(centi: int | None) -> str:
    return "—" if centi is None else f"{centi // 100}.{centi % 100:02d}"
